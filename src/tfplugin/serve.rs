//! Process contract with Terraform (go-plugin; docs/development/plugin-protocol.md,
//! "Process contract and handshake"): magic cookie, protocol version, port range, AutoMTLS pinned
//! to Terraform's client certificate, the handshake line, GRPCController.Shutdown, SIGINT ignored,
//! exit with the parent.

use super::resource::Provider;
use super::server::{ProviderService, Server};
use super::tls;
use crate::proto::{plugin as gp, tfplugin6 as pb};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's own words, so users who run the binary by hand see what they'd see with any provider.
pub const NOT_A_PLUGIN: &str = "This binary is a plugin. These are not meant to be executed directly.\n\
Please execute the program that consumes these plugins, which will\n\
load any plugins automatically";
/// Terraform may send schemas and states far beyond tonic's 4 MiB default.
const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// Why the process could not serve; `main` prints it to stderr and exits 1.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{NOT_A_PLUGIN}")]
    NotAPlugin,
    #[error(
        "this plugin speaks Terraform plugin protocol 6, but Terraform offered only {0:?}; use Terraform 1.0 or later"
    )]
    ProtocolVersion(String),
    #[error("no free port in PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT ({0}..={1})")]
    NoPort(u16, u16),
    #[error("invalid {0}: {1}")]
    Env(&'static str, String),
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error(
        "Terraform started this plugin without a client certificate (PLUGIN_CLIENT_CERT), as it does with TF_DISABLE_PLUGIN_TLS set: refusing to serve over plaintext, since the plugin holds credentials. Unset TF_DISABLE_PLUGIN_TLS, or set {ALLOW_PLAINTEXT}=1 to allow plaintext on this machine while debugging."
    )]
    NoClientCert,
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("gRPC server failed: {0}")]
    Grpc(#[from] tonic::transport::Error),
}

/// Lets the plugin serve plaintext when Terraform gives no client certificate
/// (`TF_DISABLE_PLUGIN_TLS`), for debugging only: otherwise it refuses, because a provider holds
/// credentials and anyone on the machine could call it.
pub const ALLOW_PLAINTEXT: &str = "PLUGIN_ALLOW_PLAINTEXT";

/// Check the environment Terraform provides before doing anything else.
pub fn check_environment() -> Result<(), ServeError> {
    if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotAPlugin);
    }
    let versions = std::env::var("PLUGIN_PROTOCOL_VERSIONS").unwrap_or_default();
    if !versions.split(',').any(|v| v.trim() == "6") {
        return Err(ServeError::ProtocolVersion(versions));
    }
    Ok(())
}

async fn bind() -> Result<TcpListener, ServeError> {
    let port = |k: &'static str| -> Result<Option<u16>, ServeError> {
        match std::env::var(k) {
            Ok(v) if !v.is_empty() => v.parse().map(Some).map_err(|_| ServeError::Env(k, v)),
            _ => Ok(None),
        }
    };
    match (port("PLUGIN_MIN_PORT")?, port("PLUGIN_MAX_PORT")?) {
        (Some(lo), Some(hi)) => {
            for p in lo..=hi {
                if let Ok(l) = TcpListener::bind(("127.0.0.1", p)).await {
                    return Ok(l);
                }
            }
            Err(ServeError::NoPort(lo, hi))
        }
        _ => Ok(TcpListener::bind(("127.0.0.1", 0)).await?),
    }
}

/// Serve a provider until Terraform calls Shutdown or goes away.
pub async fn serve<P, F>(make: F) -> Result<(), ServeError>
where
    P: Provider,
    F: FnOnce(CancellationToken) -> P,
{
    check_environment()?;
    ignore_sigint()?;
    let stop = CancellationToken::new();
    let provider: Arc<dyn Provider> = Arc::new(make(stop.clone()));
    let service = Arc::new(ProviderService::new(provider, stop.clone()));

    let listener = bind().await?;
    let addr = listener.local_addr()?;
    let client_cert = std::env::var("PLUGIN_CLIENT_CERT").ok().filter(|s| !s.trim().is_empty());
    let (acceptor, cert_field) = match client_cert {
        Some(pem) => {
            let (acceptor, server_der) = tls::acceptor(&pem).map_err(ServeError::Tls)?;
            (Some(acceptor), tls::handshake_cert(&server_der))
        }
        None if std::env::var(ALLOW_PLAINTEXT).as_deref() == Ok("1") => {
            tracing::warn!("serving over plaintext without a client certificate ({ALLOW_PLAINTEXT}=1)");
            (None, String::new())
        }
        None => return Err(ServeError::NoClientCert),
    };

    let shutdown = CancellationToken::new();
    let incoming = tls::incoming(listener, acceptor, shutdown.clone());
    watch_parent(shutdown.clone(), stop.clone());

    let provider_svc = pb::provider_server::ProviderServer::new(Server(service))
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);
    let controller = gp::grpc_controller_server::GrpcControllerServer::new(Controller { shutdown: shutdown.clone() });

    // The handshake line is the only thing this process ever writes to stdout.
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "1|6|tcp|{addr}|grpc|{cert_field}")?;
        out.flush()?;
    }
    tracing::info!(%addr, "serving plugin protocol 6");

    let done = shutdown.clone();
    tonic::transport::Server::builder()
        .add_service(provider_svc)
        .add_service(controller)
        .serve_with_incoming_shutdown(incoming, async move { done.cancelled().await })
        .await?;
    stop.cancel();
    Ok(())
}

/// go-plugin's GRPCController: Terraform calls Shutdown when it is done with the plugin.
struct Controller {
    shutdown: CancellationToken,
}

#[tonic::async_trait]
impl gp::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: tonic::Request<gp::Empty>) -> Result<tonic::Response<gp::Empty>, tonic::Status> {
        tracing::debug!("Shutdown requested");
        // The server shuts down gracefully: this answer (like any request in flight) is still
        // sent, then the connections close and the process exits. Terraform waits for that exit
        // after every command's provider instance (three per plan), so nothing waits here.
        self.shutdown.cancel();
        Ok(tonic::Response::new(gp::Empty {}))
    }
}

/// Ctrl-C reaches the whole process group; Terraform itself asks us to stop via StopProvider and
/// lets writes already sent finish. Dying on SIGINT would leave objects created but not in state.
fn ignore_sigint() -> Result<(), ServeError> {
    let mut sig = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    tokio::spawn(async move {
        while sig.recv().await.is_some() {
            tracing::debug!("ignoring SIGINT; Terraform stops the provider through StopProvider");
        }
    });
    Ok(())
}

/// A Terraform killed with SIGKILL cannot call Shutdown; without this the provider would live on as
/// an orphan (docs/development/plugin-protocol.md, "Process contract and handshake"). Polling
/// getppid is immune to the thread-exit quirk of PR_SET_PDEATHSIG with Go parents.
fn watch_parent(shutdown: CancellationToken, stop: CancellationToken) {
    // SAFETY: getppid has no preconditions and cannot fail.
    let parent = unsafe { libc::getppid() };
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            // SAFETY: as above.
            if unsafe { libc::getppid() } != parent {
                tracing::warn!("parent process exited; shutting down");
                stop.cancel();
                shutdown.cancel();
                tokio::time::sleep(Duration::from_secs(2)).await;
                std::process::exit(0);
            }
        }
    });
}
