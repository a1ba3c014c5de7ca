//! A client's keys (docs/development/digdir-api.md, "Keys"; every section cited in this file is a
//! heading of that page): the whole set (`GET`/`POST`/`DELETE /clients/{id}/jwks`, where POST
//! replaces the set) and the per-key operations of the 2025 API
//! (`GET`/`PUT`/`DELETE /clients/{id}/jwks/{kid}`, `POST /api/v2/clients/{id}/key`), which add or
//! remove one key without touching the others. Rules for every write: at most 5 keys, `kty` RSA,
//! `use` sig, `alg` RS256 or RS512, `n` and `e`, no private members, a kid of letters, digits and
//! `. _ -` that no other client uses (uniqueness across Maskinporten is [U]; modelled strictly).
//! `SimConfig::per_key_ops = false` answers the per-key operations 404, as a deployment without
//! them would.

use crate::auth::require;
use crate::clients::owned;
use crate::errors::{self, Answer, now_rfc3339};
use crate::store::{Data, Store};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// "inntil 5" keys per client ("Keys").
const MAX_KEYS: usize = 5;
const YEAR: i64 = 365 * 24 * 3600;

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The field errors of one key as sent.
fn key_errors(k: &Map<String, Value>) -> Vec<(&'static str, String)> {
    let mut errs = vec![];
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
    errs
}

/// A kid another client already uses.
fn kid_taken(d: &Data, id: &str, kid: &str) -> bool {
    d.keys.iter().any(|(other, ks)| other != id && ks.iter().any(|x| x["kid"] == kid))
}

/// The key as stored: a key already registered (same kid and modulus) keeps its expiry and
/// creation time — re-posting does not renew it (the 2022 renewal bug is fixed, "Keys" [I]); a new
/// key lives at most a year from now, or less when it says so in `exp`.
fn stored(mut k: Map<String, Value>, old: &[Value], now: i64, stamp: &str) -> Value {
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
}

fn per_key_available(s: &Store) -> Result<(), Response> {
    if s.per_key_ops { Ok(()) } else { Err(errors::api(404, "Not Found")) }
}

pub async fn get_jwks(State(s): State<Arc<Store>>, h: HeaderMap, Path(id): Path<String>) -> Answer {
    let org = require(&s, &h, "GET /api/v1/clients/{clientId}/jwks")?.org;
    let mut d = s.lock();
    owned(&mut d, &org, &id)?;
    match d.keys.get(&id).filter(|k| !k.is_empty()) {
        // No keys → 404, which Digdir's own UI reads as "no keys" ("Keys").
        None => Err(errors::api(404, &format!("Client {id} has no keys"))),
        Some(keys) => Ok(Json(json!({"keys": keys})).into_response()),
    }
}

/// Replace the whole key set ("Keys": POST replaces; an empty set is refused).
pub async fn post_jwks(
    State(s): State<Arc<Store>>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Answer {
    let org = require(&s, &h, "POST /api/v1/clients/{clientId}/jwks")?.org;
    let keys: Vec<Map<String, Value>> = body
        .and_then(|Json(v)| v["keys"].as_array().map(|a| a.iter().filter_map(|k| k.as_object().cloned()).collect()))
        .unwrap_or_default();
    if keys.is_empty() {
        let why = "The key set cannot be empty; use DELETE to remove all keys";
        return Err(errors::fields(400, "JWKS", &[("keys", why.into())]));
    }
    if keys.len() > MAX_KEYS {
        let why = format!("A client can have at most {MAX_KEYS} keys, got {}", keys.len());
        return Err(errors::fields(400, "JWKS", &[("keys", why)]));
    }
    let mut errs: Vec<(&str, String)> = keys.iter().flat_map(key_errors).collect();
    let mut d = s.lock();
    owned(&mut d, &org, &id)?;
    for k in &keys {
        let kid = k.get("kid").and_then(Value::as_str).unwrap_or("");
        if kid_taken(&d, &id, kid) {
            errs.push(("kid", format!("kid {kid} is already in use")));
        }
    }
    if !errs.is_empty() {
        return Err(errors::fields(400, "JWKS", &errs));
    }
    let (now, stamp) = (now_secs(), now_rfc3339());
    let old = d.keys.get(&id).cloned().unwrap_or_default();
    let mut set: Vec<Value> = keys.into_iter().map(|k| stored(k, &old, now, &stamp)).collect();
    if s.faults.lock().unwrap_or_else(|p| p.into_inner()).loses_key(set.len()) {
        set.remove(0);
    }
    d.changed.insert(id.clone(), std::time::Instant::now());
    d.keys.insert(id, set.clone());
    Ok(Json(json!({"keys": set})).into_response())
}

pub async fn delete_jwks(State(s): State<Arc<Store>>, h: HeaderMap, Path(id): Path<String>) -> Answer {
    let org = require(&s, &h, "DELETE /api/v1/clients/{clientId}/jwks")?.org;
    let mut d = s.lock();
    owned(&mut d, &org, &id)?;
    d.keys.remove(&id);
    d.changed.insert(id, std::time::Instant::now());
    Ok(axum::http::StatusCode::OK.into_response())
}

pub async fn get_key(State(s): State<Arc<Store>>, h: HeaderMap, Path((id, kid)): Path<(String, String)>) -> Answer {
    per_key_available(&s)?;
    let org = require(&s, &h, "GET /api/v1/clients/{clientId}/jwks/{kid}")?.org;
    let mut d = s.lock();
    owned(&mut d, &org, &id)?;
    match d.keys.get(&id).and_then(|ks| ks.iter().find(|k| k["kid"] == kid.as_str())) {
        Some(k) => Ok(Json(k.clone()).into_response()),
        None => Err(errors::api(404, &format!("Client {id} has no key {kid}"))),
    }
}

/// "Legg til eller oppdater en enkelt nøkkel": add one key, or replace the key of that kid.
pub async fn put_key(
    State(s): State<Arc<Store>>,
    h: HeaderMap,
    Path((id, kid)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Answer {
    per_key_available(&s)?;
    let org = require(&s, &h, "PUT /api/v1/clients/{clientId}/jwks/{kid}")?.org;
    let mut k = errors::body_object(body)?;
    match k.get("kid") {
        None => {
            k.insert("kid".into(), json!(kid));
        }
        Some(v) if v != kid.as_str() => {
            return Err(errors::fields(400, "JsonWebKey", &[("kid", "kid in the body differs from the path".into())]));
        }
        Some(_) => {}
    }
    add_one(&s, &org, &id, k)
}

/// Add one key given as text ("Keys": a JWK as JSON, a PEM public key or a certificate; Digdir's
/// own 2025 web client uses this). The simulator reads JWK JSON only and refuses PEM with 400:
/// stricter than Digdir, never kinder.
pub async fn post_key_v2(State(s): State<Arc<Store>>, h: HeaderMap, Path(id): Path<String>, body: String) -> Answer {
    per_key_available(&s)?;
    let org = require(&s, &h, "POST /api/v2/clients/{clientId}/key")?.org;
    let Ok(Value::Object(k)) = serde_json::from_str::<Value>(&body) else {
        return Err(errors::api(400, "Input ikke i korrekt format (the simulator accepts a JWK as JSON only)"));
    };
    add_one(&s, &org, &id, k)
}

fn add_one(s: &Store, org: &str, id: &str, k: Map<String, Value>) -> Answer {
    let mut errs = key_errors(&k);
    let kid = k.get("kid").and_then(Value::as_str).unwrap_or("").to_string();
    let mut d = s.lock();
    owned(&mut d, org, id)?;
    if kid_taken(&d, id, &kid) {
        errs.push(("kid", format!("kid {kid} is already in use")));
    }
    let old = d.keys.get(id).cloned().unwrap_or_default();
    let others: Vec<Value> = old.iter().filter(|o| o["kid"] != kid.as_str()).cloned().collect();
    if others.len() >= MAX_KEYS {
        errs.push(("keys", format!("A client can have at most {MAX_KEYS} keys")));
    }
    if !errs.is_empty() {
        return Err(errors::fields(400, "JsonWebKey", &errs));
    }
    let key = stored(k, &old, now_secs(), &now_rfc3339());
    let mut set = others;
    set.push(key.clone());
    d.changed.insert(id.to_string(), std::time::Instant::now());
    d.keys.insert(id.to_string(), set);
    Ok(Json(key).into_response())
}

pub async fn delete_key(State(s): State<Arc<Store>>, h: HeaderMap, Path((id, kid)): Path<(String, String)>) -> Answer {
    per_key_available(&s)?;
    let org = require(&s, &h, "DELETE /api/v1/clients/{clientId}/jwks/{kid}")?.org;
    let mut d = s.lock();
    owned(&mut d, &org, &id)?;
    let set = d.keys.entry(id.clone()).or_default();
    let before = set.len();
    set.retain(|k| k["kid"] != kid.as_str());
    if set.len() == before {
        // What Digdir answers for an unknown kid is [U]; the stricter answer is 404.
        return Err(errors::api(404, &format!("Client {id} has no key {kid}")));
    }
    d.changed.insert(id, std::time::Instant::now());
    Ok(axum::http::StatusCode::OK.into_response())
}
