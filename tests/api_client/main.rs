//! ApiClient against a scripted HTTP server: token discovery and caching, the single 401
//! refresh, which failures are retried (and which never are), Retry-After, and 2xx bodies.
//! The transport cases (lost answers, refused connections, TLS) are in `transport.rs`.

mod script;
mod transport;

use script::{ERR, NEED, client, client_with, config, server, server_naming};
use std::time::{Duration, Instant};
use terraform_provider_maskinporten::api::client_token::ClientGrant;
use terraform_provider_maskinporten::api::{ApiClient, ApiConfig, ApiError, Request};
use tokio_util::sync::CancellationToken;

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
    assert_eq!(c.token_requests(), 2, "and the client counted both");
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
    assert!(e.may_have_committed(), "a 5xx may have committed");

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

/// However many retries `max_retries` allows, they stop when the next wait would end after
/// `retry_deadline`.
#[tokio::test]
async fn retries_stop_at_the_deadline() {
    let (base, s) = server(vec![(503, "", None); 50]).await;
    let cfg = ApiConfig { retry_deadline: Duration::from_secs(2), ..config(&base, 40) };
    let c = ApiClient::new(cfg, CancellationToken::new()).unwrap();
    let e = c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap_err();
    assert_eq!(e.status(), Some(503));
    let calls = s.calls.lock().unwrap().len();
    assert!((2..40).contains(&calls), "retried, then stopped by the deadline: {calls} calls");
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
        (404, "Organization 1 does not have any clients", None),
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
    assert_eq!(c.list::<u8>(get()).await.unwrap(), [0u8; 0], "also as plain text");
    assert_eq!(c.list::<u8>(get()).await.unwrap_err().status(), Some(404), "a plain 404 stays an error");
    let e = c.fetch::<serde_json::Value>(Request::post("/thing", NEED)).await.unwrap_err();
    assert!(matches!(&e, ApiError::Decode { message, .. } if message == "empty response body"), "{e:?}");
    let refused = c.send(Request::delete("/thing", NEED)).await.unwrap_err();
    assert_eq!((refused.status(), refused.may_have_committed()), (Some(400), false));
    c.send(Request::delete("/thing", NEED)).await.unwrap();
    assert_eq!(s.calls.lock().unwrap().len(), 11, "nothing retried");
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

/// The first grant of a process goes to `<issuer>token` while the issuer's metadata is read
/// beside it (the metadata here answers only once that grant has arrived, or after 10 s), and
/// counts because the metadata names that endpoint. Where the metadata names another endpoint,
/// that early answer is thrown away and a new grant goes where the metadata says.
#[tokio::test]
async fn the_first_grant_goes_out_beside_the_metadata_and_counts_only_where_it_names() {
    let (base, s) = server(vec![]).await;
    s.hold_metadata.store(true, std::sync::atomic::Ordering::Relaxed);
    let c = client(&base, 0);
    c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap();
    c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap();
    assert_eq!(*s.metadata.lock().unwrap(), [true], "one metadata read, with the grant already on its way");
    assert_eq!(*s.token_paths.lock().unwrap(), ["/token"]);
    assert_eq!(c.token_requests(), 1);

    let (base, s) = server_naming(vec![], "/named/token").await;
    let c = client(&base, 0);
    c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap();
    c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap();
    assert_eq!(*s.token_paths.lock().unwrap(), ["/token", "/named/token"], "the early grant, then the named");
    let auth: Vec<String> = s.calls.lock().unwrap().iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(auth, ["Bearer t2", "Bearer t2"], "the token from the named endpoint, held for later calls");
    assert_eq!(c.token_requests(), 2);

    // Metadata that fails fails the call, and the token the early grant brought is dropped: the
    // next call reads the metadata again and uses the token of its own grant.
    let (base, s) = server(vec![]).await;
    s.hold_metadata.store(true, std::sync::atomic::Ordering::Relaxed);
    s.metadata_failures.lock().unwrap().push_back(503);
    let c = client(&base, 0);
    let e = c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap_err();
    assert_eq!(e.status(), Some(503), "{e:?}");
    assert!(s.calls.lock().unwrap().is_empty(), "no API call with the early token");
    c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap();
    assert_eq!(*s.metadata.lock().unwrap(), [true, true]);
    assert_eq!(*s.token_paths.lock().unwrap(), ["/token", "/token"]);
    let auth: Vec<String> = s.calls.lock().unwrap().iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(auth, ["Bearer t2"], "the first call's token was not kept");
}

/// An API client's own token (the ephemeral `maskinporten_access_token`): asked with this
/// provider's HTTP client (its User-Agent, no redirects), and Maskinporten's "not yet" while a new
/// client propagates (MP-100) waited out rather than reported.
#[tokio::test]
async fn a_client_token_waits_out_propagation() {
    let (base, s) = server(vec![]).await;
    let not_yet = r#"{"error":"invalid_client","error_description":"MP-100 Invalid client ID"}"#;
    s.token_answers.lock().unwrap().push_back((400, not_yet));
    let grant = ClientGrant {
        client_id: "c1".into(),
        signing: config(&base, 0).signing,
        scopes: vec!["demo:x".into()],
        consumer_org: None,
    };
    let token = client(&base, 0).client_token(&grant, Duration::from_secs(10)).await.unwrap();
    assert_eq!(token.access_token.expose(), "t1");
    assert_eq!(*s.token_agents.lock().unwrap(), ["test", "test"], "asked twice, by this provider's client");
}
