//! What of Digdir's answers may be shown: in TRACE logs, only the values of fields known to be
//! harmless (an allow-list: a secret-bearing field Digdir adds one day stays hidden), and in
//! diagnostics, error texts with anything shaped like a token or a key blanked. Nothing secret
//! is sent to Digdir's API in the first place, so this guards against what an answer might echo.

/// Fields of Digdir's answers (scopes, grants, clients, keys, prefixes, organisations, errors,
/// the merchant-data contract) whose values are not secrets. `client_secret`, a JWK's private
/// members and any field not listed here are blanked.
const SHOWN: &[&str] = &[
    // scopes, prefixes, delegation sources
    "prefix",
    "subscope",
    "name",
    "description",
    "long_description",
    "active",
    "allowed_integration_types",
    "owner_orgno",
    "token_type",
    "visibility",
    "requires_user_consent",
    "requires_user_authentication",
    "requires_pseudonymous_tokens",
    "delegation_source",
    "at_max_age",
    "authorization_max_lifetime",
    "accessible_for_all",
    "enforced_aud_for_access_token",
    "protected",
    "supports_european_businesses",
    "created",
    "last_updated",
    "lastUpdated",
    "organization_name",
    "issuer",
    // grants, organisations
    "scope",
    "owner_organization_name",
    "consumer_orgno",
    "consumer_organization_name",
    "state",
    "orgnr",
    // clients
    "client_id",
    "client_name",
    "client_orgno",
    "supplier_orgno",
    "application_type",
    "integration_type",
    "scopes",
    "grant_types",
    "token_endpoint_auth_method",
    "access_token_lifetime",
    "authorization_lifetime",
    "refresh_token_lifetime",
    "refresh_token_usage",
    "redirect_uris",
    "post_logout_redirect_uris",
    "frontchannel_logout_uri",
    "frontchannel_logout_session_required",
    "sso_disabled",
    "code_challenge_method",
    "logo_uri",
    "client_uri",
    "jwks_uri",
    "jwks",
    "onbehalfof",
    // public keys
    "keys",
    "kty",
    "kid",
    "use",
    "alg",
    "n",
    "e",
    "x5c",
    "exp",
    // errors
    "status",
    "timestamp",
    "correlation_id",
    "errors",
    "errorMessage",
    "isFieldError",
    "objectName",
    "fieldIdentifier",
    "error",
    "error_description",
    "error_uri",
    // token answers (the token itself is not listed), metadata
    "token_type",
    "expires_in",
    "token_endpoint",
    // merchant-data contacts
    "id",
    "kind",
    "email",
    "phone",
    "invoice_email",
    "address",
    "reference",
];

/// A JSON answer for a TRACE log: every field not in [`SHOWN`] blanked, at any depth, also the
/// multilingual `description#<lang>` fields' keys kept with their text.
pub fn for_log(body: &[u8]) -> String {
    // Public key material is long base64 by nature: shown as it is.
    const PUBLIC: &[&str] = &["n", "e", "x5c"];
    fn walk(v: &mut serde_json::Value, public: bool) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    let shown = SHOWN.contains(&k.as_str())
                        || k.split_once('#').is_some_and(|(f, _)| f.ends_with("description"));
                    if shown {
                        walk(x, PUBLIC.contains(&k.as_str()));
                    } else if !x.is_null() {
                        *x = serde_json::Value::String("<redacted>".into());
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, public)),
            serde_json::Value::String(s) if !public => *s = scrub(s),
            _ => {}
        }
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut v) => {
            walk(&mut v, false);
            v.to_string()
        }
        Err(_) => format!("<{} bytes, not JSON>", body.len()),
    }
}

/// A text for a diagnostic or a log with token- and key-shaped parts blanked: JWTs (`eyJ…` with
/// dots), PEM blocks, and long unbroken base64 runs (key material, opaque tokens).
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("-----BEGIN") {
            // A PEM block: blank through its END line, or to the end of the text.
            let end = after.find("-----END").and_then(|i| after[i + 8..].find("-----").map(|j| i + 8 + j + 5));
            out.push_str("<redacted PEM>");
            rest = end.map_or("", |e| &after[e..]);
            continue;
        }
        let word_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.+/=".contains(c))).unwrap_or(rest.len());
        if word_len == 0 {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let word = &rest[..word_len];
        let jwt = word.starts_with("eyJ") && word.matches('.').count() >= 1;
        let blob = word_len >= 40 && !word.contains('.') && word.chars().any(|c| c.is_ascii_digit());
        out.push_str(if jwt || blob { "<redacted>" } else { word });
        rest = &rest[word_len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_fields_are_shown() {
        let body = br#"{"client_id":"abc","client_secret":"s3cret","refresh_token":"r","id_token":"i","password":"p",
            "keys":[{"kid":"k1","n":"AQAB","d":"private","k":"sym"}],"description#en":"x"}"#;
        let shown = for_log(body);
        for secret in ["s3cret", "\"r\"", "\"i\"", "\"p\"", "private", "sym"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        for kept in ["abc", "k1", "AQAB", "description#en"] {
            assert!(shown.contains(kept), "{kept} missing from {shown}");
        }
    }

    #[test]
    fn tokens_and_keys_are_scrubbed_from_text() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        let text = format!(
            "bad token {jwt} and -----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY----- for client x (trace_id: 1)"
        );
        let s = scrub(&text);
        assert!(!s.contains("eyJ") && !s.contains("MIIB"), "{s}");
        assert!(s.contains("for client x (trace_id: 1)"), "{s}");
        assert_eq!(scrub("ø-only text, Ærlig"), "ø-only text, Ærlig");
        assert_eq!(scrub("-----BEGIN unterminated"), "<redacted PEM>");
    }
}
