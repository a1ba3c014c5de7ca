//! The plan of `maskinporten_client_key` under the key rules of ARCHITECTURE.md, "Rules every
//! resource follows": the thumbprint is the key's identity (a different key is a replacement with
//! a new derived kid), a kid set by hand is never silently re-pointed, an expiry must lie within
//! Maskinporten's year, and warnings come 30 days before expiry and for the first key of a client
//! that existed before (which switches it from certificate to kid authentication).

use super::model::{default_kid, exp_of};
use crate::api::{ApiClient, ApiError, Jwk};
use crate::provider::Shared;
use crate::provider::keys::{self, PublicKey};
use crate::tfplugin::{AttrPath, Diagnostic, Diagnostics, PlanCtx, Tri, Value, ValueExt};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub async fn plan(shared: &Shared, ctx: &mut PlanCtx<'_>) {
    let key = match ctx.config.tri_str("key") {
        Tri::Known(t) => keys::parse(t).ok(),
        _ => None,
    };
    let thumb = key.as_ref().map(PublicKey::thumbprint);
    if ctx.config.attr("alg").is_null() {
        ctx.set("alg", Value::String("RS256".into()));
    }
    let client_id = ctx.config.tri_str("client_id").known().map(str::to_string);
    let prior = ctx.prior.cloned();
    match &prior {
        Some(p) => {
            let (Some(new), Some(old)) = (&thumb, p.opt_str("thumbprint")) else { return };
            if *new != old {
                if !ctx.config.attr("kid").is_null() {
                    ctx.diags.push(Diagnostic::error(
                        "New key material under the same kid",
                        "This kid is set explicitly and already names another key. Clients sign with the kid, and kids are unique in Maskinporten, so a new key needs a new kid: change `kid` too (or leave it out for a derived one), or add the new key as a separate resource (two-phase rotation).",
                    ).at(AttrPath::attr("key")));
                    return;
                }
                // A different key is a different object: replace, with a new derived kid.
                ctx.requires_replace.push(AttrPath::attr("thumbprint"));
                ctx.set("thumbprint", Value::String(new.clone()));
                if ctx.config.attr("expires_at").is_null() {
                    ctx.set("expires_at", Value::unknown());
                }
                let kid = client_id.as_deref().map_or_else(Value::unknown, |c| Value::String(default_kid(c, new)));
                ctx.set("kid", kid.clone());
                ctx.set("id", id_value(client_id.as_deref(), &kid));
            } else if let Some(exp) = p.opt_str("expires_at") {
                warn_expiry(&exp, &mut ctx.diags);
            }
        }
        None => {
            if let Tri::Known(t) = ctx.config.tri_str("expires_at") {
                check_expiry_range(t, &mut ctx.diags);
            }
            if ctx.config.attr("key").is_null() {
                ctx.diags.push(Diagnostic::error("Missing key", "A new client key needs `key`: the public key PEM, certificate PEM or public JWK to register. (Only an imported key may leave it out.)").at(AttrPath::attr("key")));
                return;
            }
            ctx.set("thumbprint", thumb.clone().map_or_else(Value::unknown, Value::String));
            let kid = match (ctx.config.tri_str("kid"), &client_id, &thumb) {
                (Tri::Known(k), _, _) => Value::String(k.to_string()),
                (Tri::Null, Some(c), Some(t)) => Value::String(default_kid(c, t)),
                _ => Value::unknown(),
            };
            ctx.set("kid", kid.clone());
            ctx.set("id", id_value(client_id.as_deref(), &kid));
            // A client made by this very apply has never signed a grant with x5c: only a client
            // that existed before gets the warning (and a warning per new client made an apply
            // of many clients slow: Terraform renders each with its source snippet).
            let existed = client_id.as_deref().is_some_and(|c| !shared.writes.created_here(c));
            if let (true, Some(c), Some(api)) = (existed, &client_id, shared.api.client_for_plan())
                && let Ok(list) = keys_of(shared, &api, c).await
                && list.is_empty()
            {
                ctx.diags.warning(
                            format!("First key on client {c}"),
                            "Once a client has a registered key, Maskinporten requires its token grants to name the key with `kid`; grants signed with a certificate in `x5c` stop working. Make sure the client's software signs with this key's kid.",
                        );
            }
        }
    }
}

fn id_value(client_id: Option<&str>, kid: &Value) -> Value {
    match (client_id, kid.as_str()) {
        (Some(c), Some(k)) => Value::String(format!("{c},{k}")),
        _ => Value::unknown(),
    }
}

/// Maskinporten keeps a key at most a year (docs/development/digdir-api.md, "Keys"): an expiry
/// must lie ahead, and within a year of now (a minute's grace for the time the apply takes).
fn check_expiry_range(expires_at: &str, diags: &mut Diagnostics) {
    let (Some(exp), Ok(now)) = (exp_of(expires_at), SystemTime::now().duration_since(SystemTime::UNIX_EPOCH)) else {
        return;
    };
    let now = now.as_secs() as i64;
    let problem = if exp <= now {
        Some("lies in the past")
    } else if exp > now + 365 * 24 * 3600 + 60 {
        Some("is more than a year ahead, beyond what Maskinporten accepts for a key")
    } else {
        None
    };
    if let Some(p) = problem {
        diags.push(
            Diagnostic::error(
                "Unusable expires_at",
                format!("{expires_at} {p}. Choose a time within the next year, or leave expires_at out for Digdir's default of one year."),
            )
            .at(AttrPath::attr("expires_at")),
        );
    }
}

fn warn_expiry(expires_at: &str, diags: &mut Diagnostics) {
    let Ok(at) = humantime::parse_rfc3339_weak(expires_at) else { return };
    if at < SystemTime::now() + Duration::from_secs(30 * 24 * 3600) {
        diags.warning(
            format!("Client key expires at {expires_at}"),
            "Maskinporten keys live at most a year, and this one expires within 30 days. Rotate it: add a new maskinporten_client_key, deploy the client with the new kid, then remove this one.",
        );
    }
}

/// The keys of a client for a plan: what this process wrote when it created the client (so the
/// plan Terraform makes of a new client's first key at apply time costs no round trip), else
/// Digdir's, from the shared refresh reads.
async fn keys_of(shared: &Shared, api: &ApiClient, client_id: &str) -> Result<Arc<Vec<Jwk>>, ApiError> {
    match shared.writes.keys_of_created(client_id) {
        Some(keys) => Ok(Arc::new(keys)),
        None => shared.reads.jwks(api, client_id).await,
    }
}
