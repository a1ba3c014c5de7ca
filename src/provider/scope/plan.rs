//! The plan of `maskinporten_scope`: the name and defaults known before apply, and, on a create,
//! the API-backed checks (ARCHITECTURE.md, "Rules every resource follows"): the prefix must be
//! ours, and a scope of the same name must not exist active (import it) or deactivated with grants
//! that reactivation would bring back.

use super::model::DEFAULTS;
use crate::api::{ApiClient, Scope};
use crate::provider::Shared;
use crate::provider::shared::settle;
use crate::tfplugin::{AttrPath, PlanCtx, Tri, Value, ValueExt};

pub async fn plan(shared: &Shared, ctx: &mut PlanCtx<'_>) {
    let name = match (ctx.config.tri_str("prefix"), ctx.config.tri_str("subscope")) {
        (Tri::Known(p), Tri::Known(s)) => Some(format!("{p}:{s}")),
        _ => None,
    };
    let name_value = name.clone().map_or_else(Value::unknown, Value::String);
    ctx.set("id", name_value.clone());
    ctx.set("name", name_value);
    ctx.set("active", Value::Bool(true));
    for (attr, default) in DEFAULTS {
        if ctx.config.attr(attr).is_null() {
            ctx.set(attr, default());
        }
    }
    if ctx.is_create()
        && let Some(client) = shared.api.client_for_plan()
    {
        plan_checks(shared, &client, ctx, name.as_deref()).await;
    }
}

pub fn import_hint(name: &str) -> String {
    format!(
        "To manage it with Terraform, import it:\n\n  import {{\n    to = maskinporten_scope.<name>\n    id = \"{name}\"\n  }}\n\nor run: terraform import maskinporten_scope.<name> {name}"
    )
}

/// API-backed checks on a create, on known inputs only: the prefix must be ours, and a scope of
/// the same name must not exist active (import it) or deactivated with grants we'd resurrect.
async fn plan_checks(shared: &Shared, client: &ApiClient, ctx: &mut PlanCtx<'_>, name: Option<&str>) {
    let prefix = match ctx.config.tri_str("prefix") {
        Tri::Known(p) => Some(p.to_string()),
        _ => None,
    };
    // Both reads are needed on the usual path and neither depends on the other: side by side
    // they cost one round trip, not two (the list is dropped unread when the prefix is not ours).
    let (owned, listed) = tokio::join!(
        async {
            match &prefix {
                Some(_) => Some(shared.reads.prefixes(client).await),
                None => None,
            }
        },
        async {
            match name {
                Some(n) => Some(shared.reads.listed_scope(client, n).await),
                None => None,
            }
        }
    );
    if let (Some(prefix), Some(owned)) = (&prefix, owned) {
        match owned {
            Ok(owned) if !owned.iter().any(|p| p == prefix) => {
                let list = if owned.is_empty() { "none".to_string() } else { owned.join(", ") };
                ctx.diags.attr_error(
                    AttrPath::attr("prefix"),
                    "Prefix not owned by your organisation",
                    format!("The prefix {prefix:?} is not assigned to the organisation of the administration client (its prefixes: {list}). Digdir assigns prefixes on request (servicedesk@digdir.no)."),
                );
                return;
            }
            Ok(_) => {}
            Err(e) => {
                let what = "check that the prefix is your organisation's";
                shared.api.unchecked(&mut ctx.diags, &e, what, Some(AttrPath::attr("prefix")));
                return;
            }
        }
    }
    let (Some(name), Some(listed)) = (name, listed) else { return };
    let active = |s: &Option<Scope>| s.as_ref().is_some_and(|s| s.active != Some(false));
    // The process's shared list first (no read per planned scope); an active scope found there
    // is asked again, freshly, for a while: it may have been deactivated a moment ago.
    let found = match listed {
        Ok(s) if active(&s) => settle(|| client.get_scope(name), active).await,
        r => r,
    };
    match found {
        Ok(None) => {}
        Ok(Some(s)) if s.active != Some(false) => ctx.diags.attr_error(
            AttrPath::attr("subscope"),
            format!("Scope {name} already exists"),
            import_hint(name),
        ),
        Ok(Some(_)) => match returning_grants(client, name).await {
            Ok(grants) if grants.is_empty() => ctx.diags.warning(
                format!("Scope {name} exists deactivated and will be reactivated"),
                "Digdir never deletes scopes, so the deactivated scope is reactivated with this configuration instead of created anew.",
            ),
            Ok(grants) => ctx.diags.attr_error(AttrPath::attr("subscope"), format!("Scope {name} exists deactivated, with grants"), grants_detail(name, &grants)),
            Err(e) => shared.api.unchecked(&mut ctx.diags, &e, &format!("list the grants of the deactivated scope {name}"), None),
        },
        // A scope of another organisation: the prefix check above already explains ownership.
        Err(e) if e.status() == Some(403) => {}
        Err(e) => shared.api.unchecked(&mut ctx.diags, &e, &format!("check whether scope {name} exists already"), None),
    }
}

/// Grants Digdir kept on a deactivated scope, which reactivation would bring back
/// (docs/development/digdir-api.md, "Scopes"). Asked again for a while when there are some: they
/// may have been revoked a moment ago.
pub(super) async fn returning_grants(client: &ApiClient, name: &str) -> Result<Vec<String>, crate::api::ApiError> {
    let approved = || async {
        let grants = client.list_accesses(name, false).await?;
        Ok(grants.into_iter().filter(|g| g.is_approved()).filter_map(|g| g.consumer_orgno).collect::<Vec<_>>())
    };
    settle(approved, |g: &Vec<String>| !g.is_empty()).await
}

pub(super) fn grants_detail(name: &str, consumers: &[String]) -> String {
    let list: Vec<String> = consumers.iter().map(|c| format!("  - {c} (import id \"{name},{c}\")")).collect();
    format!(
        "Digdir kept the grants of the deactivated scope {name}; reactivating it would give these consumers access again without Terraform knowing:\n{}\n\nImport each grant as a maskinporten_scope_access resource, or revoke it first (DELETE /api/v1/scopes/access/<orgno>?scope={name} or in Samarbeidsportalen), then apply again.",
        list.join("\n")
    )
}
