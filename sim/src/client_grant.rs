//! Token grants of ordinary clients (not the admin clients): the JWT names the client in `iss` and
//! its registered key in `kid` (a client with keys must use kid: docs/development/digdir-api.md,
//! "Token endpoint and the admin grant"). Maskinporten's runtime sees client and key changes only
//! after the propagation delay (same page, "Quirks"): until then the grant fails with MP-100 or an
//! unknown kid, as in production.

use crate::errors::oauth;
use crate::store::Store;
use axum::response::Response;
use base64::Engine;
use serde_json::Value;
use std::collections::HashMap;

fn claims_of(assertion: &str) -> Option<(Value, Value)> {
    let mut parts = assertion.split('.');
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = serde_json::from_slice(&b64.decode(parts.next()?).ok()?).ok()?;
    let claims = serde_json::from_slice(&b64.decode(parts.next()?).ok()?).ok()?;
    Some((header, claims))
}

/// `None` when the grant is not an ordinary client's (the admin path handles it).
pub fn try_verify(s: &Store, form: &HashMap<String, String>) -> Option<Result<(String, Vec<String>), Response>> {
    let assertion = form.get("assertion")?;
    let (header, claims) = claims_of(assertion)?;
    let iss = claims["iss"].as_str()?.to_string();
    if s.orgs.iter().any(|o| o.client_id == iss) {
        return None;
    }
    Some(verify(s, assertion, &header, &iss))
}

fn verify(s: &Store, assertion: &str, header: &Value, iss: &str) -> Result<(String, Vec<String>), Response> {
    let mut d = s.lock();
    let changed = d.changed.get(iss).copied();
    let mut visible = changed.is_none_or(|t| t.elapsed() >= s.propagation);
    if let Some(at) = changed
        && s.propagation_refusals > 0
    {
        let refused = d.propagation_refused.entry(iss.to_string()).or_insert((at, 0));
        if refused.0 != at {
            *refused = (at, 0);
        }
        if refused.1 < s.propagation_refusals {
            refused.1 += 1;
            visible = false;
        }
    }
    let client = d
        .clients
        .get(iss)
        .filter(|c| c["active"] == true && visible)
        .ok_or_else(|| oauth("invalid_grant", "MP-100 Invalid client: client not found"))?;
    let kid =
        header["kid"].as_str().ok_or_else(|| oauth("invalid_grant", "A client with registered keys must use kid"))?;
    let key = d
        .keys
        .get(iss)
        .and_then(|ks| ks.iter().find(|k| k["kid"] == kid))
        .ok_or_else(|| oauth("invalid_grant", "Unknown key identifier (kid) for client"))?;
    let decoding = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap_or(""),
        key["e"].as_str().unwrap_or(""),
    )
    .map_err(|_| oauth("invalid_grant", "MP-121 Invalid key"))?;
    if key["exp"].as_i64().is_some_and(|e| e < now()) {
        return Err(oauth("invalid_grant", "MP-121 The key has expired; post it again to renew it"));
    }
    let alg = match header["alg"].as_str() {
        Some("RS512") => jsonwebtoken::Algorithm::RS512,
        _ => jsonwebtoken::Algorithm::RS256,
    };
    let mut v = jsonwebtoken::Validation::new(alg);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<serde_json::Map<String, Value>>(assertion, &decoding, &v)
        .map_err(|_| oauth("invalid_grant", "Invalid assertion: signature does not verify"))?
        .claims;
    if claims.get("aud").and_then(Value::as_str) != Some(format!("{}/", s.base).as_str()) {
        return Err(oauth("invalid_grant", "MP-110 Invalid audience"));
    }
    let (iat, exp) = (
        claims.get("iat").and_then(Value::as_i64).unwrap_or(0),
        claims.get("exp").and_then(Value::as_i64).unwrap_or(0),
    );
    if exp - iat > 120 || exp < now() || (iat - now()).abs() > 10 {
        return Err(oauth("invalid_grant", "MP-130 Invalid assertion lifetime"));
    }
    let registered: Vec<String> = client["scopes"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default();
    let requested: Vec<String> =
        claims.get("scope").and_then(Value::as_str).unwrap_or("").split_whitespace().map(String::from).collect();
    if let Some(missing) = requested.iter().find(|r| !registered.contains(r)) {
        return Err(oauth("invalid_scope", &format!("MP-200 Scope {missing} is not registered on the client")));
    }
    let orgno = client["client_orgno"].as_str().unwrap_or("").to_string();
    Ok((orgno, requested))
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
