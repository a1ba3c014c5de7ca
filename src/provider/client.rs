//! `maskinporten_client`: a Maskinporten client (integration) of the organisation as an API
//! consumer (docs/development/digdir-api.md, "Clients"). `integration_type` is fixed to
//! `maskinporten`; destroy deactivates; a client deactivated out of band is reactivated in place
//! with the same client_id. POST is not idempotent, so the client_id is in state as soon as the
//! client exists, and a POST whose answer was lost is reconciled by reading the client list
//! (ARCHITECTURE.md, "Rules every resource follows").

use super::Shared;
use super::client_rules as rules;
use crate::api::Client;
use crate::tfplugin::{
    Attribute, Diagnostics, Identity, ObjectBuilder, PlanCtx, Resource, Schema, Type, Value, ValueExt,
};
use async_trait::async_trait;
use std::sync::Arc;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

pub struct ClientResource {
    shared: Arc<Shared>,
}

impl ClientResource {
    pub fn new(shared: Arc<Shared>) -> Arc<Self> {
        Arc::new(ClientResource { shared })
    }
}

pub fn schema() -> Schema {
    let fixed = |n: &str, ty: Type, d: &str| Attribute::computed(n, ty).describe(d);
    Schema::new(
        "A Maskinporten client of your organisation (or, as a supplier, of a customer). Destroying it \
         deactivates it; Digdir never deletes clients. Keys are managed with `maskinporten_client_key`.",
        vec![
            Attribute::computed("id", Type::String).describe("The client_id; the import id."),
            Attribute::computed("client_id", Type::String).describe("The client id Digdir generated (API field `client_id`), used as `iss` in the client's token grants."),
            Attribute::required("client_name", Type::String).describe("Name of the client (API field `client_name`). Not unique at Digdir."),
            Attribute::required("description", Type::String).describe("What the client is for (API field `description`); visible to Digdir, not to citizens."),
            Attribute::required("scopes", Type::set(Type::String)).describe("Scopes the client may request (API field `scopes`); at least one. Each must be usable by the client's organisation: granted to it, accessible to all, or (for suppliers) from a delegation source. The plan warns about scopes that look unusable."),
            Attribute::optional_computed("client_orgno", Type::String).force_new().describe("Organisation the client belongs to (API field `client_orgno`). Defaults to your organisation; set it to a customer's organisation number to register the client as their supplier (needs the admin scope `idporten:dcr.supplier`). Changing it creates a new client."),
            Attribute::computed("supplier_orgno", Type::String).describe("Your organisation number when the client was registered for a customer (API field `supplier_orgno`), else null."),
            Attribute::optional_computed("access_token_lifetime", Type::Number).describe("Lifetime in seconds of access tokens issued to the client (API field `access_token_lifetime`); must be greater than 0. Default: Digdir's (120)."),
            Attribute::optional_computed("authorization_lifetime", Type::Number).describe("Authorization lifetime in seconds (API field `authorization_lifetime`); must be greater than 0. Default: Digdir's (7200)."),
            fixed("integration_type", Type::String, "Always `maskinporten` (API field `integration_type`)."),
            fixed("application_type", Type::String, "Always `web`, as Maskinporten clients are registered (API field `application_type`)."),
            fixed("token_endpoint_auth_method", Type::String, "Always `private_key_jwt`: Maskinporten accepts only keys and certificates (API field `token_endpoint_auth_method`)."),
            fixed("grant_types", Type::set(Type::String), "Always the JWT-bearer grant (API field `grant_types`)."),
            Attribute::computed("active", Type::Bool).describe("Whether the client is active. Reads false when it was deactivated outside Terraform; the next apply reactivates it in place, keeping its client_id."),
        ],
    )
}

/// The registration to send for a planned state; `base` (the current registration on update)
/// keeps fields this resource does not manage.
fn to_api(v: &Value, base: Client) -> Client {
    Client {
        client_name: v.opt_str("client_name"),
        description: v.opt_str("description"),
        scopes: Some(v.opt_strs("scopes").unwrap_or_default()),
        client_orgno: v.opt_str("client_orgno").or(base.client_orgno),
        supplier_orgno: base.supplier_orgno,
        access_token_lifetime: v.opt_i64("access_token_lifetime").or(base.access_token_lifetime),
        authorization_lifetime: v.opt_i64("authorization_lifetime").or(base.authorization_lifetime),
        integration_type: Some("maskinporten".into()),
        application_type: Some("web".into()),
        token_endpoint_auth_method: Some("private_key_jwt".into()),
        grant_types: Some(vec![JWT_BEARER.into()]),
        active: Some(true),
        ..base
    }
}

/// The state of a client as Digdir returns it (also used by the data sources).
pub fn state_of(c: Client) -> Value {
    ObjectBuilder::new(&schema())
        .str("id", c.client_id.clone())
        .str("client_id", c.client_id)
        .str("client_name", c.client_name)
        .str("description", c.description)
        .strs("scopes", Some(c.scopes.unwrap_or_default()))
        .str("client_orgno", c.client_orgno)
        .str("supplier_orgno", c.supplier_orgno.filter(|s| !s.is_empty()))
        .int("access_token_lifetime", c.access_token_lifetime)
        .int("authorization_lifetime", c.authorization_lifetime)
        .str("integration_type", c.integration_type)
        .str("application_type", c.application_type)
        .str("token_endpoint_auth_method", c.token_endpoint_auth_method)
        .strs("grant_types", c.grant_types)
        .bool("active", Some(c.active.unwrap_or(true)))
        .build()
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
        rules::validate(&self.shared, config, diags);
    }

    async fn plan(&self, ctx: &mut PlanCtx<'_>) {
        ctx.set("integration_type", Value::String("maskinporten".into()));
        ctx.set("application_type", Value::String("web".into()));
        ctx.set("token_endpoint_auth_method", Value::String("private_key_jwt".into()));
        ctx.set("grant_types", Value::Set(vec![Value::String(JWT_BEARER.into())]));
        ctx.set("active", Value::Bool(true));
        // A client registered before 2025 reads back lifetimes of 0, which Digdir no longer
        // accepts in a write: an update leaves them out (api/clients.rs), and Digdir answers with
        // its defaults, so such a lifetime is known only after the apply.
        if let Some(prior) = ctx.prior
            && ctx.planned != *prior
        {
            for attr in ["access_token_lifetime", "authorization_lifetime"] {
                if ctx.config.attr(attr).is_null() && prior.opt_i64(attr) == Some(0) {
                    ctx.set(attr, Value::unknown());
                }
            }
        }
        let scopes_changed = ctx.prior.is_none_or(|p| p.opt_strs("scopes") != ctx.config.opt_strs("scopes"));
        if scopes_changed && let Some(client) = self.shared.client_for_plan() {
            rules::warn_unusable_scopes(&self.shared, &client, ctx).await;
        }
    }

    async fn create(&self, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.client(diags)?;
        rules::create(&self.shared, client, &to_api(planned, Client::default()), diags).await.map(state_of)
    }

    async fn read(&self, st: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.client(diags)?;
        let id = st.opt_str("client_id")?;
        match self.shared.client_of(client, &id).await {
            Ok(c) => c.map(state_of),
            Err(e) => {
                self.shared.push_api(diags, &e, &format!("read client {id}"), None);
                None
            }
        }
    }

    fn forget_cached(&self, _state: &Value) {
        self.shared.clients_changed();
    }

    async fn update(&self, _prior: &Value, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.client(diags)?;
        let id = planned.opt_str("client_id")?;
        let planned = planned.clone();
        let updated = client.merge_update_client(&id, move |c| *c = to_api(&planned, std::mem::take(c))).await;
        self.shared.clients_changed();
        match updated {
            Ok(c) => Some(state_of(c)),
            Err(e) => {
                self.shared.push_api(diags, &e, &format!("update client {id}"), None);
                None
            }
        }
    }

    async fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        let Some(client) = self.shared.client(diags) else { return };
        let Some(id) = prior.opt_str("client_id") else { return };
        let deactivated = client.deactivate_client(&id).await;
        self.shared.clients_changed();
        match deactivated {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => self.shared.push_api(diags, &e, &format!("deactivate client {id}"), None),
        }
    }

    async fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.client(diags)?;
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
                self.shared.push_api(diags, &e, &format!("read client {id}"), None);
                None
            }
        }
    }
}
