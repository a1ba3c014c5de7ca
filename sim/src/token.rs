//! Maskinporten's token endpoint for the JWT-bearer grant, verifying the assertion as
//! docs/development/digdir-api.md says ("Token endpoint and the admin grant"; every section cited
//! in this file is a heading of that page): RS256/384/512; `x5c` a JSON array of standard-base64
//! DER (MP-123 otherwise) whose leaf is a certificate our CA issued (anything else MP-120) and
//! belongs to the client's organisation (MP-122), or a `kid` registered on the client (each
//! administration client here has one: its organisation's key, as `admin-<orgno>`; any other kid is
//! unknown); `iss` a known client (MP-100); `aud` exactly the issuer (MP-110); exp
//! − iat ≤ 120 s; `iat` within ±10 s; not expired (MP-130); a fresh `jti` (MP-012); only documented
//! claims; every requested scope granted to the organisation's administration client, or the whole
//! request is refused (MP-200 `invalid_scope`, "Admin scopes"). Each request and its outcome goes
//! to the token log.

use crate::errors::{OAuthError, oauth};
use crate::store::Store;
use axum::Json;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

pub async fn well_known(State(s): State<Arc<Store>>) -> Json<Value> {
    Json(json!({
        "issuer": format!("{}/", s.base),
        "token_endpoint": format!("{}/token", s.base),
        "jwks_uri": format!("{}/jwk", s.base),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "grant_types_supported": ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512"],
    }))
}

const ALLOWED_CLAIMS: &[&str] = &["aud", "iss", "scope", "iat", "exp", "jti", "nbf", "resource"];

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

pub async fn token(State(s): State<Arc<Store>>, Form(form): Form<HashMap<String, String>>) -> Response {
    let resp = match verify(&s, &form) {
        Ok((orgno, scopes, resource)) => {
            let scope = scopes.join(" ");
            let access_token = s.issue_token(&orgno, scopes, resource);
            Json(json!({"access_token": access_token, "token_type": "Bearer", "expires_in": s.token_lifetime, "scope": scope})).into_response()
        }
        Err(r) => r,
    };
    // The header and claims as sent, unverified: only to say who asked for what, signed how.
    let part = |i: usize| {
        form.get("assertion")
            .and_then(|a| a.split('.').nth(i))
            .and_then(|c| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).ok())
            .and_then(|c| serde_json::from_slice::<Value>(&c).ok())
            .unwrap_or(Value::Null)
    };
    let (header, claims) = (part(0), part(1));
    let signed_with = if header["x5c"].is_null() { header["kid"].clone() } else { json!("x5c") };
    let outcome = resp.extensions().get::<OAuthError>().map_or_else(|| "issued".to_string(), |e| e.0.clone());
    s.lock().token_log.push(json!({
        "client_id": claims["iss"], "scope": claims["scope"], "resource": claims["resource"],
        "signed_with": signed_with, "outcome": outcome,
    }));
    resp
}

fn verify(s: &Store, form: &HashMap<String, String>) -> Result<(String, Vec<String>, Option<String>), Response> {
    if let Some(r) = crate::client_grant::try_verify(s, form) {
        return r.map(|(o, sc)| (o, sc, None));
    }
    if form.get("grant_type").map(String::as_str) != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return Err(oauth("unsupported_grant_type", "grant_type must be urn:ietf:params:oauth:grant-type:jwt-bearer"));
    }
    let assertion = form.get("assertion").ok_or_else(|| oauth("invalid_request", "Missing assertion"))?;
    let header_json = assertion
        .split('.')
        .next()
        .and_then(|h| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .ok_or_else(|| oauth("invalid_grant", "Invalid assertion: not a JWT"))?;
    let alg = match header_json["alg"].as_str() {
        Some("RS256") => jsonwebtoken::Algorithm::RS256,
        Some("RS384") => jsonwebtoken::Algorithm::RS384,
        Some("RS512") => jsonwebtoken::Algorithm::RS512,
        _ => return Err(oauth("invalid_grant", "Invalid assertion: unsupported alg")),
    };
    let org = match (&header_json["x5c"], &header_json["kid"]) {
        (Value::Array(chain), _) => {
            let leaf = chain
                .first()
                .and_then(Value::as_str)
                .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok())
                .ok_or_else(|| oauth("invalid_grant", "MP-123 Invalid JWT header x5c"))?;
            if s.orgs.iter().any(|o| o.prod_leaf_der == leaf) {
                return Err(oauth(
                    "invalid_grant",
                    "MP-124 Certificate is not valid in this environment (a production certificate used in TEST)",
                ));
            }
            if s.orgs.iter().any(|o| o.expired_leaf_der == leaf) {
                return Err(oauth("invalid_grant", "MP-121 Certificate has expired"));
            }
            s.orgs
                .iter()
                .find(|o| o.leaf_der == leaf)
                .ok_or_else(|| oauth("invalid_grant", "MP-120 Invalid certificate"))?
        }
        (Value::String(_), _) => return Err(oauth("invalid_grant", "MP-123 Invalid JWT header x5c")),
        (_, Value::String(kid)) => s
            .orgs
            .iter()
            .find(|o| format!("admin-{}", o.orgno) == *kid)
            .ok_or_else(|| oauth("invalid_grant", "Unknown key identifier (kid) for client"))?,
        _ => return Err(oauth("invalid_grant", "Invalid assertion: either x5c or kid is required")),
    };
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(org.public_key_pem.as_bytes())
        .map_err(|_| oauth("server_error", "simulator key error"))?;
    let mut v = jsonwebtoken::Validation::new(alg);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<serde_json::Map<String, Value>>(assertion, &key, &v)
        .map_err(|_| oauth("invalid_grant", "Invalid assertion: signature does not verify"))?
        .claims;
    if let Some(extra) = claims.keys().find(|k| !ALLOWED_CLAIMS.contains(&k.as_str())) {
        return Err(oauth("invalid_request", &format!("Invalid assertion: claim {extra} is not allowed")));
    }
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    let client = s
        .orgs
        .iter()
        .find(|o| o.client_id == iss)
        .ok_or_else(|| oauth("invalid_grant", "MP-100 Invalid client: client not found"))?;
    if client.orgno != org.orgno {
        if header_json["x5c"].is_null() {
            // A kid registered on another client is not one of this client's keys.
            return Err(oauth("invalid_grant", "Unknown key identifier (kid) for client"));
        }
        return Err(oauth("invalid_grant", "MP-122 Certificate organization number does not match the client's"));
    }
    if claims.get("aud").and_then(Value::as_str) != Some(format!("{}/", s.base).as_str()) {
        return Err(oauth("invalid_grant", "MP-110 Invalid audience: aud must be the issuer, as a single value"));
    }
    let (iat, exp) = (claims.get("iat").and_then(Value::as_i64), claims.get("exp").and_then(Value::as_i64));
    let (Some(iat), Some(exp)) = (iat, exp) else {
        return Err(oauth("invalid_grant", "Invalid assertion: iat and exp are required"));
    };
    if exp - iat > 120 {
        return Err(oauth("invalid_grant", "Invalid assertion: exp - iat: Maximum 120 seconds allowed"));
    }
    if (iat - now()).abs() > 10 {
        return Err(oauth("invalid_grant", "Invalid assertion: iat is not within 10 seconds of the server clock"));
    }
    if exp < now() {
        return Err(oauth("invalid_grant", "MP-130 The JWT has expired"));
    }
    let jti = claims.get("jti").and_then(Value::as_str).unwrap_or("").to_string();
    if jti.is_empty() || !s.lock().jtis.insert(jti) {
        return Err(oauth("invalid_grant", "MP-012 Grant is used before"));
    }
    let requested: Vec<String> =
        claims.get("scope").and_then(Value::as_str).unwrap_or("").split_whitespace().map(String::from).collect();
    // One scope the client was not granted refuses the whole request ("Admin scopes").
    if requested.is_empty() || requested.iter().any(|r| !client.admin_scopes.contains(r)) {
        return Err(oauth("invalid_scope", "MP-200 Token request contains invalid scopes for client"));
    }
    let resource = claims.get("resource").and_then(Value::as_str).map(String::from);
    Ok((client.orgno.clone(), requested, resource))
}
