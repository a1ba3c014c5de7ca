//! ApiClient against a scripted HTTP server: token discovery and caching, the single 401
//! refresh, which failures are retried (and which never are), Retry-After, and 2xx bodies.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use terraform_provider_maskinporten::api::admin_scopes::Need;
use terraform_provider_maskinporten::api::{ApiClient, ApiConfig, ApiError, Request, Signing};

/// What the scripted operations need: scopes.write or scopes.read.
const NEED: Need = Need::SCOPES_READ;
use tokio_util::sync::CancellationToken;

/// Scripted answers for `/api/v1/thing`, and counters.
#[derive(Default)]
struct Script {
    answers: Mutex<VecDeque<(u16, &'static str, Option<&'static str>)>>,
    tokens: Mutex<u32>,
    calls: Mutex<Vec<(String, String)>>,
    /// The query string of each call to `/api/v1/thing` (empty without one).
    queries: Mutex<Vec<String>>,
    /// Scripted answers of the token endpoint (status, body), before it issues tokens.
    token_answers: Mutex<VecDeque<(u16, &'static str)>>,
    /// `/api/v1/slow` has received a request (and holds its answer until `release`).
    arrived: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

/// Answers only when the test says so: the request is in flight until then.
async fn slow(State(s): State<Arc<Script>>, method: axum::http::Method) -> Response {
    s.calls.lock().unwrap().push((method.to_string(), String::new()));
    s.arrived.notify_one();
    s.release.notified().await;
    axum::Json(serde_json::json!({"done": true})).into_response()
}

async fn token(State(s): State<Arc<Script>>) -> Response {
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

async fn server(answers: Vec<(u16, &'static str, Option<&'static str>)>) -> (String, Arc<Script>) {
    let script = Arc::new(Script { answers: Mutex::new(answers.into()), ..Default::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let b = base.clone();
    let app = Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(move || async move {
                axum::Json(serde_json::json!({"issuer": format!("{b}/"), "token_endpoint": format!("{b}/token")}))
            }),
        )
        .route("/token", post(token))
        .route("/api/v1/thing", get(thing).post(thing).put(thing).delete(thing))
        .route("/api/v1/slow", get(slow).post(slow))
        .with_state(script.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, script)
}

fn client(base: &str, max_retries: u32) -> ApiClient {
    client_with(base, max_retries, CancellationToken::new())
}

fn client_with(base: &str, max_retries: u32, cancel: CancellationToken) -> ApiClient {
    ApiClient::new(config(base, max_retries), cancel).unwrap()
}

fn config(base: &str, max_retries: u32) -> ApiConfig {
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

const ERR: &str = r#"{"status":400,"correlation_id":"abc123","error":"bad","error_description":"bad input"}"#;

#[tokio::test]
async fn one_token_serves_many_calls_and_a_401_renews_it_once() {
    let (base, s) =
        server(vec![(200, "{}", None), (200, "{}", None), (401, "{}", None), (200, r#"{"ok":true}"#, None)]).await;
    let c = client(&base, 0);
    for _ in 0..2 {
        c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap();
    }
    assert_eq!(*s.tokens.lock().unwrap(), 1, "token discovered once and cached");
    let v = c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap();
    assert_eq!(v, Some(serde_json::json!({"ok": true})));
    assert_eq!(*s.tokens.lock().unwrap(), 2, "the 401 renewed the token once");
    let calls = s.calls.lock().unwrap();
    assert_eq!(calls[2].1, "Bearer t1");
    assert_eq!(calls[3].1, "Bearer t2", "retried with the new token");
}

#[tokio::test]
async fn a_second_401_is_an_error() {
    let (base, s) = server(vec![(401, ERR, None), (401, ERR, None)]).await;
    let e = client(&base, 3).execute::<serde_json::Value>(Request::post("/thing", NEED)).await.unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(s.calls.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn reads_retry_5xx_and_429_honouring_retry_after() {
    let (base, s) = server(vec![(503, "", None), (429, "", Some("1")), (200, "{}", None)]).await;
    let start = Instant::now();
    client(&base, 3).execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap();
    assert_eq!(s.calls.lock().unwrap().len(), 3);
    assert!(start.elapsed() >= Duration::from_millis(900), "waited for Retry-After");
}

#[tokio::test]
async fn a_post_is_never_repeated_and_4xx_are_never_retried() {
    let (base, s) = server(vec![(503, "", None)]).await;
    let e = client(&base, 3).execute::<serde_json::Value>(Request::post("/thing", NEED)).await.unwrap_err();
    assert_eq!((e.status(), s.calls.lock().unwrap().len()), (Some(503), 1));

    let (base, s) = server(vec![(400, ERR, None)]).await;
    let e = client(&base, 3).execute::<serde_json::Value>(Request::put("/thing", NEED)).await.unwrap_err();
    assert_eq!(s.calls.lock().unwrap().len(), 1);
    assert_eq!(e.correlation_id(), Some("abc123"));
    assert!(e.to_string().contains("bad input") && e.to_string().contains("abc123"), "{e}");
}

/// A 429 was refused before it was handled, so even a create may repeat it; a Retry-After no
/// deadline could honour ends the retries at once (and cannot overflow the clock arithmetic).
#[tokio::test]
async fn a_refused_post_is_repeated_and_an_endless_retry_after_ends_retrying() {
    let (base, s) = server(vec![(429, "", Some("0")), (200, r#"{"id":1}"#, None)]).await;
    let r = client(&base, 3).execute::<serde_json::Value>(Request::post("/thing", NEED)).await.unwrap();
    assert_eq!((r, s.calls.lock().unwrap().len()), (Some(serde_json::json!({"id": 1})), 2));

    let (base, s) = server(vec![(429, "", Some("18446744073709551615"))]).await;
    let e = client(&base, 3).execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap_err();
    assert_eq!((e.status(), s.calls.lock().unwrap().len()), (Some(429), 1));
}

#[tokio::test]
async fn retries_stop_at_max_retries() {
    let (base, s) = server(vec![(502, "", None); 5]).await;
    let e = client(&base, 2).execute::<serde_json::Value>(Request::delete("/thing", NEED)).await.unwrap_err();
    assert!(matches!(e, ApiError::Http { status: 502, .. }));
    assert_eq!(s.calls.lock().unwrap().len(), 3, "1 try + 2 retries");
}

#[tokio::test]
async fn any_2xx_is_success_with_or_without_a_body() {
    let (base, _) =
        server(vec![(200, " \r\n", None), (200, "", None), (204, "", None), (201, r#"{"a":1}"#, None)]).await;
    let c = client(&base, 0);
    assert_eq!(c.execute::<serde_json::Value>(Request::delete("/thing", NEED)).await.unwrap(), None, "blank");
    assert_eq!(c.execute::<serde_json::Value>(Request::delete("/thing", NEED)).await.unwrap(), None);
    assert_eq!(c.execute::<serde_json::Value>(Request::delete("/thing", NEED)).await.unwrap(), None);
    assert_eq!(
        c.execute::<serde_json::Value>(Request::post("/thing", NEED)).await.unwrap(),
        Some(serde_json::json!({"a": 1}))
    );
}

#[tokio::test]
async fn a_cancelled_client_abandons_reads_and_still_carries_out_writes() {
    let (base, s) = server(vec![(201, r#"{"id":1}"#, None)]).await;
    let cancel = CancellationToken::new();
    let c = client_with(&base, 0, cancel.clone());
    cancel.cancel();
    assert!(matches!(c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await, Err(ApiError::Cancelled)));
    assert!(s.calls.lock().unwrap().is_empty(), "the read was not sent");
    // Whichever write an apply has begun is finished, so that no change is left half made.
    let written = c.execute::<serde_json::Value>(Request::post("/thing", NEED)).await.unwrap();
    assert_eq!(written, Some(serde_json::json!({"id": 1})));
    assert_eq!(s.calls.lock().unwrap().len(), 1);
}

/// StopProvider in the middle of a write: the write is not abandoned (it may already have changed
/// Digdir), and its answer is returned; a read in flight at the same moment is abandoned.
#[tokio::test]
async fn a_write_in_flight_finishes_after_cancel_and_a_read_in_flight_does_not() {
    let (base, s) = server(vec![]).await;
    let cancel = CancellationToken::new();
    let c = client_with(&base, 0, cancel.clone());
    let write = tokio::spawn({
        let c = c.clone();
        async move { c.execute::<serde_json::Value>(Request::post("/slow", NEED)).await }
    });
    s.arrived.notified().await;
    let read = tokio::spawn({
        let c = c.clone();
        async move { c.execute::<serde_json::Value>(Request::get("/slow", NEED)).await }
    });
    s.arrived.notified().await;
    cancel.cancel();
    let read = read.await.unwrap();
    assert!(matches!(read, Err(ApiError::Cancelled)), "the read in flight is abandoned: {read:?}");
    s.release.notify_waiters();
    let written = write.await.unwrap();
    assert_eq!(written.unwrap(), Some(serde_json::json!({"done": true})), "the write in flight finished");
    assert_eq!(s.calls.lock().unwrap().len(), 2, "both reached the server, once each");
}

/// A POST whose answer does not come within `request_timeout` may have been handled: the
/// timeout counts as a lost answer (`may_have_committed`), and the POST is not sent again,
/// whatever `max_retries` allows — the reconciled create decides what happens next.
#[tokio::test]
async fn a_timed_out_post_counts_as_a_lost_answer_and_is_not_repeated() {
    let (base, s) = server(vec![]).await;
    let c = ApiClient::new(
        ApiConfig { request_timeout: Duration::from_millis(300), ..config(&base, 3) },
        CancellationToken::new(),
    )
    .unwrap();
    let err = c.execute::<serde_json::Value>(Request::post("/slow", NEED)).await.expect_err("timed out");
    assert!(err.may_have_committed(), "a timeout may have committed: {err:?}");
    assert_eq!(s.calls.lock().unwrap().len(), 1, "sent once");
    s.release.notify_waiters();
}

/// However many calls are started at once, no more than `max_concurrent_requests` are in
/// flight: the others wait for a slot.
#[tokio::test]
async fn no_more_than_max_concurrent_requests_are_in_flight() {
    let (base, s) = server(vec![]).await;
    let c =
        ApiClient::new(ApiConfig { max_concurrent_requests: 2, ..config(&base, 0) }, CancellationToken::new()).unwrap();
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.execute::<serde_json::Value>(Request::get("/slow", NEED)).await })
        })
        .collect();
    s.arrived.notified().await;
    s.arrived.notified().await;
    // Two are held by the server; give the other three every chance to arrive if they could.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(s.calls.lock().unwrap().len(), 2, "two in flight, three waiting");
    // Release whoever waits until every call is done (a waiter registers only once it arrived).
    while !calls.iter().all(|c| c.is_finished()) {
        s.release.notify_waiters();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(s.calls.lock().unwrap().len(), 5);
    for call in calls {
        call.await.unwrap().expect("every call finished");
    }
}

/// The typed verbs say what an answer means, so that no endpoint re-derives it: `lookup` reads
/// Digdir's 404 as "not there" and nothing else; `list` reads an empty answer and Digdir's "does
/// not have any" error as `[]`, but not a plain 404; `fetch` refuses an empty answer; `send`
/// passes errors on. One token serves them all, and the scopes it carries are known.
#[tokio::test]
async fn each_verb_reads_an_answer_as_what_it_means() {
    const NOT_FOUND: &str = r#"{"error":"not_found","error_description":"no such thing"}"#;
    const NONE: &str = r#"{"error":"invalid_request","error_description":"Organization 1 does not have any scopes"}"#;
    let (base, s) = server(vec![
        (200, r#"{"a":1}"#, None),
        (404, NOT_FOUND, None),
        (400, ERR, None),
        (200, "[1,2]", None),
        (200, "", None),
        (404, NONE, None),
        (404, NOT_FOUND, None),
        (200, "", None),
        (400, ERR, None),
        (204, "", None),
    ])
    .await;
    let c = client(&base, 0);
    let get = || Request::get("/thing", NEED);
    let found = c.lookup::<serde_json::Value>(get().query("inactive", "true")).await.unwrap();
    assert_eq!(found, Some(serde_json::json!({"a": 1})));
    assert_eq!(c.lookup::<serde_json::Value>(get()).await.unwrap(), None, "a 404 is nothing there");
    assert_eq!(c.lookup::<serde_json::Value>(get()).await.unwrap_err().status(), Some(400), "a 400 stays an error");
    assert_eq!(c.list::<u8>(get()).await.unwrap(), [1, 2]);
    assert_eq!(c.list::<u8>(get()).await.unwrap(), [0u8; 0], "an empty answer is an empty list");
    assert_eq!(c.list::<u8>(get()).await.unwrap(), [0u8; 0], "\"does not have any\" is an empty list");
    assert_eq!(c.list::<u8>(get()).await.unwrap_err().status(), Some(404), "a plain 404 stays an error");
    let e = c.fetch::<serde_json::Value>(Request::post("/thing", NEED)).await.unwrap_err();
    assert!(matches!(&e, ApiError::Decode { message, .. } if message == "empty response body"), "{e:?}");
    assert_eq!(c.send(Request::delete("/thing", NEED)).await.unwrap_err().status(), Some(400));
    c.send(Request::delete("/thing", NEED)).await.unwrap();
    assert_eq!(s.calls.lock().unwrap().len(), 10, "nothing retried");
    assert_eq!(s.queries.lock().unwrap()[..2], ["inactive=true", ""], "the query goes with its request only");
    assert_eq!((c.token_requests(), *s.tokens.lock().unwrap()), (1, 1));
    // Asked for the broader scope first; asked for is granted (Maskinporten refuses otherwise).
    assert_eq!(c.granted_scope().as_deref(), Some("idporten:scopes.write"));
}

/// Maskinporten busy (429, 5xx) is retried like any read; a token refused (4xx) is not.
#[tokio::test]
async fn a_busy_token_endpoint_is_retried_and_a_refusal_is_not() {
    let (base, s) = server(vec![]).await;
    s.token_answers.lock().unwrap().extend([(503, "{}"), (429, "{}")]);
    client(&base, 3).execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap();
    assert_eq!((*s.tokens.lock().unwrap(), s.calls.lock().unwrap().len()), (1, 1), "issued on the third try");

    let (base, s) = server(vec![]).await;
    s.token_answers.lock().unwrap().push_back((400, r#"{"error":"invalid_client","error_description":"MP-123 x"}"#));
    let e = client(&base, 3).execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap_err();
    assert_eq!(e.status(), Some(400), "{e:?}");
    assert!(s.token_answers.lock().unwrap().is_empty() && s.calls.lock().unwrap().is_empty());
    assert_eq!(*s.tokens.lock().unwrap(), 0, "asked once, not again");
}

/// A server that accepts each connection and closes it unanswered, counting them.
async fn hang_up() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(conn);
        }
    });
    (base, accepted)
}

/// A request that reached the server and lost its answer: a read is retried and commits nothing;
/// a POST is not repeated and may have committed. A request that never connected committed
/// nothing, so even a POST is tried again.
#[tokio::test]
async fn a_lost_answer_is_retried_for_reads_only_and_a_refused_connection_for_all() {
    let (base, _) = server(vec![]).await;
    let (gone, accepted) = hang_up().await;
    let at = |api: &str| ApiConfig { api_url: ApiConfig::normalise_api_url(api).unwrap(), ..config(&base, 2) };
    let c = ApiClient::new(at(&gone), CancellationToken::new()).unwrap();
    let read = c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap_err();
    assert!(!read.may_have_committed(), "{read:?}");
    assert_eq!(accepted.swap(0, std::sync::atomic::Ordering::SeqCst), 3, "1 try + 2 retries");
    let write = c.execute::<serde_json::Value>(Request::post("/thing", NEED)).await.unwrap_err();
    assert!(write.may_have_committed(), "{write:?}");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1, "a POST is sent once");

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let c = ApiClient::new(at(&format!("http://127.0.0.1:{port}")), CancellationToken::new()).unwrap();
    let refused = c.execute::<serde_json::Value>(Request::post("/thing", NEED)).await.unwrap_err();
    assert!(matches!(refused, ApiError::Transport { maybe_committed: false, .. }), "{refused:?}");
}
