//! The request log (`/__sim/requests`), the state dump (`/__sim/state`), test tokens and the
//! fault knobs in front of every handler.

use crate::errors;
use crate::faults::{Decision, Faults};
use crate::store::Store;
use axum::Json;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// Middleware: record method, path, query, body and status of every request except `/__sim/*`,
/// inside the latency knob's round trip: half of it before the request is handled, half after,
/// so a write has committed a while before its answer arrives, as over a real network. Both
/// halves are counted from the arrival, so the answer leaves one latency after the request came
/// (the handling hides inside it while it takes less than half the latency), not a latency plus
/// the handling plus two timer roundings: a benchmark's limit counts exactly the configured
/// latency per request. The token request's assertion is never recorded.
pub async fn record(State(s): State<Arc<Store>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/__sim/") {
        return next.run(req).await;
    }
    // When the request arrived (ms since the epoch): lets a benchmark see which requests waited
    // on which.
    let at_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let arrived = tokio::time::Instant::now();
    let (latency, write_delay) = {
        let f = s.faults.lock().unwrap_or_else(|p| p.into_inner());
        (f.latency(), std::time::Duration::from_millis(f.faults.answer_delay_after_write_ms))
    };
    if !latency.is_zero() {
        tokio::time::sleep_until(arrived + latency / 2).await;
    }
    let method = req.method().to_string();
    let query: Map<String, Value> = req
        .uri()
        .query()
        .map(|q| form_pairs(q.as_bytes()).into_iter().map(|(k, v)| (k, Value::String(v))).collect())
        .unwrap_or_default();
    let org = crate::auth::authenticate(&s, req.headers()).ok().map(|c| c.org);
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    let logged_body = if path == "/token" {
        let mut m: Map<String, Value> = form_pairs(&bytes).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        m.insert("assertion".into(), "<redacted>".into());
        Value::Object(m)
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    let authed = parts.headers.contains_key("authorization") && path.starts_with("/api/");
    let mut resp = if authed && s.redirect_api {
        let mut r = axum::http::StatusCode::TEMPORARY_REDIRECT.into_response();
        if let Ok(v) = format!("{}/moved{path}", s.base).parse() {
            r.headers_mut().insert("location", v);
        }
        r
    } else if authed && s.date_skew_secs != 0 {
        errors::api(401, "Jwt expired")
    } else {
        let decision = if path.starts_with("/api/") {
            s.faults.lock().unwrap_or_else(|p| p.into_inner()).decide(&method, &path)
        } else {
            Decision::Pass
        };
        let req = Request::from_parts(parts, Body::from(bytes));
        match decision {
            Decision::Pass => handle(&s, req, next).await,
            Decision::Before(429) => {
                let secs = s.faults.lock().unwrap_or_else(|p| p.into_inner()).faults.retry_after_secs;
                let mut r = errors::api(429, "Too many requests");
                if let Ok(v) = secs.to_string().parse() {
                    r.headers_mut().insert("retry-after", v);
                }
                r
            }
            Decision::Before(code) => errors::api(code, "Uventet feil (injected)"),
            Decision::AfterCommit => {
                let _committed = handle(&s, req, next).await;
                errors::api(502, "Bad gateway (injected after the write was committed)")
            }
            Decision::DropBefore => dropped(),
            Decision::DropAfterCommit => {
                let _committed = handle(&s, req, next).await;
                dropped()
            }
            Decision::CutBodyAfterCommit => crate::serve::cut_body(handle(&s, req, next).await).await,
        }
    };
    if s.date_skew_secs != 0 {
        let at =
            std::time::SystemTime::now().checked_add(std::time::Duration::from_secs(s.date_skew_secs.unsigned_abs()));
        if let Some(v) = at.and_then(|t| httpdate(t).parse().ok()) {
            resp.headers_mut().insert("date", v);
        }
    }
    // 0: the connection was closed without an answer.
    let status =
        if resp.extensions().get::<crate::serve::DropConnection>().is_some() { 0 } else { resp.status().as_u16() };
    s.lock().requests.push(
        json!({"method": method, "path": path, "query": query, "body": logged_body, "status": status, "org": org,
            "at_ms": at_ms}),
    );
    if !latency.is_zero() {
        tokio::time::sleep_until(arrived + latency).await;
    }
    if !write_delay.is_zero() && method != "GET" && path.starts_with("/api/") {
        tokio::time::sleep(write_delay).await;
    }
    resp
}

/// Handle a request the fault dice let through. With the consistency fault on, writes are also
/// replayed to the lagging replica, and admin-API reads are answered from it while it lags.
async fn handle(s: &Arc<Store>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    if !is_api {
        return next.run(req).await;
    }
    if req.method() == axum::http::Method::GET {
        if let (Some(view), Some((reader, app))) = (s.replica.lagging_view(), s.reader.get()) {
            crate::replica::prepare_reader(reader, s, view);
            s.faults.lock().unwrap_or_else(|p| p.into_inner()).count_stale_read();
            // Without its extensions: this request was routed already (the layer runs per route)
            // and carries its path parameters, which the reader's routing would add a second
            // time (axum then answers 500 to `Path` extractors).
            let (mut parts, body) = req.into_parts();
            parts.extensions = Default::default();
            let fresh = Request::from_parts(parts, body);
            return tower::ServiceExt::oneshot(app.clone(), fresh).await.unwrap_or_else(|e| match e {});
        }
        return next.run(req).await;
    }
    let lagging = s.faults.lock().unwrap_or_else(|p| p.into_inner()).faults.consistency_delay_ms > 0;
    if lagging {
        s.replica.before_write(s);
    }
    let resp = next.run(req).await;
    if lagging {
        let delay = s.faults.lock().unwrap_or_else(|p| p.into_inner()).visibility_delay();
        s.replica.after_write(s, delay);
    }
    resp
}

/// No answer at all: the accept loop closes the connection (`serve::DropConnection`).
fn dropped() -> Response {
    let mut r = axum::http::StatusCode::BAD_GATEWAY.into_response();
    r.extensions_mut().insert(crate::serve::DropConnection);
    r
}

/// An IMF-fixdate, as HTTP Date headers carry it.
fn httpdate(t: std::time::SystemTime) -> String {
    let s = humantime::format_rfc3339_seconds(t).to_string(); // 2026-11-24T13:00:00Z
    let (date, time) = s.trim_end_matches('Z').split_once('T').unwrap_or(("1970-01-01", "00:00:00"));
    let mut p = date.split('-').map(|x| x.parse::<u32>().unwrap_or(1));
    let (y, m, d) = (p.next().unwrap_or(1970), p.next().unwrap_or(1), p.next().unwrap_or(1));
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    // Zeller-free weekday: days since 1970-01-01 (a Thursday).
    let days = t.duration_since(std::time::UNIX_EPOCH).map(|x| x.as_secs() / 86400).unwrap_or(0);
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    format!("{wd}, {d:02} {} {y} {time} GMT", months[(m as usize).saturating_sub(1).min(11)])
}

fn form_pairs(b: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded_pairs(b)
}

fn serde_urlencoded_pairs(b: &[u8]) -> Vec<(String, String)> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{}", String::from_utf8_lossy(b)).parse().unwrap_or_default(),
    )
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

pub async fn get_faults(State(s): State<Arc<Store>>) -> Json<Value> {
    let f = s.faults.lock().unwrap_or_else(|p| p.into_inner());
    Json(json!({"faults": f.faults, "injected": f.injected, "injected_by_kind": f.by_kind}))
}

pub async fn put_faults(State(s): State<Arc<Store>>, Json(faults): Json<Faults>) -> Json<Value> {
    let mut f = s.faults.lock().unwrap_or_else(|p| p.into_inner());
    f.set(faults);
    Json(json!({"faults": f.faults, "injected": f.injected, "injected_by_kind": f.by_kind}))
}
