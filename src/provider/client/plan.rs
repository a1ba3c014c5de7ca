//! The plan of `maskinporten_client`: the fixed values, lifetimes that only apply can know, and a
//! *warning* (apply gives the authoritative answer) for scopes the organisation does not seem able
//! to use (ARCHITECTURE.md, "Rules every resource follows").

use super::model::JWT_BEARER;
use crate::api::ApiClient;
use crate::provider::Shared;
use crate::tfplugin::{AttrPath, PlanCtx, Tri, Value, ValueExt};

pub async fn plan(shared: &Shared, ctx: &mut PlanCtx<'_>) {
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
    if scopes_changed && let Some(client) = shared.api.client_for_plan() {
        warn_unusable_scopes(shared, &client, ctx).await;
    }
}

/// A plan-time *warning* (apply gives the authoritative answer) for scopes the organisation does
/// not seem able to use. Skipped for supplier clients (their customer's grants are not visible
/// to us) and delegation-source scopes. A grant made in this same apply by the API provider's
/// configuration cannot be seen from here; the warning says so. Without an admin scope that reads
/// scopes (a consumer with dcr.* only), scopes not in the public catalogue are reported unchecked.
async fn warn_unusable_scopes(shared: &Shared, client: &ApiClient, ctx: &mut PlanCtx<'_>) {
    if !ctx.config.attr("client_orgno").is_null() {
        return;
    }
    let Tri::Known(scopes) = ctx.config.tri_strs("scopes") else { return };
    let sets = match shared.reads.usable_scopes(client).await {
        Ok(u) => u,
        Err(e) => {
            return shared.api.unchecked(&mut ctx.diags, &e, "check which scopes your organisation may use", None);
        }
    };
    let mut unchecked = vec![];
    for s in scopes.into_iter().flatten() {
        if sets.open.contains(&s) || sets.delegated.contains(&s) {
            continue;
        }
        match sets.ours(&s) {
            Ok(true) => {}
            Ok(false) => ctx.diags.push(
                crate::tfplugin::Diagnostic::warning(
                    format!("Scope {s} may not be usable by your organisation"),
                    format!("Your organisation has no approved grant for {s}, does not own it, and it is not accessible to all. Digdir will refuse the client unless the API provider grants access first. If the grant is made in this same apply (for example by another provider configuration), ignore this warning."),
                )
                .at(AttrPath::attr("scopes").key(s.clone())),
            ),
            Err(_) => unchecked.push(s),
        }
    }
    if let (false, Err(e)) = (unchecked.is_empty(), &sets.private) {
        let what = format!("check whether your organisation may use {}", unchecked.join(", "));
        let consequence = "Whether these scopes were granted to your organisation is read from its scopes and received grants (GET /scopes, GET /scopes/access/all), which need idporten:scopes.read or idporten:scopes.write. The plan goes on without this check; Digdir checks it when the client is created or changed.";
        shared.api.warn(&mut ctx.diags, e, &what, consequence);
    }
}
