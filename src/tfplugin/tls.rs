//! AutoMTLS as go-plugin does it (docs/development/plugin-protocol.md, "Mutual TLS"): a fresh
//! self-signed server certificate for `localhost`, ALPN h2, and a client certificate that is
//! *required* and must be byte-for-byte the one Terraform put in `PLUGIN_CLIENT_CERT`. rustls runs
//! on aws-lc-rs because ring cannot verify Terraform's P-521 signatures; the stock verifier is not
//! used because it rejects Terraform's CA:TRUE client certificate.

use base64::Engine;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

/// Accepts exactly one client certificate.
#[derive(Debug)]
pub struct PinnedClientCert {
    der: Vec<u8>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::General("client certificate is not PLUGIN_CLIENT_CERT".into()))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Build the TLS acceptor for a client certificate PEM; returns it with the server's DER.
pub fn acceptor(client_cert_pem: &str) -> Result<(TlsAcceptor, Vec<u8>), String> {
    let client = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
        .map_err(|e| format!("PLUGIN_CLIENT_CERT is not a PEM certificate: {e}"))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());

    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).map_err(|e| e.to_string())?;
    params.distinguished_name.push(rcgen::DnType::OrganizationName, "HashiCorp");
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages =
        vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth, rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    let server_der = cert.der().to_vec();

    let verifier = PinnedClientCert { der: client.to_vec(), provider: provider.clone() };
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(
            vec![CertificateDer::from(server_der.clone())],
            PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok((TlsAcceptor::from(Arc::new(config)), server_der))
}

/// The certificate field of the handshake line: DER, standard base64 without padding.
pub fn handshake_cert(der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(der)
}

/// A connection from Terraform: TLS normally, plain TCP when Terraform disabled plugin TLS.
pub enum PluginStream {
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    Plain(TcpStream),
}

impl tonic::transport::server::Connected for PluginStream {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for PluginStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            PluginStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            PluginStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for PluginStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            PluginStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            PluginStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            PluginStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            PluginStream::Plain(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            PluginStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            PluginStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// How long a client may take to complete the TLS handshake: Terraform's takes milliseconds.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Handshakes in progress at once: Terraform opens one connection; more only from a stranger.
const MAX_HANDSHAKES: usize = 64;

/// Accept connections until `shutdown`, completing TLS handshakes off the accept loop; a client
/// with any other certificate is dropped (and logged) without ever reaching the gRPC service.
/// Handshakes are bounded in time and number, so a stranger on the machine who connects and says
/// nothing cannot tie the plugin up, and a failing `accept` (out of file descriptors) backs off
/// instead of spinning.
pub fn incoming(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    shutdown: CancellationToken,
) -> ReceiverStream<std::io::Result<PluginStream>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_HANDSHAKES));
    tokio::spawn(async move {
        let mut backoff = std::time::Duration::from_millis(10);
        loop {
            let conn = tokio::select! {
                _ = shutdown.cancelled() => break,
                c = listener.accept() => c,
            };
            let (tcp, peer) = match conn {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a plugin connection failed; waiting before the next");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(std::time::Duration::from_secs(1));
                    continue;
                }
            };
            backoff = std::time::Duration::from_millis(10);
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                tracing::warn!(%peer, "refused a plugin connection (too many handshakes in progress)");
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let (tx, acceptor) = (tx.clone(), acceptor.clone());
            tokio::spawn(async move {
                let stream = match acceptor {
                    None => PluginStream::Plain(tcp),
                    Some(a) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, a.accept(tcp)).await {
                        Ok(Ok(s)) => PluginStream::Tls(Box::new(s)),
                        Ok(Err(e)) => {
                            tracing::warn!(%peer, error = %e, "refused a plugin connection (TLS handshake failed)");
                            return;
                        }
                        Err(_) => {
                            tracing::warn!(%peer, "refused a plugin connection (no TLS handshake within 10 s)");
                            return;
                        }
                    },
                };
                drop(slot);
                let _ = tx.send(Ok(stream)).await;
            });
        }
    });
    ReceiverStream::new(rx)
}
