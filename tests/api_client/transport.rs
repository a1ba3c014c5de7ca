//! The API client where the connection itself fails: an answer lost after the request was sent,
//! a connection refused before it, a body cut short, a certificate this machine does not trust.

use crate::script::{NEED, config, server};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use terraform_provider_maskinporten::api::{ApiClient, ApiConfig, ApiError, Request};
use tokio_util::sync::CancellationToken;

/// A server that reads each request's head, writes `answer` (nothing: hangs up unanswered) and
/// closes the connection, counting connections.
async fn raw_server(answer: &'static [u8]) -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let (mut head, mut buf) = (Vec::new(), [0u8; 4096]);
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = conn.write_all(answer).await;
            });
        }
    });
    (base, accepted)
}

/// A client whose API is at `api`, with tokens from the scripted server.
async fn client_at(api: &str) -> ApiClient {
    let (base, _) = server(vec![]).await;
    let cfg = ApiConfig { api_url: ApiConfig::normalise_api_url(api).unwrap(), ..config(&base, 2) };
    ApiClient::new(cfg, CancellationToken::new()).unwrap()
}

/// A request that reached the server and lost its answer: a read is retried and commits nothing;
/// a POST is not repeated and may have committed.
#[tokio::test]
async fn a_lost_answer_is_retried_for_reads_only() {
    let (gone, accepted) = raw_server(b"").await;
    let c = client_at(&gone).await;
    let read = c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap_err();
    assert!(matches!(read, ApiError::Transport { maybe_committed: false, tls_refused: false, .. }), "{read:?}");
    assert_eq!(accepted.swap(0, Ordering::SeqCst), 3, "1 try + 2 retries");
    let write = c.execute::<serde_json::Value>(Request::post("/thing", NEED)).await.unwrap_err();
    assert!(matches!(write, ApiError::Transport { maybe_committed: true, .. }), "{write:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "a POST is sent once");
}

/// A connection refused before anything was sent committed nothing, so even a POST is tried
/// again; the message names the cause once.
#[tokio::test]
async fn a_refused_connection_commits_nothing_and_says_why() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let c = client_at(&format!("http://127.0.0.1:{port}")).await;
    let refused = c.execute::<serde_json::Value>(Request::post("/thing", NEED)).await.unwrap_err();
    assert!(matches!(refused, ApiError::Transport { maybe_committed: false, tls_refused: false, .. }), "{refused:?}");
    let text = refused.to_string();
    assert_eq!(text.matches("onnection refused").count(), 1, "{text}");
}

/// An answer whose body is cut short: after a 2xx the request was handled, so the answer was
/// lost (a read tries again, a POST may have committed); after a 4xx it is that error.
#[tokio::test]
async fn a_body_cut_short_after_a_2xx_is_a_lost_answer_and_after_a_4xx_the_error() {
    let (cut, accepted) = raw_server(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"a\"").await;
    let c = client_at(&cut).await;
    let write = c.execute::<serde_json::Value>(Request::post("/thing", NEED)).await.unwrap_err();
    assert!(matches!(write, ApiError::Transport { maybe_committed: true, .. }), "{write:?}");
    assert_eq!(accepted.swap(0, Ordering::SeqCst), 1);
    let read = c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap_err();
    assert!(matches!(read, ApiError::Transport { maybe_committed: false, .. }), "{read:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 3, "1 try + 2 retries");

    let (refused, _) = raw_server(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 100\r\n\r\n{").await;
    let e = client_at(&refused).await.execute::<serde_json::Value>(Request::post("/thing", NEED)).await.unwrap_err();
    assert_eq!(e.status(), Some(400), "{e:?}");
}

/// A certificate this machine does not trust: refused at the handshake, not retried, and marked
/// so that the explanation can point at `ca_bundle_file`.
#[tokio::test]
async fn an_untrusted_certificate_is_refused_once() {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap().self_signed(&key).unwrap();
    let der = rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let tls =
        rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(vec![cert.der().clone()], der).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let _ = acceptor.accept(conn).await;
        }
    });
    let c = client_at(&format!("https://localhost:{port}")).await;
    let e = c.execute::<serde_json::Value>(Request::get("/thing", NEED)).await.unwrap_err();
    assert!(matches!(e, ApiError::Transport { tls_refused: true, maybe_committed: false, .. }), "{e:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "not retried");
}
