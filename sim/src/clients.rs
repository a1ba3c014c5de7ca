//! Clients (integrations) and their keys (maskinporten-api.md §3.4, §4.1, §4.2).

use crate::errors::{self, now_rfc3339};
use crate::log::require;
use crate::store::Store;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

type Q = Query<HashMap<String, String>>;
const READ: &[&str] = &["idporten:dcr.read", "idporten:dcr.write"];
const WRITE: &[&str] = &["idporten:dcr.write"];
const KEY_WRITE: &[&str] = &["idporten:dcr.write", "idporten:dcr.modify"];
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// "inntil 5" keys per client (§4.2).
const MAX_KEYS: usize = 5;
const YEAR: i64 = 365 * 24 * 3600;

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// May `org` put `scope` on a client: its own scope, an APPROVED grant, `accessible_for_all`, or
/// (for suppliers) a delegation-source scope (§4.1, §6.3).
fn scope_usable(d: &crate::store::Data, org: &str, scope: &str, supplier: bool) -> bool {
    let Some(s) = d.scopes.get(scope).filter(|s| s["active"] == true) else { return false };
    s["owner_orgno"] == org
        || s["accessible_for_all"] == true
        || (supplier && s.get("delegation_source").is_some_and(Value::is_string))
        || d.accesses.iter().any(|a| a.scope == scope && a.consumer == org && a.active && a.state == "APPROVED")
}

/// Validate a client body (§4.1, §6.3) and fill Digdir's defaults.
fn normalise(
    s: &Store,
    org: &str,
    mut b: Map<String, Value>,
    existing: Option<&Map<String, Value>>,
) -> Result<Map<String, Value>, Response> {
    let mut errs: Vec<(&str, String)> = vec![];
    let it = b.get("integration_type").and_then(Value::as_str).unwrap_or("").to_string();
    if !["ansattporten", "api_klient", "eformidling", "idporten", "idporten_saml2", "krr", "maskinporten"]
        .contains(&it.as_str())
    {
        errs.push(("integration_type", "integration_type is required and must be a known type".into()));
    }
    if let Some(e) = existing
        && e["integration_type"] != it.as_str()
    {
        errs.push(("integration_type", "integration_type cannot be changed".into()));
    }
    for (f, allowed) in [
        ("application_type", &["web", "browser", "native"][..]),
        ("token_endpoint_auth_method", &["client_secret_post", "client_secret_basic", "private_key_jwt", "none"][..]),
    ] {
        if let Some(v) = b.get(f).filter(|v| !v.is_null())
            && !v.as_str().is_some_and(|v| allowed.contains(&v))
        {
            errs.push((
                if f == "application_type" { "application_type" } else { "token_endpoint_auth_method" },
                format!("{f} must be one of {}", allowed.join(", ")),
            ));
        }
    }
    // Since 2025-07 a lifetime of 0 is refused; omit it for the default (§6.3).
    for f in ["access_token_lifetime", "authorization_lifetime", "refresh_token_lifetime"] {
        if b.get(f).is_some_and(|v| !v.is_null() && v.as_i64().is_none_or(|n| n <= 0)) {
            errs.push((
                match f {
                    "access_token_lifetime" => "access_token_lifetime",
                    "authorization_lifetime" => "authorization_lifetime",
                    _ => "refresh_token_lifetime",
                },
                format!("{f} must be greater than 0"),
            ));
        }
    }
    let client_orgno = b
        .get("client_orgno")
        .and_then(Value::as_str)
        .map(String::from)
        .or_else(|| existing.and_then(|e| e["client_orgno"].as_str().map(String::from)))
        .unwrap_or_else(|| org.to_string());
    let supplier = client_orgno != org;
    let scopes: Vec<String> = b
        .get("scopes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default();
    // Registering a client without scopes was rejected (§6.3 [I]).
    if scopes.is_empty() && it == "maskinporten" {
        errs.push(("scopes", "a Maskinporten client needs at least one scope".into()));
    }
    {
        let d = s.lock();
        for sc in &scopes {
            if !scope_usable(&d, &client_orgno, sc, supplier) {
                errs.push(("scopes", format!("Organization {client_orgno} does not have access to scope {sc}")));
            }
        }
    }
    if !errs.is_empty() {
        return Err(errors::fields(400, "Client", &errs));
    }
    let defaults = [
        ("application_type", json!("web")),
        ("token_endpoint_auth_method", json!("private_key_jwt")),
        ("grant_types", json!([JWT_BEARER])),
        ("access_token_lifetime", json!(120)),
        ("authorization_lifetime", json!(7200)),
        ("refresh_token_lifetime", json!(600)),
        ("refresh_token_usage", json!("ONETIME")),
        ("active", json!(true)),
    ];
    for (k, v) in defaults {
        if b.get(k).is_none_or(Value::is_null) {
            b.insert(k.into(), v);
        }
    }
    b.insert("client_orgno".into(), json!(client_orgno));
    if supplier {
        b.insert("supplier_orgno".into(), json!(org));
    } else {
        b.remove("supplier_orgno");
    }
    for f in ["created", "last_updated", "jwks", "client_secret"] {
        b.remove(f);
    }
    Ok(b)
}

fn owned<'a>(d: &'a mut crate::store::Data, org: &str, id: &str) -> Result<&'a mut Map<String, Value>, Response> {
    match d.clients.get_mut(id) {
        None => Err(errors::api(404, &format!("Client {id} not found"))),
        Some(c) if c["owner_orgno"] != org => {
            Err(errors::api(403, "Autentisert bruker/system har ikke korrekte rettigheter"))
        }
        Some(c) => Ok(c),
    }
}

fn served(c: &Map<String, Value>) -> Value {
    let mut c = c.clone();
    c.remove("owner_orgno");
    Value::Object(c)
}

/// §4.1: a client response carries `jwks`, the read-only view of its registered keys (absent
/// when it has none).
fn with_jwks(mut c: Value, d: &crate::store::Data) -> Value {
    let keys = c["client_id"].as_str().and_then(|id| d.keys.get(id)).filter(|k| !k.is_empty()).cloned();
    if let (Some(keys), Some(m)) = (keys, c.as_object_mut()) {
        m.insert("jwks".into(), json!({ "keys": keys }));
    }
    c
}

pub async fn list(State(s): State<Arc<Store>>, h: HeaderMap, q: Q) -> Response {
    let org = match require(&s, &h, READ) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let inactive = q.get("inactive").is_some_and(|v| v == "true");
    let d = s.lock();
    let items: Vec<Value> = d
        .clients
        .values()
        .filter(|c| c["owner_orgno"] == org.as_str() && (inactive || c["active"] == true))
        .map(|c| with_jwks(served(c), &d))
        .collect();
    Json(Value::Array(items)).into_response()
}

pub async fn create(State(s): State<Arc<Store>>, h: HeaderMap, body: Option<Json<Value>>) -> Response {
    let (org, granted) = match crate::log::authenticate(&s, &h) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !granted.iter().any(|g| WRITE.contains(&g.as_str())) {
        return errors::api(403, "requires idporten:dcr.write");
    }
    let Some(Json(Value::Object(b))) = body else { return errors::api(400, "Input ikke i korrekt format") };
    if b.get("client_orgno").and_then(Value::as_str).is_some_and(|c| c != org)
        && !granted.iter().any(|g| g == "idporten:dcr.supplier")
    {
        return errors::api(403, "Registering clients for another organization requires idporten:dcr.supplier");
    }
    let mut c = match normalise(&s, &org, b, None) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let id = uuid::Uuid::new_v4().to_string();
    let now = now_rfc3339();
    c.insert("client_id".into(), json!(id));
    c.insert("created".into(), json!(now));
    c.insert("last_updated".into(), json!(now));
    c.insert("jwks_uri".into(), json!(format!("/clients/{id}/jwks")));
    c.insert("owner_orgno".into(), json!(org));
    let mut d = s.lock();
    d.changed.insert(id.clone(), std::time::Instant::now());
    d.clients.insert(id, c.clone());
    Json(served(&c)).into_response()
}

pub async fn get_one(State(s): State<Arc<Store>>, h: HeaderMap, Path(id): Path<String>) -> Response {
    let org = match require(&s, &h, READ) {
        Ok(o) => o,
        Err(r) => return r,
    };
    match owned(&mut s.lock(), &org, &id) {
        Ok(c) if s.hide_deactivated_on_get && c["active"] == false => {
            errors::api(404, &format!("Client {id} not found"))
        }
        Ok(c) => Json(served(c)).into_response(),
        Err(r) => r,
    }
}

pub async fn update(
    State(s): State<Arc<Store>>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    let org = match require(&s, &h, WRITE) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let Some(Json(Value::Object(b))) = body else { return errors::api(400, "Input ikke i korrekt format") };
    let existing = match owned(&mut s.lock(), &org, &id) {
        Ok(c) => c.clone(),
        Err(r) => return r,
    };
    let mut c = match normalise(&s, &org, b, Some(&existing)) {
        Ok(c) => c,
        Err(r) => return r,
    };
    for k in ["client_id", "created", "jwks_uri", "owner_orgno"] {
        c.insert(k.into(), existing[k].clone());
    }
    c.insert("last_updated".into(), json!(now_rfc3339()));
    let mut d = s.lock();
    d.changed.insert(id.clone(), std::time::Instant::now());
    d.clients.insert(id, c.clone());
    Json(served(&c)).into_response()
}

pub async fn deactivate(State(s): State<Arc<Store>>, h: HeaderMap, Path(id): Path<String>) -> Response {
    let org = match require(&s, &h, WRITE) {
        Ok(o) => o,
        Err(r) => return r,
    };
    match owned(&mut s.lock(), &org, &id) {
        // Never hard-deleted (§3.4); the answer is an empty 200.
        Ok(c) => {
            c.insert("active".into(), json!(false));
            axum::http::StatusCode::OK.into_response()
        }
        Err(r) => r,
    }
}

pub async fn get_jwks(State(s): State<Arc<Store>>, h: HeaderMap, Path(id): Path<String>) -> Response {
    let org = match require(&s, &h, READ) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mut d = s.lock();
    if let Err(r) = owned(&mut d, &org, &id) {
        return r;
    }
    match d.keys.get(&id).filter(|k| !k.is_empty()) {
        // §6.2: no keys → 404, which Digdir's own UI reads as "no keys".
        None => errors::api(404, &format!("Client {id} has no keys")),
        Some(keys) => Json(json!({"keys": keys})).into_response(),
    }
}

/// Replace the whole key set (§4.2: POST replaces; at most 5; `use` required; no private parts).
pub async fn post_jwks(
    State(s): State<Arc<Store>>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    let org = match require(&s, &h, KEY_WRITE) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let keys: Vec<Map<String, Value>> = match body {
        Some(Json(v)) => {
            v["keys"].as_array().map(|a| a.iter().filter_map(|k| k.as_object().cloned()).collect()).unwrap_or_default()
        }
        None => vec![],
    };
    if keys.is_empty() {
        return errors::fields(
            400,
            "JWKS",
            &[("keys", "The key set cannot be empty; use DELETE to remove all keys".into())],
        );
    }
    if keys.len() > MAX_KEYS {
        return errors::fields(
            400,
            "JWKS",
            &[("keys", format!("A client can have at most {MAX_KEYS} keys, got {}", keys.len()))],
        );
    }
    let mut errs: Vec<(&str, String)> = vec![];
    for k in &keys {
        let kid = k.get("kid").and_then(Value::as_str).unwrap_or("");
        if kid.is_empty() || !kid.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
            errs.push(("kid", format!("kid {kid:?} is required and may contain only letters, digits and . _ -")));
        }
        if k.get("kty").and_then(Value::as_str) != Some("RSA") {
            errs.push(("kty", "kty must be RSA".into()));
        }
        if k.get("use").and_then(Value::as_str) != Some("sig") {
            errs.push(("use", format!("use is required and must be sig (key {kid})")));
        }
        if !k.get("alg").and_then(Value::as_str).is_some_and(|a| a == "RS256" || a == "RS512") {
            errs.push(("alg", "alg must be RS256 or RS512".into()));
        }
        if ["d", "p", "q", "dp", "dq", "qi"].iter().any(|m| k.contains_key(*m)) {
            errs.push(("keys", "private key members are not accepted".into()));
        }
        if !k.get("n").is_some_and(Value::is_string) || !k.get("e").is_some_and(Value::is_string) {
            errs.push(("keys", "n and e are required".into()));
        }
    }
    let mut d = s.lock();
    if let Err(r) = owned(&mut d, &org, &id) {
        return r;
    }
    for k in &keys {
        let kid = k.get("kid").and_then(Value::as_str).unwrap_or("");
        // kids are unique among all of Maskinporten's customers (§4.2 [U]: modelled strictly).
        if d.keys.iter().any(|(other, ks)| *other != id && ks.iter().any(|x| x["kid"] == kid)) {
            errs.push(("kid", format!("kid {kid} is already in use")));
        }
    }
    if !errs.is_empty() {
        return errors::fields(400, "JWKS", &errs);
    }
    let (now, stamp) = (now_secs(), now_rfc3339());
    let old = d.keys.get(&id).cloned().unwrap_or_default();
    let stored: Vec<Value> = keys
        .into_iter()
        .map(|mut k| {
            // A key already registered keeps its expiry; re-posting does not renew it (the 2022
            // renewal bug is fixed, §4.2 [I]). New keys live at most a year from now.
            match old.iter().find(|o| o["kid"] == k["kid"] && o["n"] == k["n"]) {
                Some(o) => {
                    k.insert("exp".into(), o["exp"].clone());
                    k.insert("created".into(), o["created"].clone());
                }
                None => {
                    let exp = k.get("exp").and_then(Value::as_i64).map_or(now + YEAR, |e| e.min(now + YEAR));
                    k.insert("exp".into(), json!(exp));
                    k.insert("created".into(), json!(stamp));
                }
            }
            k.insert("last_updated".into(), json!(stamp));
            Value::Object(k)
        })
        .collect();
    d.changed.insert(id.clone(), std::time::Instant::now());
    d.keys.insert(id, stored.clone());
    Json(json!({"keys": stored})).into_response()
}

pub async fn delete_jwks(State(s): State<Arc<Store>>, h: HeaderMap, Path(id): Path<String>) -> Response {
    let org = match require(&s, &h, KEY_WRITE) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mut d = s.lock();
    if let Err(r) = owned(&mut d, &org, &id) {
        return r;
    }
    d.keys.remove(&id);
    axum::http::StatusCode::OK.into_response()
}
