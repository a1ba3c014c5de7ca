//! The scripted server the API client's tests talk to: `/api/v1/thing` answers from a script,
//! `/api/v1/slow` holds its answer until released, `/token` (and `/named/token`) issue numbered
//! tokens (after any scripted refusals), and the issuer's metadata names one of them.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use terraform_provider_maskinporten::api::admin_scopes::Need;
use terraform_provider_maskinporten::api::{ApiClient, ApiConfig, Signing};
use tokio_util::sync::CancellationToken;

/// What the scripted operations need: scopes.write or scopes.read.
pub const NEED: Need = Need::SCOPES_READ;

/// Scripted answers for `/api/v1/thing`, and counters.
#[derive(Default)]
pub struct Script {
    pub answers: Mutex<VecDeque<(u16, &'static str, Option<&'static str>)>>,
    pub tokens: Mutex<u32>,
    pub calls: Mutex<Vec<(String, String)>>,
    /// The query string of each call to `/api/v1/thing` (empty without one).
    pub queries: Mutex<Vec<String>>,
    /// Scripted answers of the token endpoint (status, body), before it issues tokens.
    pub token_answers: Mutex<VecDeque<(u16, &'static str)>>,
    /// The User-Agent of each token request.
    pub token_agents: Mutex<Vec<String>>,
    /// The path of each token request, in order.
    pub token_paths: Mutex<Vec<String>>,
    /// A token request has arrived.
    pub token_arrived: tokio::sync::Notify,
    /// The metadata waits (up to 10 s) for a token request to arrive before it answers.
    pub hold_metadata: std::sync::atomic::AtomicBool,
    /// Scripted failures of the metadata (statuses, answered with an empty object), before it
    /// answers properly.
    pub metadata_failures: Mutex<VecDeque<u16>>,
    /// Each metadata request: whether a token request had arrived before it was answered.
    pub metadata: Mutex<Vec<bool>>,
    /// `/api/v1/slow` has received a request (and holds its answer until `release`).
    pub arrived: tokio::sync::Notify,
    pub release: tokio::sync::Notify,
}

/// Answers only when the test says so: the request is in flight until then.
async fn slow(State(s): State<Arc<Script>>, method: axum::http::Method) -> Response {
    s.calls.lock().unwrap().push((method.to_string(), String::new()));
    s.arrived.notify_one();
    s.release.notified().await;
    axum::Json(serde_json::json!({"done": true})).into_response()
}

async fn token(State(s): State<Arc<Script>>, h: HeaderMap, uri: axum::http::Uri) -> Response {
    let agent = h.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    s.token_agents.lock().unwrap().push(agent);
    s.token_paths.lock().unwrap().push(uri.path().to_string());
    s.token_arrived.notify_one();
    if let Some((status, body)) = s.token_answers.lock().unwrap().pop_front() {
        return (StatusCode::from_u16(status).unwrap(), body.to_string()).into_response();
    }
    let mut n = s.tokens.lock().unwrap();
    *n += 1;
    axum::Json(serde_json::json!({"access_token": format!("t{n}"), "token_type": "Bearer", "expires_in": 3600, "scope": "idporten:scopes.read"})).into_response()
}

async fn thing(
    State(s): State<Arc<Script>>,
    method: axum::http::Method,
    h: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let auth = h.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    s.calls.lock().unwrap().push((method.to_string(), auth));
    s.queries.lock().unwrap().push(query.unwrap_or_default());
    let (status, body, retry_after) = s.answers.lock().unwrap().pop_front().unwrap_or((200, "{}", None));
    let mut resp = (StatusCode::from_u16(status).unwrap(), body.to_string()).into_response();
    if let Some(r) = retry_after {
        resp.headers_mut().insert("retry-after", r.parse().unwrap());
    }
    resp
}

pub async fn server(answers: Vec<(u16, &'static str, Option<&'static str>)>) -> (String, Arc<Script>) {
    server_naming(answers, "/token").await
}

/// [`server`] whose metadata names `token_path` as the token endpoint.
pub async fn server_naming(
    answers: Vec<(u16, &'static str, Option<&'static str>)>,
    token_path: &'static str,
) -> (String, Arc<Script>) {
    let script = Arc::new(Script { answers: Mutex::new(answers.into()), ..Default::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let b = base.clone();
    let app = Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(move |State(s): State<Arc<Script>>| async move {
                let hold = if s.hold_metadata.load(std::sync::atomic::Ordering::Relaxed) { 10 } else { 0 };
                let arrived = tokio::time::timeout(Duration::from_secs(hold), s.token_arrived.notified()).await.is_ok();
                s.metadata.lock().unwrap().push(arrived);
                if let Some(status) = s.metadata_failures.lock().unwrap().pop_front() {
                    return (StatusCode::from_u16(status).unwrap(), "{}").into_response();
                }
                axum::Json(serde_json::json!({"issuer": format!("{b}/"), "token_endpoint": format!("{b}{token_path}")}))
                    .into_response()
            }),
        )
        .route("/token", post(token))
        .route("/named/token", post(token))
        .route("/api/v1/thing", get(thing).post(thing).put(thing).delete(thing))
        .route("/api/v1/slow", get(slow).post(slow))
        .with_state(script.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, script)
}

pub fn client(base: &str, max_retries: u32) -> ApiClient {
    client_with(base, max_retries, CancellationToken::new())
}

pub fn client_with(base: &str, max_retries: u32, cancel: CancellationToken) -> ApiClient {
    ApiClient::new(config(base, max_retries), cancel).unwrap()
}

pub fn config(base: &str, max_retries: u32) -> ApiConfig {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["x".into()]).unwrap().self_signed(&key).unwrap();
    ApiConfig {
        api_url: ApiConfig::normalise_api_url(base).unwrap(),
        issuer: format!("{base}/"),
        token_endpoint: None,
        client_id: "admin".into(),
        signing: Signing::X5c { chain_der: vec![cert.der().to_vec()], key_pem: key.serialize_pem().into() },
        scopes: None,
        request_timeout: Duration::from_secs(5),
        max_retries,
        max_concurrent_requests: 4,
        user_agent: "test".into(),
        extra_roots_pem: None,
        retry_deadline: Duration::from_secs(20),
    }
}

pub const ERR: &str = r#"{"status":400,"correlation_id":"abc123","error":"bad","error_description":"bad input"}"#;
