//! `maskinporten_client_key` as Terraform state and as a JWK: the schema, the default kid, the
//! expiry in both its forms, and the state of a key as Digdir lists it (shared with the
//! `maskinporten_client_keys` data source).

use crate::api::Jwk;
use crate::provider::keys::thumbprint_of;
use crate::tfplugin::{Attribute, ObjectBuilder, Schema, Type, Value};

pub fn schema() -> Schema {
    Schema::new(
        "One public key registered on a Maskinporten client, used by the client to sign its token grants \
         (`kid` in the JWT header). Give the public key only: a public key PEM, a certificate PEM (which also \
         binds the client to that certificate) or a public JWK; private keys are refused. A client holds at \
         most 5 keys. See the key-rotation guide for replacing keys without downtime.",
        vec![
            Attribute::computed("id", Type::String).describe("`<client_id>,<kid>`; the import id."),
            Attribute::required("client_id", Type::String).force_new().describe("The client the key belongs to. Changing it moves the key (a new key on the other client)."),
            Attribute::optional("key", Type::String).write_only().sensitive().describe("The public key: PEM (`-----BEGIN PUBLIC KEY-----` or `RSA PUBLIC KEY`), a certificate PEM, or a public JWK as JSON. RSA, at least 2048 bits. Required to register a key; an imported key may leave it out, and is then kept as registered. Write-only: never stored in plan or state; the key is identified by `thumbprint`, so reformatting the PEM changes nothing, while a different key replaces this resource. Needs Terraform 1.11 or later."),
            Attribute::optional_computed("kid", Type::String).force_new().describe("Key id (API field `kid`): letters, digits and `. _ -`. Kids are unique across all of Maskinporten, so the default is derived from the client id and the key's thumbprint. When you set it yourself, a new key needs a new kid. Changing it replaces the key. Default `<client_id>.<thumbprint prefix>`."),
            Attribute::optional_computed("alg", Type::String).force_new().describe("Signing algorithm (API field `alg`): `RS256` or `RS512`. Default `RS256`."),
            Attribute::computed("thumbprint", Type::String).describe("RFC 7638 SHA-256 thumbprint of the key: its identity. A different key plans a replacement."),
            Attribute::optional_computed("expires_at", Type::String).force_new().describe("When Maskinporten stops accepting the key, as an RFC 3339 time such as `2027-03-01T00:00:00Z` (API field `exp`). Optional: set it to limit the key's life (teams rotate every 30 to 90 days); it must lie in the future and at most one year ahead. Unset, Digdir's default applies: one year after the key is registered. Changing it registers the key again with the new expiry (the key is replaced). The plan warns 30 days ahead."),
        ],
    )
}

pub fn default_kid(client_id: &str, thumbprint: &str) -> String {
    let short: String = thumbprint.chars().filter(|c| c.is_ascii_alphanumeric()).take(16).collect();
    format!("{client_id}.{short}")
}

pub fn expires_at(exp: Option<i64>) -> Option<String> {
    let exp = u64::try_from(exp?).ok()?;
    Some(humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(exp)).to_string())
}

/// An RFC 3339 time as epoch seconds (`exp`), for any offset and fraction a user may write.
pub fn exp_of(rfc3339: &str) -> Option<i64> {
    let at = humantime::parse_rfc3339_weak(rfc3339).ok().or_else(|| {
        // humantime reads only `Z`: shift an explicit offset (`+01:00`) to UTC by hand.
        let (head, sign, off) = rfc3339
            .rfind(['+', '-'])
            .filter(|i| *i > 10)
            .map(|i| (&rfc3339[..i], &rfc3339[i..i + 1], &rfc3339[i + 1..]))?;
        let (h, m) = off.split_once(':')?;
        let shift = std::time::Duration::from_secs(h.parse::<u64>().ok()? * 3600 + m.parse::<u64>().ok()? * 60);
        let local = humantime::parse_rfc3339_weak(head).ok()?;
        if sign == "+" { local.checked_sub(shift) } else { local.checked_add(shift) }
    })?;
    i64::try_from(at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs()).ok()
}

/// The expiry as state shows it: the text the configuration or the prior state used when it
/// names the same instant (so a reformatted time is no change), else Digdir's.
pub fn same_expiry(known: Option<String>, read: Option<String>) -> Option<String> {
    match (&known, &read) {
        (Some(k), Some(r)) if exp_of(k).is_some() && exp_of(k) == exp_of(r) => known,
        _ => read,
    }
}

pub fn state(client_id: &str, k: &Jwk) -> Value {
    let kid = k.kid.clone().unwrap_or_default();
    let thumb = thumbprint_of(k.n.as_deref().unwrap_or(""), k.e.as_deref().unwrap_or(""));
    ObjectBuilder::new(&schema())
        .str("id", Some(format!("{client_id},{kid}")))
        .str("client_id", Some(client_id))
        .str("kid", Some(kid))
        .str("alg", Some(k.alg.clone().unwrap_or_else(|| "RS256".into())))
        .str("thumbprint", Some(thumb))
        .str("expires_at", expires_at(k.exp))
        .build()
}
