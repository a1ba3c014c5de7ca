//! Static checks of `maskinporten_scope`, safe offline (`terraform validate`): formats, enums,
//! ranges. Unknown values are skipped.

use crate::tfplugin::{AttrPath, Diagnostics, Tri, Value, ValueExt};

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
