//! `maskinporten_contact` (experimental): a notification point or invoice contact of a client or of
//! the organisation's API-provider side, on the merchant-data contract of
//! `docs/merchant-data-api.md` at `merchant_data_url`. Digdir's public API has no such endpoint
//! (docs/development/digdir-api.md, "Merchant data"), so without a server that serves the contract
//! every plan with this resource fails with the manual Samarbeidsportalen steps instead
//! (docs/merchant-data-api.md).

mod create;
mod model;
mod validate;

pub use model::unavailable;

use super::Shared;
use crate::tfplugin::{Diagnostics, Identity, PlanCtx, Resource, Schema, Value, ValueExt};
use async_trait::async_trait;
use model::{schema, state_of, to_api};
use std::sync::Arc;

pub struct ContactResource {
    shared: Arc<Shared>,
}

impl ContactResource {
    pub fn new(shared: Arc<Shared>) -> Arc<Self> {
        Arc::new(ContactResource { shared })
    }
}

impl ContactResource {
    async fn server(&self, diags: &mut Diagnostics) -> Option<(&crate::api::ApiClient, &url::Url)> {
        match self.shared.api.merchant_data().await {
            Ok(Some(s)) => Some(s),
            Ok(None) => {
                self.shared.api.client(diags);
                None
            }
            Err(d) => {
                diags.push(d);
                None
            }
        }
    }
}

#[async_trait]
impl Resource for ContactResource {
    fn type_name(&self) -> &'static str {
        "maskinporten_contact"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn identity(&self) -> Option<Identity> {
        Some(Identity::new(&[("id", "The contact id.")]))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate::validate(config, diags);
    }

    async fn plan(&self, ctx: &mut PlanCtx<'_>) {
        ctx.set("active", Value::Bool(true));
        // Fail every plan that contains the resource when no server serves the contract.
        if let Err(d) = self.shared.api.merchant_data().await {
            ctx.diags.push(d);
        }
    }

    async fn create(&self, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let (api, url) = self.server(diags).await?;
        create::create(&self.shared, api, url, &to_api(planned), diags).await.map(state_of)
    }

    async fn read(&self, st: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let (api, url) = self.server(diags).await?;
        let id = st.opt_str("id")?;
        self.shared
            .api
            .ok(api.get_contact(url, &id).await, diags, &format!("read contact {id}"))
            .flatten()
            .map(state_of)
    }

    async fn update(&self, _prior: &Value, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let (api, url) = self.server(diags).await?;
        let id = planned.opt_str("id")?;
        self.shared
            .api
            .ok(api.update_contact(url, &id, &to_api(planned)).await, diags, &format!("update contact {id}"))
            .map(state_of)
    }

    async fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        let Some((api, url)) = self.server(diags).await else { return };
        let Some(id) = prior.opt_str("id") else { return };
        let for_client = !prior.attr("client_id").is_null();
        match api.deactivate_contact(url, &id, for_client).await {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => self.shared.api.report(diags, &e, &format!("deactivate contact {id}"), None),
        }
    }

    async fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        let (api, url) = self.server(diags).await?;
        match api.get_contact(url, id).await {
            Ok(Some(c)) => Some(state_of(c)),
            Ok(None) => {
                diags.error("Contact not found", format!("No contact {id:?} is visible to your organisation."));
                None
            }
            Err(e) => {
                self.shared.api.report(diags, &e, &format!("read contact {id}"), None);
                None
            }
        }
    }
}
