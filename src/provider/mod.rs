//! MAPPING LAYER: the only layer that knows both Terraform (`tfplugin`) and Maskinporten (`api`).
//! [`MaskinportenProvider`] holds the provider configuration and the one [`ApiClient`] of this
//! process; each resource and data source lives in its own file and converts between state values
//! and API types.
//!
//! Registry: adding a resource means one file here and one line in
//! [`MaskinportenProvider::resources`] (or `data_sources`).

pub mod access_token;
mod cache;
pub mod client;
pub mod client_key;
mod client_key_rules;
mod client_rules;
pub mod config;
pub mod contact;
pub mod data;
pub mod errors;
mod explain;
pub mod functions;
pub mod keys;
mod limits;
pub mod orgno;
pub mod pkcs12;
mod reads;
pub mod scope;
pub mod scope_access;
pub mod scope_consumers;
mod scope_rules;

use crate::api::{ApiClient, ApiError, Client, Jwk, Scope, ScopeAccess};
use crate::tfplugin::{AttrPath, DataSource, Diagnostics, Provider, Resource, Schema, Value};
use async_trait::async_trait;
use cache::Coalesced;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

/// What every resource of one provider instance shares: the configured client and short-lived
/// lookups that many resources need (the organisation's prefixes).
pub struct Shared {
    stop: CancellationToken,
    configured: OnceLock<Configured>,
    /// Set when the provider block had values unknown at plan time; API checks wait for apply.
    deferred: OnceLock<()>,
    prefixes: OnceCell<Vec<String>>,
    /// The environment named in the provider block or MASKINPORTEN_ENVIRONMENT, as seen at
    /// validate time (before configure), for checks whose strictness depends on it.
    validated_env: std::sync::Mutex<Option<String>>,
    /// Grants per scope, one list call shared by every grant read of a refresh.
    grants: Coalesced<Vec<ScopeAccess>>,
    /// Keys per client, one GET shared by every key read of a refresh.
    jwks: Coalesced<Vec<Jwk>>,
    /// The organisation's scopes and clients, one list call each per refresh ([`reads`]).
    scope_list: Coalesced<Vec<Scope>>,
    client_list: Coalesced<Vec<Client>>,
    /// The key set we last wrote per client, and when: the base of the next change while the
    /// API's read side may not show it yet.
    written_keys: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Vec<Jwk>)>>,
    /// Organisation names by orgno, for grants' plans (one lookup per consumer per process).
    org_names: Coalesced<Option<String>>,
    /// Scopes this organisation may put on its clients (own, granted, open; delegation sources).
    usable_scopes: Coalesced<reads::UsableScopes>,
    /// Set once Digdir answered a per-key operation 404/405: this process then writes whole key
    /// sets (see `client_key_rules`).
    whole_key_sets: std::sync::atomic::AtomicBool,
    /// Clients this process created (no keys but ours; existing for later creates' snapshots).
    created_clients: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// The client ids that existed before this process's creates (see `reads`).
    create_snapshot: tokio::sync::Mutex<Option<(std::time::Instant, std::collections::BTreeSet<String>)>>,
    /// One key write at a time per client within this process.
    key_locks: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Whether the merchant-data server answers the contract (asked once per process).
    contacts_probe: OnceCell<Result<bool, String>>,
}

struct Configured {
    client: ApiClient,
    environment: &'static str,
    merchant_data_url: Option<url::Url>,
}

impl Shared {
    fn new(stop: CancellationToken) -> Self {
        Shared {
            stop,
            configured: OnceLock::new(),
            deferred: OnceLock::new(),
            prefixes: OnceCell::new(),
            validated_env: std::sync::Mutex::new(None),
            grants: Coalesced::new(Duration::from_secs(20)),
            jwks: Coalesced::new(Duration::from_secs(20)),
            scope_list: Coalesced::new(Duration::from_secs(20)),
            client_list: Coalesced::new(Duration::from_secs(20)),
            written_keys: Default::default(),
            org_names: Coalesced::new(Duration::from_secs(600)),
            usable_scopes: Coalesced::new(Duration::from_secs(20)),
            whole_key_sets: Default::default(),
            created_clients: Default::default(),
            create_snapshot: Default::default(),
            key_locks: Default::default(),
            contacts_probe: OnceCell::new(),
        }
    }

    /// The API client, or an error diagnostic when the provider is not configured.
    pub fn client(&self, diags: &mut Diagnostics) -> Option<&ApiClient> {
        match self.configured.get() {
            Some(c) => Some(&c.client),
            None => {
                diags.error(
                    "Provider not configured",
                    "The maskinporten provider has no usable configuration. Check the provider block and the MASKINPORTEN_* environment variables.",
                );
                None
            }
        }
    }

    /// The client for plan-time checks; `None` (skip the checks) when configuration is deferred.
    /// Its calls never probe for an admin scope after a refusal (see
    /// [`crate::api::admin_scopes`]); a check it cannot make ends in [`Shared::unchecked`].
    pub fn client_for_plan(&self) -> Option<ApiClient> {
        self.configured.get().map(|c| c.client.for_checks())
    }

    pub fn environment(&self) -> &'static str {
        self.configured.get().map_or("unknown", |c| c.environment)
    }

    /// Record an API failure as a diagnostic (through the single conversion in [`errors`]).
    pub fn push_api(&self, diags: &mut Diagnostics, err: &ApiError, what: &str, path: Option<AttrPath>) {
        errors::push_api(diags, err, what, self.environment(), path, self.configured.get().map(|c| &c.client), false);
    }

    /// A plan-time check that failed: a warning when the admin token lacks the scope the check
    /// needs (the check is skipped and apply gives Digdir's answer), else the error `push_api`
    /// makes. `what` names the check ("check which scopes your organisation may use").
    pub fn unchecked(&self, diags: &mut Diagnostics, err: &ApiError, what: &str, path: Option<AttrPath>) {
        if matches!(err, ApiError::ScopeNotGranted { .. }) {
            let consequence = "The plan goes on without this check; Digdir checks it again when the change is applied.";
            self.warn_api(diags, err, what, consequence);
        } else {
            self.push_api(diags, err, what, path);
        }
    }

    /// An API failure that only costs the plan some information, as a warning.
    pub fn warn_api(&self, diags: &mut Diagnostics, err: &ApiError, what: &str, consequence: &str) {
        errors::push_api_warning(
            diags,
            err,
            what,
            self.environment(),
            self.configured.get().map(|c| &c.client),
            consequence,
        );
    }

    /// As [`Shared::push_api`], for a call that acted for another organisation (supplier mode).
    pub fn push_supplier_api(&self, diags: &mut Diagnostics, err: &ApiError, what: &str) {
        errors::push_api(diags, err, what, self.environment(), None, self.configured.get().map(|c| &c.client), true);
    }

    /// Whether checks should be lenient for Digdir's TEST environment (synthetic orgnos).
    pub fn is_test_env(&self) -> bool {
        match self.configured.get() {
            Some(c) => c.environment == "test",
            None => {
                let seen = self.validated_env.lock().unwrap_or_else(|p| p.into_inner()).clone();
                seen.or_else(|| config::environment_name(&Value::Null)).as_deref() == Some("test")
            }
        }
    }

    /// The merchant-data server, when configured and answering the contract; otherwise the
    /// diagnostic that explains Digdir has no such endpoint. `Ok(None)`: configuration deferred.
    pub async fn merchant_data(&self) -> Result<Option<(&ApiClient, &url::Url)>, crate::tfplugin::Diagnostic> {
        let Some(c) = self.configured.get() else { return Ok(None) };
        let Some(url) = c.merchant_data_url.as_ref() else { return Err(contact::unavailable(None)) };
        let available = self
            .contacts_probe
            .get_or_init(|| async { c.client.contacts_available(url).await.map_err(|e| e.to_string()) })
            .await;
        match available {
            Ok(true) => Ok(Some((&c.client, url))),
            Ok(false) => Err(contact::unavailable(Some(url.as_str()))),
            Err(e) => {
                Err(crate::tfplugin::Diagnostic::error("Merchant-data server unreachable", format!("{url}: {e}")))
            }
        }
    }

    /// Whether to write keys one at a time (Digdir's per-key operations) in this process.
    pub fn per_key_ops(&self) -> bool {
        !self.whole_key_sets.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Digdir answered a per-key operation as if it did not exist: write whole sets from now on.
    pub fn per_key_unavailable(&self, answer: &ApiError) {
        if !self.whole_key_sets.swap(true, std::sync::atomic::Ordering::Relaxed) {
            tracing::debug!(answer = %answer, "Digdir does not serve the per-key operations here; writing whole key sets for this provider process");
        }
    }

    /// Serialise key writes to one client within this process.
    pub async fn key_lock(&self, client_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let m =
            self.key_locks.lock().unwrap_or_else(|p| p.into_inner()).entry(client_id.to_string()).or_default().clone();
        m.lock_owned().await
    }

    /// The organisation's scope prefixes, fetched once per provider process.
    pub async fn prefixes(&self, client: &ApiClient) -> Result<Vec<String>, ApiError> {
        self.prefixes
            .get_or_try_init(|| async {
                let list = client.list_prefixes().await?;
                Ok::<_, ApiError>(
                    list.into_iter().filter(|p| p.active != Some(false)).filter_map(|p| p.prefix).collect(),
                )
            })
            .await
            .cloned()
    }
}

/// How long after our own write a disagreeing read is retried (see `tfplugin::consistency`).
pub const READ_AFTER_WRITE_WINDOW: Duration = Duration::from_secs(30);

/// How long a create whose answer was lost keeps looking for the object it may have made before
/// concluding it made none: long enough for a lagging read side, short enough to wait out.
pub const RECONCILE_WINDOW: Duration = Duration::from_secs(10);

/// How often a create is sent in all. It is sent again only after reading has shown, for a whole
/// [`RECONCILE_WINDOW`], that the previous attempt made nothing — reconciled, never blind
/// (ARCHITECTURE.md, "Rules every resource follows") — and never after StopProvider.
pub const CREATE_ATTEMPTS: u32 = 3;

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
        READ_AFTER_WRITE_WINDOW
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        config::validate(config, diags);
        *self.shared.validated_env.lock().unwrap_or_else(|p| p.into_inner()) = config::environment_name(config);
    }

    async fn configure(&self, terraform_version: &str, config: &Value, diags: &mut Diagnostics) {
        if !config.is_fully_known() {
            // Values derived from resources not yet created: Terraform configures again at apply.
            let _ = self.shared.deferred.set(());
            return;
        }
        let Some(settings) = config::resolve(config, terraform_version, diags) else { return };
        let environment = settings.environment.name();
        let merchant_data_url = settings.merchant_data_url.clone();
        // No token yet: the first call that needs one asks for it, with the admin scopes that call
        // needs, so a command that calls nothing (`plan -refresh=false` without changes) costs no
        // request at all. A refused token is explained on that first call, once per process.
        let client = match ApiClient::new(settings.api, self.shared.stop.clone()) {
            Ok(c) => c,
            Err(e) => {
                errors::push_api(diags, &e, "set up the API client", environment, None, None, false);
                return;
            }
        };
        let _ = self.shared.configured.set(Configured { client, environment, merchant_data_url });
    }
}
