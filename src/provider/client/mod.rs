//! `maskinporten_client`: a Maskinporten client (integration) of the organisation as an API
//! consumer (docs/development/digdir-api.md, "Clients"). `integration_type` is fixed to
//! `maskinporten`; destroy deactivates; a client deactivated out of band is reactivated in place
//! with the same client_id. POST is not idempotent, so the client_id is in state as soon as the
//! client exists, and a POST whose answer was lost is reconciled by reading the client list
//! (ARCHITECTURE.md, "Rules every resource follows").

mod create;
mod model;
mod plan;
mod validate;

pub use model::{JWT_BEARER, schema, state_of};

use super::Shared;
use crate::api::Client;
use crate::tfplugin::{Diagnostics, Identity, PlanCtx, Resource, Schema, Value, ValueExt};
use async_trait::async_trait;
use std::sync::Arc;

pub struct ClientResource {
    shared: Arc<Shared>,
}

impl ClientResource {
    pub fn new(shared: Arc<Shared>) -> Arc<Self> {
        Arc::new(ClientResource { shared })
    }
}

#[async_trait]
impl Resource for ClientResource {
    fn type_name(&self) -> &'static str {
        "maskinporten_client"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn identity(&self) -> Option<Identity> {
        Some(Identity::new(&[("client_id", "The client id.")]))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate::validate(&self.shared, config, diags);
    }

    async fn plan(&self, ctx: &mut PlanCtx<'_>) {
        plan::plan(&self.shared, ctx).await;
    }

    async fn create(&self, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let api = self.shared.api.client(diags)?;
        create::create(&self.shared, api, &model::to_api(planned, Client::default()), diags).await.map(state_of)
    }

    async fn read(&self, st: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.api.client(diags)?;
        let id = st.opt_str("client_id")?;
        self.shared
            .api
            .ok(self.shared.reads.client_registration(client, &id).await, diags, &format!("read client {id}"))
            .flatten()
            .map(state_of)
    }

    fn forget_cached(&self, _state: &Value) {
        self.shared.reads.clients_changed();
    }

    async fn update(&self, _prior: &Value, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.api.client(diags)?;
        let id = planned.opt_str("client_id")?;
        let planned = planned.clone();
        let updated = client.merge_update_client(&id, move |c| *c = model::to_api(&planned, std::mem::take(c))).await;
        self.shared.reads.clients_changed();
        self.shared.api.ok(updated, diags, &format!("update client {id}")).map(state_of)
    }

    async fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        let Some(client) = self.shared.api.client(diags) else { return };
        let Some(id) = prior.opt_str("client_id") else { return };
        let deactivated = client.deactivate_client(&id).await;
        self.shared.reads.clients_changed();
        match deactivated {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => self.shared.api.report(diags, &e, &format!("deactivate client {id}"), None),
        }
    }

    async fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.api.client(diags)?;
        match client.get_client(id).await {
            Ok(Some(c)) if c.integration_type.as_deref() == Some("maskinporten") => Some(state_of(c)),
            Ok(Some(c)) => {
                diags.error(
                    "Not a Maskinporten client",
                    format!(
                        "Client {id} has integration_type {:?}; this resource manages Maskinporten clients only.",
                        c.integration_type.unwrap_or_default()
                    ),
                );
                None
            }
            Ok(None) => {
                diags.error(
                    "Client not found",
                    format!("No client with client_id {id:?} is visible to your organisation."),
                );
                None
            }
            Err(e) => {
                self.shared.api.report(diags, &e, &format!("read client {id}"), None);
                None
            }
        }
    }
}
