//! MAPPING LAYER: the only layer that knows both Terraform (`tfplugin`) and Maskinporten (`api`).
//! [`MaskinportenProvider`] is the registry: it lists the resources, data sources, the ephemeral
//! access token and the functions, and configures the one [`ApiClient`] of this process. Each
//! resource is a module named for its type (`scope/`, `client/`, `client_key/`, `contact/`, or a
//! single file while small) that converts between state values and API types; what they share
//! lives in [`shared`] (the configured API, refresh reads, our own writes), the one reconciled
//! create in [`create`], and the one conversion of API errors into diagnostics in [`errors`].
//!
//! Adding a resource: ARCHITECTURE.md, "Adding a resource".

pub mod access_token;
pub mod client;
pub mod client_key;
pub mod config;
pub mod contact;
pub mod create;
pub mod data;
pub mod errors;
mod explain;
pub mod functions;
pub mod keys;
mod limits;
pub mod orgno;
pub mod pkcs12;
pub mod scope;
pub mod scope_access;
pub mod scope_consumers;
pub mod scope_name;
pub mod shared;

use crate::api::ApiClient;
use crate::tfplugin::{DataSource, Diagnostics, Provider, Resource, Schema, Value};
use async_trait::async_trait;
pub use shared::Shared;
use shared::api::Configured;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub struct MaskinportenProvider {
    shared: Arc<Shared>,
}

impl MaskinportenProvider {
    /// `stop` is cancelled when Terraform calls StopProvider.
    pub fn new(stop: CancellationToken) -> Self {
        MaskinportenProvider { shared: Arc::new(Shared::new(stop)) }
    }
}

#[async_trait]
impl Provider for MaskinportenProvider {
    fn schema(&self) -> Schema {
        config::schema()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![
            scope::ScopeResource::new(self.shared.clone()),
            scope_access::ScopeAccessResource::new(self.shared.clone()),
            scope_consumers::ScopeConsumersResource::new(self.shared.clone()),
            client::ClientResource::new(self.shared.clone()),
            client_key::ClientKeyResource::new(self.shared.clone()),
            contact::ContactResource::new(self.shared.clone()),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        let s = &self.shared;
        vec![
            data::scope::ScopeData::new(s.clone()),
            Arc::new(data::scopes::ScopesData(s.clone())),
            Arc::new(data::client::ClientData(s.clone())),
            Arc::new(data::client_keys::ClientKeysData(s.clone())),
            Arc::new(data::clients::ClientsData(s.clone())),
            Arc::new(data::prefixes::PrefixesData(s.clone())),
            Arc::new(data::delegation_sources::DelegationSourcesData(s.clone())),
            Arc::new(data::scope_accesses::GrantedData(s.clone())),
            Arc::new(data::scope_accesses::ReceivedData(s.clone())),
            Arc::new(data::organization::OrganizationData(s.clone())),
        ]
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn crate::tfplugin::EphemeralResource>> {
        vec![Arc::new(access_token::AccessToken(self.shared.clone()))]
    }

    fn functions(&self) -> Vec<Arc<dyn crate::tfplugin::Function>> {
        vec![Arc::new(functions::OrgnoValid), Arc::new(functions::JwkThumbprint)]
    }

    /// Digdir documents no replication lag for its self-service API; half a minute covers what
    /// the simulator's consistency fault models and costs nothing when reads agree at once.
    fn read_after_write_window(&self) -> Duration {
        shared::READ_AFTER_WRITE_WINDOW
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        config::validate(config, diags);
        self.shared.api.validated(config);
    }

    async fn configure(&self, terraform_version: &str, config: &Value, diags: &mut Diagnostics) {
        if !config.is_fully_known() {
            // Values derived from resources not yet created: Terraform configures again at apply,
            // and until then plan-time checks are skipped (`Api::client_for_plan` is `None`).
            return;
        }
        let Some(settings) = config::resolve(config, terraform_version, diags) else { return };
        let environment = settings.environment.name();
        let merchant_data_url = settings.merchant_data_url.clone();
        // No token yet: the first call that needs one asks for it, with the admin scopes that call
        // needs, so a command that calls nothing (`plan -refresh=false` without changes) costs no
        // request at all. A refused token is explained on that first call, once per process.
        let client = match ApiClient::new(settings.api, self.shared.api.stop.clone()) {
            Ok(c) => c,
            Err(e) => {
                errors::push_api(diags, &e, "set up the API client", environment, None, None, false);
                return;
            }
        };
        self.shared.api.configured(Configured { client, environment, merchant_data_url });
    }
}
