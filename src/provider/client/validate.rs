//! Static checks of `maskinporten_client`, safe offline (`terraform validate`).

use crate::provider::scope_name::ScopeName;
use crate::provider::{Shared, orgno};
use crate::tfplugin::{AttrPath, Diagnostics, Tri, Value, ValueExt};

pub fn validate(shared: &Shared, config: &Value, diags: &mut Diagnostics) {
    for attr in ["access_token_lifetime", "authorization_lifetime"] {
        if let Tri::Known(n) = config.tri_i64(attr)
            && n <= 0
        {
            diags.attr_error(
                AttrPath::attr(attr),
                format!("Invalid {attr}"),
                "Must be greater than 0 seconds; Digdir refuses 0 since 2025. Leave it out for Digdir's default.",
            );
        }
    }
    if let Tri::Known(scopes) = config.tri_strs("scopes") {
        if scopes.is_empty() {
            diags.attr_error(
                AttrPath::attr("scopes"),
                "No scopes",
                "A Maskinporten client needs at least one scope; Digdir refuses clients without.",
            );
        }
        for s in scopes.into_iter().flatten() {
            ScopeName::check(&s, AttrPath::attr("scopes").key(s.clone()), diags);
        }
    }
    for attr in ["client_name", "description"] {
        if let Tri::Known("") = config.tri_str(attr) {
            diags.attr_error(AttrPath::attr(attr), format!("Empty {attr}"), "Digdir requires a non-empty value.");
        }
    }
    if let Tri::Known(o) = config.tri_str("client_orgno") {
        orgno::check(o, AttrPath::attr("client_orgno"), shared.api.is_test_env(), diags);
    }
}
