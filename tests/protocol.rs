//! The protocol harness: spawns the provider binary as Terraform would (no Terraform needed) and
//! checks the process contract — the magic cookie, the handshake line, strict client-certificate
//! pinning, SIGINT ignored, UpgradeResourceState, and Shutdown.

use base64::Engine;
use pb::provider_client::ProviderClient;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use terraform_provider_maskinporten::proto::plugin::{Empty, grpc_controller_client::GrpcControllerClient};
use terraform_provider_maskinporten::proto::tfplugin6 as pb;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-maskinporten");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// A client certificate like Terraform's: ECDSA P-521, self-signed.
fn client_identity() -> (String, Vec<u8>, Vec<u8>) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).expect("cert");
    (cert.pem(), cert.der().to_vec(), key.serialize_der())
}

struct Plugin {
    child: Child,
    addr: String,
    server_der: Vec<u8>,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(client_pem: &str) -> Plugin {
    let mut child = Command::new(BIN)
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6,5")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", client_pem)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("handshake line");
    let parts: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(parts.len(), 6, "handshake {line:?}");
    assert_eq!(&parts[..3], ["1", "6", "tcp"]);
    assert_eq!(parts[4], "grpc");
    let port: u16 = parts[3].rsplit(':').next().unwrap().parse().unwrap();
    assert!(parts[3].starts_with("127.0.0.1:") && (10000..=25000).contains(&port), "{}", parts[3]);
    assert!(!parts[5].contains('='), "certificate is base64 without padding");
    let server_der = base64::engine::general_purpose::STANDARD_NO_PAD.decode(parts[5]).expect("base64 DER");
    Plugin { child, addr: parts[3].to_string(), server_der }
}

/// Trusts exactly the certificate from the handshake line, as go-plugin does.
#[derive(Debug)]
struct PinnedServer(Vec<u8>, Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        ee: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if ee.as_ref() == self.0.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("server cert".into()))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.1.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.1.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.1.signature_verification_algorithms.supported_schemes()
    }
}

async fn channel(
    p: &Plugin,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer(p.server_der.clone(), provider)))
        .with_client_auth_cert(vec![CertificateDer::from(cert_der)], PrivateKeyDer::try_from(key_der).unwrap())
        .unwrap();
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let addr = p.addr.clone();
    tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_with_connector(tower::service_fn(move |_| {
            let (connector, addr) = (connector.clone(), addr.clone());
            async move {
                let tcp = tokio::net::TcpStream::connect(addr).await?;
                let tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
            }
        }))
        .await
}

#[test]
fn run_by_hand_prints_the_plugin_message_and_exits_1() {
    let out = Command::new(BIN).env_remove("TF_PLUGIN_MAGIC_COOKIE").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("This binary is a plugin. These are not meant to be executed directly.")
    );
}

#[test]
fn refuses_terraform_without_protocol_6() {
    let out = Command::new(BIN)
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 6"));
}

#[tokio::test]
async fn serves_pinned_mtls_ignores_sigint_upgrades_state_and_shuts_down() {
    let (pem, der, key) = client_identity();
    let mut p = spawn(&pem);

    // A client presenting any other certificate is refused.
    let (_, other_der, other_key) = client_identity();
    let refused = match channel(&p, other_der, other_key).await {
        Err(_) => true,
        Ok(ch) => ProviderClient::new(ch).get_provider_schema(pb::get_provider_schema::Request {}).await.is_err(),
    };
    assert!(refused, "a foreign client certificate must be refused");

    let ch = channel(&p, der, key).await.expect("pinned client connects");
    let mut client = ProviderClient::new(ch.clone());
    let schema = client.get_provider_schema(pb::get_provider_schema::Request {}).await.expect("schema").into_inner();
    assert!(schema.server_capabilities.expect("caps").get_provider_schema_optional);
    assert!(schema.resource_schemas.contains_key("maskinporten_scope"));

    // Ctrl-C in a terminal reaches the provider too; it must keep serving.
    // SAFETY: kill with a valid pid and signal number.
    unsafe { libc::kill(p.child.id() as i32, libc::SIGINT) };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(p.child.try_wait().unwrap().is_none(), "SIGINT ignored");

    // A stored version-0 state passes through: unknown attributes dropped, new ones null.
    let raw = br#"{"id":"demo:a","name":"demo:a","prefix":"demo","subscope":"a","description":"d","removed_attr":1}"#;
    let up = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "maskinporten_scope".into(),
            version: 0,
            raw_state: Some(pb::RawState { json: raw.to_vec(), flatmap: Default::default() }),
        })
        .await
        .expect("upgrade")
        .into_inner();
    assert!(up.diagnostics.is_empty(), "{:?}", up.diagnostics);
    let state = rmpv::decode::read_value(&mut up.upgraded_state.expect("state").msgpack.as_slice()).expect("msgpack");
    let map = state.as_map().expect("object");
    let get = |k: &str| map.iter().find(|(key, _)| key.as_str() == Some(k)).map(|(_, v)| v.clone());
    assert_eq!(get("description").and_then(|v| v.as_str().map(String::from)).as_deref(), Some("d"));
    assert!(get("removed_attr").is_none());
    assert!(get("active").expect("active present").is_nil());

    GrpcControllerClient::new(ch).shutdown(Empty {}).await.expect("shutdown");
    let start = Instant::now();
    while p.child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(10), "exits after Shutdown");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(p.child.wait().unwrap().code(), Some(0));
}
