//! The accept loop. The simulator serves its axum router over hyper directly (rather than with
//! `axum::serve`) for two test needs: a fault that closes the connection without any answer —
//! before or after the request was handled — which only the connection itself can do; and TLS
//! with a test CA, to prove the provider validates certificates (design.md §7).

use axum::Router;
use hyper_util::rt::TokioIo;
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

/// Accept connections until `stop` fires; each connection is served on its own task.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Option<Arc<tokio_rustls::TlsAcceptor>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        let tcp = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(_) => continue,
            },
        };
        let (app, tls) = (app.clone(), tls.clone());
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
                    Err(_) => return,
                },
                None => http.serve_connection(TokioIo::new(tcp), service).await,
            };
        });
    }
}

/// A test CA and a server certificate for `localhost` and 127.0.0.1 signed by it: the acceptor,
/// and the CA certificate as PEM (for the client's extra trust roots).
pub fn tls_acceptor() -> anyhow::Result<(tokio_rustls::TlsAcceptor, String)> {
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name.push(rcgen::DnType::CommonName, "maskinporten-sim TLS test CA");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate()?;
    let mut leaf = rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
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
