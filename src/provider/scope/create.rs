//! The create of `maskinporten_scope`, reconciled through [`crate::provider::create`]: a scope's
//! name is unique, so what a lost create made is found by name, and Digdir's 409 means the name is
//! taken — by a deactivated scope of ours, which is reactivated when that brings back no grant
//! the configuration does not manage, or by an active one, which is to be imported.

use super::model::{state_of, to_api};
use super::plan::{grants_detail, import_hint, returning_grants};
use crate::api::{ApiClient, ApiError, Scope};
use crate::provider::Shared;
use crate::provider::create::{Creation, Found, reconciled};
use crate::provider::shared::settle;
use crate::tfplugin::{AttrPath, Diagnostics, Value, ValueExt};
use async_trait::async_trait;

struct ScopeCreate<'a> {
    shared: &'a Shared,
    api: &'a ApiClient,
    name: String,
    planned: &'a Value,
}

/// Create the planned scope; its state, or `None` with diagnostics.
pub async fn create(shared: &Shared, api: &ApiClient, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
    let name = planned.opt_str("name")?;
    reconciled(shared, &ScopeCreate { shared, api, name, planned }, diags).await.map(state_of)
}

#[async_trait]
impl Creation for ScopeCreate<'_> {
    type Made = Scope;

    fn what(&self) -> String {
        format!("create scope {}", self.name)
    }

    async fn send(&self) -> Result<Scope, ApiError> {
        let created = self.api.create_scope(&to_api(self.planned, Scope::default())).await;
        self.shared.reads.scopes_changed();
        created
    }

    /// The name was free at plan time, so a scope that now exists active with our description is
    /// the one the lost create made; one that exists deactivated means the lost answer was the
    /// 409 of a re-create.
    async fn find(&self) -> Result<Found<Scope>, ApiError> {
        let found = settle(|| self.api.get_scope(&self.name), Option::is_none).await?;
        Ok(match found {
            None => Found::Nothing,
            Some(s) if s.active == Some(false) => Found::Conflict,
            Some(s) if s.description == self.planned.opt_str("description") => Found::Ours(s),
            Some(_) => Found::Unclear(format!(
                "scope {name} exists now, with another description: if it is yours, import it with `terraform import <address> {name}`.",
                name = self.name
            )),
        })
    }

    fn is_conflict(&self, err: &ApiError) -> bool {
        err.status() == Some(409)
    }

    async fn conflict(&self, diags: &mut Diagnostics) -> Option<Scope> {
        reactivate(self, diags).await
    }

    fn report(&self, shared: &Shared, diags: &mut Diagnostics, err: &ApiError, what: &str) {
        shared.api.report(diags, err, what, Some(AttrPath::attr("subscope")));
    }
}

/// The name is taken. Reactivate the scope when it is deactivated and brings back no grants;
/// otherwise explain. Checked again here, though the plan checked it, because apply decides.
async fn reactivate(c: &ScopeCreate<'_>, diags: &mut Diagnostics) -> Option<Scope> {
    let (shared, api, name) = (c.shared, c.api, c.name.as_str());
    // The 409 is the write side's word that the scope exists; the read side may still show it
    // active (a deactivation a moment ago) or not at all (a create a moment ago).
    let deactivated = |s: &Option<Scope>| s.as_ref().is_some_and(|s| s.active == Some(false));
    let existing = match settle(|| api.get_scope(name), |s| !deactivated(s)).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            diags.error(format!("Scope {name} conflicts but cannot be read"), "Digdir answered 409 Conflict on create, yet the scope is not visible. It may belong to another organisation.");
            return None;
        }
        Err(e) => {
            shared.api.report(diags, &e, &format!("read scope {name} after a conflict"), None);
            return None;
        }
    };
    if existing.active != Some(false) {
        diags.attr_error(AttrPath::attr("subscope"), format!("Scope {name} already exists"), import_hint(name));
        return None;
    }
    let grants = shared.api.ok(returning_grants(api, name).await, diags, &format!("list grants of scope {name}"))?;
    if !grants.is_empty() {
        let summary = format!("Scope {name} exists deactivated, with grants");
        diags.attr_error(AttrPath::attr("subscope"), summary, grants_detail(name, &grants));
        return None;
    }
    let planned = c.planned.clone();
    let updated = api.merge_update_scope(name, move |s| *s = to_api(&planned, std::mem::take(s))).await;
    shared.reads.scopes_changed();
    shared.api.ok(updated, diags, &format!("reactivate scope {name}"))
}
