//! Static checks of `maskinporten_client_key`, safe offline (`terraform validate`).

use super::model::exp_of;
use crate::provider::keys;
use crate::tfplugin::{AttrPath, Diagnostics, Tri, Value, ValueExt};

/// Static checks: the key parses as a public RSA key of ≥ 2048 bits; alg and kid are well formed.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if let Tri::Known(text) = config.tri_str("key")
        && let Err(e) = keys::parse(text)
    {
        diags.attr_error(AttrPath::attr("key"), "Unusable key material", format!("The key is refused: {e}."));
    }
    if let Tri::Known(a) = config.tri_str("alg")
        && a != "RS256"
        && a != "RS512"
    {
        diags.attr_error(
            AttrPath::attr("alg"),
            "Invalid alg",
            format!("Maskinporten accepts RS256 or RS512; got {a:?}."),
        );
    }
    if let Tri::Known(t) = config.tri_str("expires_at")
        && exp_of(t).is_none()
    {
        diags.attr_error(
            AttrPath::attr("expires_at"),
            "Invalid expires_at",
            format!("Expected an RFC 3339 time such as \"2027-03-01T00:00:00Z\"; got {t:?}."),
        );
    }
    if let Tri::Known(k) = config.tri_str("kid")
        && (k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)))
    {
        diags.attr_error(
            AttrPath::attr("kid"),
            "Invalid kid",
            "A kid may contain only letters, digits and . _ - (and must not be empty).",
        );
    }
}
