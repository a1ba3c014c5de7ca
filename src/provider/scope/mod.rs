//! `maskinporten_scope`: a scope `prefix:subscope` that the organisation offers as an API provider
//! (docs/development/digdir-api.md, "Scopes"). Destroy deactivates (Digdir never deletes); a scope
//! deactivated out of band plans `active` false → true and is reactivated in place; creating a
//! scope that exists deactivated reactivates it, but only when no grant the configuration does not
//! manage would come back with it (ARCHITECTURE.md, "Rules every resource follows").

mod create;
mod model;
mod plan;
mod validate;

pub use model::{schema, state_of};

use super::Shared;
use super::scope_name::ScopeName;
use crate::tfplugin::{AttrPath, Diagnostics, Identity, ObjectBuilder, PlanCtx, Resource, Schema, Value, ValueExt};
use async_trait::async_trait;
use std::sync::Arc;

pub struct ScopeResource {
    shared: Arc<Shared>,
}

impl ScopeResource {
    pub fn new(shared: Arc<Shared>) -> Arc<Self> {
        Arc::new(ScopeResource { shared })
    }
}

/// Optional attributes removed from configuration are cleared by leaving them out of the PUT,
/// which replaces the scope (docs/development/digdir-api.md, "Scopes"; inferred from Digdir's
/// docs and its production clients, never sent as null or ""). Should Digdir keep a value
/// anyway, say so rather than let the next plan find drift no apply can repair.
fn check_cleared(planned: &Value, answer: &Value, diags: &mut Diagnostics) {
    for attr in ["long_description", "delegation_source", "enforced_aud_for_access_token"] {
        if planned.attr(attr).is_null()
            && let Some(kept) = answer.opt_str(attr)
        {
            diags.attr_error(
                AttrPath::attr(attr),
                format!("Digdir kept {attr}"),
                format!("{attr} was removed from the configuration and left out of the update, which clears it at Digdir as far as is known, but Digdir still has {kept:?}. Clear it in Samarbeidsportalen, or set it again; and please report this (docs/guides/digdir-compatibility.md)."),
            );
        }
    }
}

#[async_trait]
impl Resource for ScopeResource {
    fn type_name(&self) -> &'static str {
        "maskinporten_scope"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn identity(&self) -> Option<Identity> {
        Some(Identity::new(&[("name", "The scope name, `<prefix>:<subscope>`.")]))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate::validate(config, diags);
    }

    async fn plan(&self, ctx: &mut PlanCtx<'_>) {
        plan::plan(&self.shared, ctx).await;
    }

    async fn create(&self, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        create::create(&self.shared, self.shared.api.client(diags)?, planned, diags).await
    }

    async fn read(&self, state: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.api.client(diags)?;
        let name = state.opt_str("name")?;
        // Grants and clients refresh after the scopes they name: start this scope's grant list
        // (and, when `scopes` allow it, the client list) now, beside the scope list and the other
        // scopes' grant lists, rather than one list per wave of Terraform's reads. A scope found
        // gone or deactivated wastes that one list; a failed list is not kept, so the reads that
        // need it ask again.
        self.shared.reads.prefetch_clients(client);
        if state.opt_bool("active") != Some(false) {
            self.shared.reads.prefetch_grants(client, &name);
        }
        self.shared
            .api
            .ok(self.shared.reads.scope(client, &name).await, diags, &format!("read scope {name}"))
            .flatten()
            .map(state_of)
    }

    fn forget_cached(&self, _state: &Value) {
        self.shared.reads.scopes_changed();
    }

    async fn update(&self, _prior: &Value, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.api.client(diags)?;
        let name = planned.opt_str("name")?;
        let planned = planned.clone();
        let sent = planned.clone();
        let updated = client.merge_update_scope(&name, move |s| *s = model::to_api(&planned, std::mem::take(s))).await;
        self.shared.reads.scopes_changed();
        let state = state_of(self.shared.api.ok(updated, diags, &format!("update scope {name}"))?);
        check_cleared(&sent, &state, diags);
        Some(state)
    }

    async fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        let Some(client) = self.shared.api.client(diags) else { return };
        let Some(name) = prior.opt_str("name") else { return };
        let deactivated = client.deactivate_scope(&name).await;
        self.shared.reads.scopes_changed();
        match deactivated {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => self.shared.api.report(diags, &e, &format!("deactivate scope {name}"), None),
        }
    }

    async fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        let name = match ScopeName::parse(id) {
            Ok(n) => n,
            Err(why) => {
                diags.error(
                    "Invalid import id",
                    format!("Expected a scope name <prefix>:<subscope>, e.g. demo:orders.read: {why}."),
                );
                return None;
            }
        };
        Some(
            ObjectBuilder::new(&schema())
                .str("id", Some(id))
                .str("name", Some(id))
                .str("prefix", Some(name.prefix))
                .str("subscope", Some(name.subscope))
                .build(),
        )
    }
}
