//! The accept loop. The simulator serves its axum router over hyper directly (rather than with
//! `axum::serve`) for two test needs: a fault that closes the connection without any answer —
//! before or after the request was handled — which only the connection itself can do; and TLS
//! with a test CA, to prove the provider validates certificates (ARCHITECTURE.md, "Reliability").

use axum::Router;
use axum::response::IntoResponse;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::sync::Arc;
use tower::ServiceExt;

/// Set on a response by the fault middleware: close the connection instead of sending it.
#[derive(Clone, Copy)]
pub struct DropConnection;

#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}
impl std::error::Error for Dropped {}

/// The answer's status, headers and the first half of its body, then the connection closes: the
/// client learns the request succeeded but loses what it returned (the `cut_body_after_commit`
/// fault). An empty answer has nothing to cut and is dropped whole.
pub async fn cut_body(resp: axum::response::Response) -> axum::response::Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    if bytes.is_empty() {
        let mut r = axum::http::StatusCode::BAD_GATEWAY.into_response();
        r.extensions_mut().insert(DropConnection);
        return r;
    }
    // The full length is announced, so the client knows the body it got is cut short.
    parts.headers.insert(axum::http::header::CONTENT_LENGTH, bytes.len().into());
    let half = bytes.slice(..bytes.len() / 2);
    let pause = Box::pin(tokio::time::sleep(std::time::Duration::from_millis(50)));
    axum::response::Response::from_parts(parts, axum::body::Body::new(CutBody { first: Some(half), pause }))
}

/// A body that yields one chunk, waits a moment (so hyper flushes the status, the headers and
/// that chunk to the client) and then fails, which makes hyper abort the connection.
struct CutBody {
    first: Option<hyper::body::Bytes>,
    pause: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl hyper::body::Body for CutBody {
    type Data = hyper::body::Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        if let Some(b) = self.first.take() {
            return std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(b))));
        }
        std::task::ready!(self.pause.as_mut().poll(cx));
        let cut = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "answer cut by fault injection");
        std::task::Poll::Ready(Some(Err(cut)))
    }
}

/// Accept connections until `stop` fires; each connection is served on its own task. Failed TLS
/// handshakes are counted in `refused`.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Option<Arc<tokio_rustls::TlsAcceptor>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
    refused: Arc<std::sync::atomic::AtomicU64>,
) {
    loop {
        let tcp = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(_) => continue,
            },
        };
        let (app, tls, refused) = (app.clone(), tls.clone(), refused.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let app = app.clone();
                async move {
                    let resp = app.oneshot(req.map(axum::body::Body::new)).await.unwrap_or_else(|e| match e {});
                    // An error from the service makes hyper close the connection unanswered.
                    if resp.extensions().get::<DropConnection>().is_some() { Err(Dropped) } else { Ok(resp) }
                }
            });
            let http = hyper::server::conn::http1::Builder::new();
            let _ = match tls {
                Some(acceptor) => match acceptor.accept(tcp).await {
                    Ok(stream) => http.serve_connection(TokioIo::new(stream), service).await,
                    Err(_) => {
                        refused.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        return;
                    }
                },
                None => http.serve_connection(TokioIo::new(tcp), service).await,
            };
        });
    }
}

/// A test CA and a server certificate for `host`, `localhost` and 127.0.0.1 signed by it: the acceptor,
/// and the CA certificate as PEM (for the client's extra trust roots).
pub fn tls_acceptor(host: &str) -> anyhow::Result<(tokio_rustls::TlsAcceptor, String)> {
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name.push(rcgen::DnType::CommonName, "maskinporten-sim TLS test CA");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate()?;
    let mut leaf =
        rcgen::CertificateParams::new(vec![host.to_string(), "localhost".to_string(), "127.0.0.1".to_string()])?;
    leaf.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let cert = leaf.signed_by(&key, &issuer)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).map_err(anyhow::Error::msg)?,
        )?;
    Ok((tokio_rustls::TlsAcceptor::from(Arc::new(config)), ca_cert.pem()))
}
