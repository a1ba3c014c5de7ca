//! The request log (`/__sim/requests`), the state dump (`/__sim/state`), test tokens, the
//! latency knob, and authentication of admin-API calls.

use crate::errors;
use crate::store::Store;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The organisation and scopes behind a Bearer token, or the 401 Digdir would answer.
pub fn authenticate(s: &Store, headers: &HeaderMap) -> Result<(String, Vec<String>), Response> {
    let token = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| errors::api(401, "Full authentication is required to access this resource"))?;
    let grant = s.lock().tokens.get(token).cloned().ok_or_else(|| errors::api(401, "Invalid access token"))?;
    if grant.expires < std::time::Instant::now() {
        return Err(errors::api(401, "Access token expired"));
    }
    Ok((grant.orgno, grant.scopes))
}

/// Require one of `scopes` (§3.2, §3.3 scope tables); 403 otherwise.
pub fn require(s: &Store, headers: &HeaderMap, scopes: &[&str]) -> Result<String, Response> {
    let (org, granted) = authenticate(s, headers)?;
    if granted.iter().any(|g| scopes.contains(&g.as_str())) {
        Ok(org)
    } else {
        Err(errors::api(403, &format!("Autentisert bruker/system har ikke korrekte rettigheter: requires {}", scopes.join(" or "))))
    }
}

/// Middleware: latency, then record method, path, query, body and status of every request
/// except `/__sim/*`. The token request's assertion is never recorded.
pub async fn record(State(s): State<Arc<Store>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/__sim/") {
        return next.run(req).await;
    }
    if !s.latency.is_zero() {
        tokio::time::sleep(s.latency).await;
    }
    let method = req.method().to_string();
    let query: Map<String, Value> = req
        .uri()
        .query()
        .map(|q| form_pairs(q.as_bytes()).into_iter().map(|(k, v)| (k, Value::String(v))).collect())
        .unwrap_or_default();
    let org = crate::log::authenticate(&s, req.headers()).ok().map(|(o, _)| o);
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    let logged_body = if path == "/token" {
        let mut m: Map<String, Value> = form_pairs(&bytes).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        m.insert("assertion".into(), "<redacted>".into());
        Value::Object(m)
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let status = resp.status().as_u16();
    s.lock().requests.push(json!({"method": method, "path": path, "query": query, "body": logged_body, "status": status, "org": org}));
    resp
}

fn form_pairs(b: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded_pairs(b)
}

fn serde_urlencoded_pairs(b: &[u8]) -> Vec<(String, String)> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&format!("/?{}", String::from_utf8_lossy(b)).parse().unwrap_or_default())
        .map(|q| q.0)
        .unwrap_or_default()
}

pub async fn requests(State(s): State<Arc<Store>>) -> Json<Value> {
    Json(s.requests())
}

pub async fn clear(State(s): State<Arc<Store>>) -> Response {
    s.clear_requests();
    Json(json!({})).into_response()
}

pub async fn state(State(s): State<Arc<Store>>) -> Json<Value> {
    Json(s.dump())
}

pub async fn test_token(State(s): State<Arc<Store>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let orgno = q.get("orgno").cloned().unwrap_or_default();
    if s.org(&orgno).is_none() {
        return errors::api(404, "unknown organisation");
    }
    Json(json!({"access_token": s.mint_token(&orgno)})).into_response()
}
