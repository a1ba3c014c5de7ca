//! maskinporten-sim: an independent implementation of Digdir's Maskinporten self-service API and
//! token endpoint, written from `docs/development/digdir-api.md` (each quirk, like every section
//! cited in this file, is named by its heading there) and sharing no types with the provider's
//! `src/api`, so a misread field cannot hide on both sides.
//!
//! Use it as a library (`Simulator::start`) in tests, or as the `maskinporten-sim` binary for the
//! quickstart. It serves on 127.0.0.1 only.

// Errors carry what a user needs (status, Digdir's body, correlation id, diagnostics); they are
// rare and never on a hot path, so their size is not worth boxing.
#![allow(clippy::result_large_err)]

mod auth;
mod client_grant;
mod clients;
mod contacts;
mod creds;
mod errors;
mod faults;
mod keys;
mod log;
mod replica;
mod scopes;
mod serve;
mod store;
mod token;

pub use creds::OrgCreds;
pub use faults::Faults;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use store::Store;

/// One simulated organisation: an organisation number, the scope prefixes Digdir assigned it,
/// and the admin scopes Digdir granted its administration client (empty: all of them).
#[derive(Clone, Debug)]
pub struct OrgSpec {
    pub orgno: String,
    pub prefixes: Vec<String>,
    pub admin_scopes: Vec<String>,
}

impl OrgSpec {
    /// Parse the command line's `ORGNO[:PREFIX][@SCOPE,SCOPE...]`, e.g.
    /// `991825827:demo@scopes.read,scopes.write`; a scope without `idporten:` gets it.
    pub fn parse(s: &str) -> Result<OrgSpec, String> {
        let (head, scopes) = match s.split_once('@') {
            Some((h, sc)) => {
                (h, sc.split(',').filter(|x| !x.trim().is_empty()).map(|x| auth::full_scope_name(x.trim())).collect())
            }
            None => (s, vec![]),
        };
        let (orgno, prefix) = match head.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (head, None),
        };
        if orgno.len() != 9 || !orgno.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("--org {s}: an organisation number has nine digits"));
        }
        if let Some(bad) = scopes.iter().find(|x: &&String| !auth::ADMIN_SCOPES.contains(&x.as_str())) {
            return Err(format!("--org {s}: {bad} is not an admin scope ({})", auth::ADMIN_SCOPES.join(", ")));
        }
        Ok(OrgSpec {
            orgno: orgno.to_string(),
            prefixes: prefix.filter(|p| !p.is_empty()).map(|p| vec![p.to_string()]).unwrap_or_default(),
            admin_scopes: scopes,
        })
    }
}

/// How to start a simulator.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// 0 = any free port.
    pub port: u16,
    /// Where credentials and env files are written.
    pub dir: PathBuf,
    pub orgs: Vec<OrgSpec>,
    pub token_lifetime_secs: u64,
    /// Answer empty lists with Digdir's "does not have any" error ("Errors").
    pub empty_list_quirk: bool,
    /// Added to every request: the start value of `faults.latency_ms` (this one wins when both
    /// are set), changeable at run time like every fault knob.
    pub latency_ms: u64,
    /// How long client and key changes take to reach the token endpoint ("0-2 minutter", "Quirks").
    pub propagation_ms: u64,
    /// The first this-many grants of a client after each change are refused as unpropagated,
    /// however long ago the change was: a delay a test sees whatever the machine's speed.
    pub propagation_refusals: u32,
    /// Troubleshooting fault: the API's clock runs this many seconds off (Date header), so it
    /// rejects every token as expired with 401.
    pub date_skew_secs: i64,
    /// Troubleshooting fault: authenticated API calls are redirected elsewhere (307).
    pub redirect_api: bool,
    /// Answer GET of a single deactivated scope or client with 404 instead of `active: false`
    /// (what Digdir does there is [U], "Clients"); lists with `inactive=true` still show them.
    pub hide_deactivated_on_get: bool,
    /// Serve Digdir's per-key operations (`/clients/{id}/jwks/{kid}`, `/api/v2/clients/{id}/key`);
    /// false answers them 404, as a deployment without them would ("Keys" [U]).
    pub per_key_ops: bool,
    /// Injected failures (also settable at run time with `PUT /__sim/faults`).
    pub faults: Faults,
    /// Serve HTTPS on `https://localhost:PORT` with a certificate from a test CA written to
    /// `<dir>/sim-ca.pem` (the env files then name it in `MASKINPORTEN_CA_BUNDLE_FILE`).
    pub tls: bool,
    /// With `tls`: the host name the simulator calls itself (in its URLs and certificate) instead
    /// of `localhost` — say one that only a test's proxy resolves, to prove every call goes
    /// through the proxy.
    pub tls_host: Option<String>,
    default_orgs: bool,
}

impl SimConfig {
    /// One organisation, 991825827, with prefix `demo`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SimConfig {
            port: 0,
            dir: dir.into(),
            orgs: vec![OrgSpec { orgno: "991825827".into(), prefixes: vec!["demo".into()], admin_scopes: vec![] }],
            token_lifetime_secs: 3600,
            empty_list_quirk: true,
            latency_ms: 0,
            propagation_ms: 0,
            propagation_refusals: 0,
            date_skew_secs: 0,
            redirect_api: false,
            hide_deactivated_on_get: false,
            per_key_ops: true,
            faults: Faults::default(),
            tls: false,
            tls_host: None,
            default_orgs: true,
        }
    }
    /// Add an organisation with every admin scope; the first call replaces the default one.
    pub fn org(self, orgno: &str, prefix: Option<&str>) -> Self {
        self.org_granted(orgno, prefix, &[])
    }

    /// Add an organisation whose administration client Digdir granted only `admin_scopes`
    /// (`"scopes.read"` or `"idporten:scopes.read"`; empty: all); the first call replaces the
    /// default organisation.
    pub fn org_granted(mut self, orgno: &str, prefix: Option<&str>, admin_scopes: &[&str]) -> Self {
        if std::mem::take(&mut self.default_orgs) {
            self.orgs.clear();
        }
        self.orgs.push(OrgSpec {
            orgno: orgno.into(),
            prefixes: prefix.map(|p| vec![p.to_string()]).unwrap_or_default(),
            admin_scopes: admin_scopes.iter().map(|s| auth::full_scope_name(s)).collect(),
        });
        self
    }
}

/// A running simulator. The server stops when this is dropped.
pub struct Simulator {
    addr: SocketAddr,
    base: String,
    ca_pem_path: Option<PathBuf>,
    store: Arc<Store>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// TLS handshakes the client broke off (it did not trust the certificate).
    refused_handshakes: Arc<std::sync::atomic::AtomicU64>,
}

impl Simulator {
    /// Generate credentials, write env files, bind 127.0.0.1 and serve in a background task.
    pub async fn start(cfg: SimConfig) -> anyhow::Result<Simulator> {
        std::fs::create_dir_all(&cfg.dir)?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", cfg.port)).await?;
        let addr = listener.local_addr()?;
        let host = cfg.tls_host.clone().unwrap_or_else(|| "localhost".into());
        let (tls, ca_pem_path) = if cfg.tls {
            let (acceptor, ca_pem) = serve::tls_acceptor(&host)?;
            let path = std::path::absolute(cfg.dir.join("sim-ca.pem"))?;
            std::fs::write(&path, ca_pem)?;
            (Some(Arc::new(acceptor)), Some(path))
        } else {
            (None, None)
        };
        let base = match tls {
            Some(_) => format!("https://{host}:{}", addr.port()),
            None => format!("http://{addr}"),
        };
        let ca = creds::Ca::new()?;
        let mut orgs = Vec::new();
        for o in &cfg.orgs {
            orgs.push(ca.issue(o)?);
        }
        creds::write_env_files(&cfg.dir, &base, &orgs, &ca, ca_pem_path.as_deref())?;
        std::fs::write(cfg.dir.join("sim.url"), &base)?;
        let store = Arc::new(Store::new(base.clone(), orgs.clone(), ca.pem(), &cfg));
        let reader = Arc::new(Store::new(base.clone(), orgs, ca.pem(), &cfg));
        let _ = store.reader.set((reader.clone(), handlers().with_state(reader)));
        let app = router(store.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let refused_handshakes = Arc::new(std::sync::atomic::AtomicU64::new(0));
        tokio::spawn(serve::run(listener, app, tls, rx, refused_handshakes.clone()));
        Ok(Simulator { addr, base, ca_pem_path, store, shutdown: Some(tx), refused_handshakes })
    }

    /// `http://127.0.0.1:PORT`, or `https://localhost:PORT` with TLS.
    pub fn url(&self) -> String {
        self.base.clone()
    }
    pub fn issuer(&self) -> String {
        format!("{}/", self.base)
    }
    /// The test CA behind the TLS certificate (with `SimConfig::tls`).
    pub fn ca_pem_path(&self) -> Option<PathBuf> {
        self.ca_pem_path.clone()
    }
    /// How many TLS handshakes failed (with `SimConfig::tls`): a client that refuses the
    /// certificate breaks each one off, before any request.
    pub fn refused_tls_handshakes(&self) -> u64 {
        self.refused_handshakes.load(std::sync::atomic::Ordering::SeqCst)
    }
    /// The bound address (for a plain TCP client, e.g. a proxy test).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The `MASKINPORTEN_*` variables that configure the provider for one organisation.
    pub fn env_for(&self, orgno: &str) -> Vec<(String, String)> {
        self.store.env_for(orgno)
    }
    /// The request log, as `GET /__sim/requests` returns it.
    pub fn requests(&self) -> serde_json::Value {
        self.store.requests()
    }
    pub fn clear_requests(&self) {
        self.store.clear_requests();
    }
    /// The store, as `GET /__sim/state` returns it.
    pub fn state(&self) -> serde_json::Value {
        self.store.dump()
    }
    /// The organisation's admin key in a certificate of the wrong environment (MP-124) or an
    /// expired one (MP-121), as PEM chains, for troubleshooting tests.
    pub fn bad_certificate(&self, orgno: &str, expired: bool) -> Option<String> {
        let o = self.store.org(orgno)?;
        Some(if expired { o.expired_leaf_pem.clone() } else { o.prod_leaf_pem.clone() })
    }

    /// Change the fault knobs; returns how many faults were injected so far.
    pub fn set_faults(&self, faults: Faults) -> u64 {
        let mut f = self.store.faults.lock().unwrap_or_else(|p| p.into_inner());
        f.set(faults);
        f.injected
    }

    /// How many faults were injected so far.
    pub fn injected_faults(&self) -> u64 {
        self.store.faults.lock().unwrap_or_else(|p| p.into_inner()).injected
    }

    /// How many reads the lagging read side answered (the consistency fault) so far.
    pub fn stale_reads(&self) -> u64 {
        self.store.faults.lock().unwrap_or_else(|p| p.into_inner()).by_kind.get("stale_read").copied().unwrap_or(0)
    }

    /// Every token request so far: `{client_id, scope, resource, signed_with, outcome}` (`signed_with`
    /// `x5c` or the grant's `kid`), the outcome `issued` or the
    /// OAuth error (`invalid_scope` for a scope the client was not granted).
    pub fn token_requests(&self) -> Vec<serde_json::Value> {
        self.store.lock().token_log.clone()
    }

    /// Every access token the token endpoint has issued (for secret-leak audits in tests).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.store.lock().tokens.keys().cloned().collect()
    }

    /// An admin token of an organisation with every admin scope, for out-of-band changes.
    pub fn mint_token(&self, orgno: &str) -> String {
        self.store.mint_token(orgno)
    }

    /// A token of an organisation for the merchant-data contract this simulator serves: every
    /// admin scope, restricted to the audience `<url>/api/v1` as that contract requires.
    pub fn mint_merchant_token(&self, orgno: &str) -> String {
        let scopes = auth::ADMIN_SCOPES.iter().map(|s| s.to_string()).collect();
        self.store.issue_token(orgno, scopes, Some(format!("{}/api/v1", self.base)))
    }

    /// Register, out of band, a client of `orgno` as Digdir holds one registered before 2025:
    /// lifetimes read back as 0, and one key `(n, e)` (base64url) without `use` and `alg`.
    /// Returns its client_id; the key's kid is `legacy-` and the id's first 8 characters.
    pub fn seed_legacy_client(&self, orgno: &str, scopes: &[&str], key: (String, String)) -> String {
        clients::seed_legacy(&self.store, orgno, scopes, key)
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Every endpoint with the request log, fault injection and test controls in front.
fn router(store: Arc<Store>) -> axum::Router {
    use axum::routing::{get, post};
    handlers()
        .route("/__sim/requests", get(log::requests).delete(log::clear))
        .route("/__sim/state", get(log::state))
        .route("/__sim/faults", get(log::get_faults).put(log::put_faults))
        .route("/__sim/token", post(log::test_token))
        .layer(axum::middleware::from_fn_with_state(store.clone(), log::record))
        .with_state(store)
}

/// The API itself (also run over the lagging replica's store, without the layer).
fn handlers() -> axum::Router<Arc<Store>> {
    use axum::routing::{get, post, put};
    axum::Router::new()
        .route("/.well-known/oauth-authorization-server", get(token::well_known))
        .route("/token", post(token::token))
        .route("/api/v1/scopes", get(scopes::list).post(scopes::create).put(scopes::update).delete(scopes::deactivate))
        .route("/api/v1/scopes/scope", get(scopes::get_one))
        .route("/api/v1/scopes/all", get(scopes::catalogue))
        .route("/api/v1/scopes/access", get(scopes::list_access))
        .route("/api/v1/scopes/access/all", get(scopes::received_access))
        .route("/api/v1/scopes/access/{orgno}", put(scopes::grant).delete(scopes::revoke))
        .route("/api/v1/clients", get(clients::list).post(clients::create))
        .route("/api/v1/clients/{id}", get(clients::get_one).put(clients::update).delete(clients::deactivate))
        .route("/api/v1/clients/{id}/jwks", get(keys::get_jwks).post(keys::post_jwks).delete(keys::delete_jwks))
        .route("/api/v1/clients/{id}/jwks/{kid}", get(keys::get_key).put(keys::put_key).delete(keys::delete_key))
        .route("/api/v2/clients/{id}/key", post(keys::post_key_v2))
        .route("/api/v1/contacts", get(contacts::list).post(contacts::create))
        .route("/api/v1/contacts/{id}", get(contacts::get_one).put(contacts::update).delete(contacts::deactivate))
        .route("/api/v1/prefix", get(scopes::prefixes))
        .route("/api/v1/prefix/all", get(scopes::all_prefixes))
        .route("/api/v1/delegationsources", get(scopes::delegation_sources))
        .route("/api/v1/organizations/{orgno}", get(scopes::organization))
}
