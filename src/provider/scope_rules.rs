//! The rules of `maskinporten_scope` that need more than a field mapping: static validation,
//! the API-backed plan checks (prefix ownership, an existing scope of the same name), and the
//! reactivation of a deactivated scope on create (ARCHITECTURE.md, "Rules every resource follows").

use super::Shared;
use super::reads::settle;
use crate::api::{ApiClient, Scope};
use crate::tfplugin::{AttrPath, Diagnostics, PlanCtx, Tri, Value, ValueExt};

const TOKEN_TYPES: &[&str] = &["SELF_CONTAINED", "OPAQUE"];
const VISIBILITIES: &[&str] = &["PUBLIC", "PRIVATE"];
const INTEGRATION_TYPES: &[&str] =
    &["ansattporten", "api_klient", "eformidling", "idporten", "idporten_saml2", "krr", "maskinporten"];

/// Prefixes are assigned by Digdir; observed ones are lowercase letters, digits and `-`.
fn valid_prefix(p: &str) -> bool {
    !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || "æøå".contains(c))
}

/// Digdir states no subscope rules (docs/development/digdir-api.md, "Scopes" [U]); this accepts
/// what real scopes use and refuses what would break a scope name (whitespace, upper case, empty
/// segments, edges of `/` or `:`).
fn subscope_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        return Some("must not be empty");
    }
    if let Some(c) = s.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "æøå/.:-_".contains(*c))) {
        return Some(if c.is_whitespace() {
            "must not contain whitespace"
        } else if c.is_uppercase() {
            "must be lowercase"
        } else {
            "may contain only lowercase letters, digits and / . : - _"
        });
    }
    let edge = |c: char| "/.:".contains(c);
    if s.starts_with(edge) || s.ends_with(edge) {
        return Some("must not start or end with / . or :");
    }
    if ["//", "::", "..", "/:", ":/"].iter().any(|p| s.contains(p)) {
        return Some("must not contain empty segments");
    }
    None
}

fn one_of(config: &Value, attr: &str, allowed: &[&str], diags: &mut Diagnostics) {
    if let Tri::Known(v) = config.tri_str(attr)
        && !allowed.contains(&v)
    {
        diags.attr_error(
            AttrPath::attr(attr),
            format!("Invalid {attr}"),
            format!("Expected one of {}; got {v:?}.", allowed.join(", ")),
        );
    }
}

/// Static checks, safe offline (`terraform validate`); unknown values are skipped.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if let Tri::Known(p) = config.tri_str("prefix")
        && !valid_prefix(p)
    {
        diags.attr_error(AttrPath::attr("prefix"), "Invalid prefix", format!("{p:?} is not a scope prefix: use the prefix Digdir assigned to you, in lowercase letters, digits and '-', without the colon."));
    }
    if let Tri::Known(s) = config.tri_str("subscope")
        && let Some(problem) = subscope_problem(s)
    {
        diags.attr_error(AttrPath::attr("subscope"), "Invalid subscope", format!("The subscope {s:?} {problem}."));
    }
    if let Tri::Known("") = config.tri_str("description") {
        diags.attr_error(
            AttrPath::attr("description"),
            "Empty description",
            "Digdir requires a description; it is shown to consumers.",
        );
    }
    for attr in ["long_description", "delegation_source", "enforced_aud_for_access_token"] {
        if let Tri::Known("") = config.tri_str(attr) {
            diags.attr_error(
                AttrPath::attr(attr),
                format!("Empty {attr}"),
                "Leave the attribute out instead of setting an empty string.",
            );
        }
    }
    one_of(config, "token_type", TOKEN_TYPES, diags);
    one_of(config, "visibility", VISIBILITIES, diags);
    if let Tri::Known(types) = config.tri_strs("allowed_integration_types") {
        for t in types.into_iter().flatten() {
            if !INTEGRATION_TYPES.contains(&t.as_str()) {
                diags.attr_error(
                    AttrPath::attr("allowed_integration_types"),
                    "Invalid integration type",
                    format!("{t:?} is not one of {}.", INTEGRATION_TYPES.join(", ")),
                );
            }
        }
    }
    for attr in ["at_max_age", "authorization_max_lifetime"] {
        if let Tri::Known(n) = config.tri_i64(attr)
            && n < 0
        {
            diags.attr_error(
                AttrPath::attr(attr),
                format!("Invalid {attr}"),
                "Must be 0 (Digdir's default) or a positive number of seconds.",
            );
        }
    }
    if let Tri::Known(u) = config.tri_str("delegation_source")
        && !u.starts_with("https://")
    {
        diags.attr_error(
            AttrPath::attr("delegation_source"),
            "Invalid delegation_source",
            "Expected the issuer URL of a delegation source, e.g. \"https://www.altinn.no/\".",
        );
    }
}

/// Optional attributes removed from configuration are cleared by leaving them out of the PUT,
/// which replaces the scope (docs/development/digdir-api.md, "Scopes"; inferred from Digdir's
/// docs and its production clients, never sent as null or ""). Should Digdir keep a value
/// anyway, say so rather than let the next plan find drift no apply can repair.
pub fn check_cleared(planned: &Value, answer: &Value, diags: &mut Diagnostics) {
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

fn import_hint(name: &str) -> String {
    format!(
        "To manage it with Terraform, import it:\n\n  import {{\n    to = maskinporten_scope.<name>\n    id = \"{name}\"\n  }}\n\nor run: terraform import maskinporten_scope.<name> {name}"
    )
}

/// API-backed checks on a create, on known inputs only: the prefix must be ours, and a scope of
/// the same name must not exist active (import it) or deactivated with grants we'd resurrect.
pub async fn plan_checks(shared: &Shared, client: &ApiClient, ctx: &mut PlanCtx<'_>, name: Option<&str>) {
    let prefix = match ctx.config.tri_str("prefix") {
        Tri::Known(p) => Some(p.to_string()),
        _ => None,
    };
    // Both reads are needed on the usual path and neither depends on the other: side by side
    // they cost one round trip, not two (the list is dropped unread when the prefix is not ours).
    let (owned, listed) = tokio::join!(
        async {
            match &prefix {
                Some(_) => Some(shared.prefixes(client).await),
                None => None,
            }
        },
        async {
            match name {
                Some(n) => Some(shared.listed_scope(client, n).await),
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
                shared.unchecked(&mut ctx.diags, &e, what, Some(AttrPath::attr("prefix")));
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
            Err(e) => shared.unchecked(&mut ctx.diags, &e, &format!("list the grants of the deactivated scope {name}"), None),
        },
        // A scope of another organisation: the prefix check above already explains ownership.
        Err(e) if e.status() == Some(403) => {}
        Err(e) => shared.unchecked(&mut ctx.diags, &e, &format!("check whether scope {name} exists already"), None),
    }
}

/// Grants Digdir kept on a deactivated scope, which reactivation would bring back
/// (docs/development/digdir-api.md, "Scopes"). Asked again for a while when there are some: they
/// may have been revoked a moment ago.
async fn returning_grants(client: &ApiClient, name: &str) -> Result<Vec<String>, crate::api::ApiError> {
    let approved = || async {
        let grants = client.list_accesses(name, false).await?;
        Ok(grants.into_iter().filter(|g| g.is_approved()).filter_map(|g| g.consumer_orgno).collect::<Vec<_>>())
    };
    settle(approved, |g: &Vec<String>| !g.is_empty()).await
}

fn grants_detail(name: &str, consumers: &[String]) -> String {
    let list: Vec<String> = consumers.iter().map(|c| format!("  - {c} (import id \"{name},{c}\")")).collect();
    format!(
        "Digdir kept the grants of the deactivated scope {name}; reactivating it would give these consumers access again without Terraform knowing:\n{}\n\nImport each grant as a maskinporten_scope_access resource, or revoke it first (DELETE /api/v1/scopes/access/<orgno>?scope={name} or in Samarbeidsportalen), then apply again.",
        list.join("\n")
    )
}

/// Create answered 409: the scope exists. Reactivate it when it is deactivated and brings back no
/// grants; otherwise explain. Re-checked here because apply is authoritative.
pub async fn reactivate(
    shared: &Shared,
    client: &ApiClient,
    name: &str,
    planned: &Value,
    to_api: fn(&Value, Scope) -> Scope,
    diags: &mut Diagnostics,
) -> Option<Scope> {
    // The 409 is the write side's word that the scope exists; the read side may still show it
    // active (a deactivation a moment ago) or not at all (a create a moment ago).
    let deactivated = |s: &Option<Scope>| s.as_ref().is_some_and(|s| s.active == Some(false));
    let existing = match settle(|| client.get_scope(name), |s| !deactivated(s)).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            diags.error(format!("Scope {name} conflicts but cannot be read"), "Digdir answered 409 Conflict on create, yet the scope is not visible. It may belong to another organisation.");
            return None;
        }
        Err(e) => {
            shared.push_api(diags, &e, &format!("read scope {name} after a conflict"), None);
            return None;
        }
    };
    if existing.active != Some(false) {
        diags.attr_error(AttrPath::attr("subscope"), format!("Scope {name} already exists"), import_hint(name));
        return None;
    }
    match returning_grants(client, name).await {
        Ok(g) if g.is_empty() => {}
        Ok(g) => {
            diags.attr_error(
                AttrPath::attr("subscope"),
                format!("Scope {name} exists deactivated, with grants"),
                grants_detail(name, &g),
            );
            return None;
        }
        Err(e) => {
            shared.push_api(diags, &e, &format!("list grants of scope {name}"), None);
            return None;
        }
    }
    let planned = planned.clone();
    let updated = client.merge_update_scope(name, move |s| *s = to_api(&planned, std::mem::take(s))).await;
    shared.scopes_changed();
    match updated {
        Ok(s) => Some(s),
        Err(e) => {
            shared.push_api(diags, &e, &format!("reactivate scope {name}"), None);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscopes_seen_in_the_wild_are_valid() {
        for s in [
            "orders.read",
            "accessmanagement/authorizedparties.admin",
            "arbeid:some.scope.read",
            "movement/road/v2",
            "a_b-c",
        ] {
            assert_eq!(subscope_problem(s), None, "{s}");
        }
    }

    #[test]
    fn broken_subscopes_are_explained() {
        assert_eq!(subscope_problem("Orders"), Some("must be lowercase"));
        assert_eq!(subscope_problem("a b"), Some("must not contain whitespace"));
        assert_eq!(subscope_problem("/a"), Some("must not start or end with / . or :"));
        assert_eq!(subscope_problem("a//b"), Some("must not contain empty segments"));
        assert_eq!(subscope_problem(""), Some("must not be empty"));
    }

    #[test]
    fn prefixes_are_lowercase_words() {
        assert!(valid_prefix("demo") && valid_prefix("nav") && valid_prefix("skatt-etaten"));
        assert!(!valid_prefix("Demo") && !valid_prefix("demo:") && !valid_prefix(""));
    }
}
