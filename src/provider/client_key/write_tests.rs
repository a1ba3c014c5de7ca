//! The key rules of [`super`] against the simulator in this process, with Digdir's per-key
//! operations and without them: fast enough for every `cargo test` and for the mutation check
//! (ARCHITECTURE.md, "Testing"), where the Terraform tests of the same rules
//! (tests/terraform/key_rules.rs, key_writes.rs) are too slow to run per mutant.

use super::{MAX_KEYS, add, remove};
use crate::api::admin_scopes::Need;
use crate::api::{ApiClient, Request};
use crate::provider::Shared;
use crate::provider::keys::{self, PublicKey};
use crate::tfplugin::diag::Severity;
use crate::tfplugin::{AttrPath, Diagnostics, Value, ValueExt};
use maskinporten_sim::{Faults, SimConfig, Simulator};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const ORG: &str = "991825827";

struct Fixture {
    sim: Simulator,
    api: ApiClient,
    shared: Shared,
    client_id: String,
    _dir: tempfile::TempDir,
}

/// A simulator with one organisation, an API client configured for it as the provider would be,
/// and one client (with one scope) to hang keys on.
async fn fixture(per_key_ops: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let admin = ["idporten:scopes.write", "idporten:dcr.read", "idporten:dcr.write", "idporten:dcr.modify"];
    let mut cfg = SimConfig::new(dir.path()).org_granted(ORG, Some("demo"), &admin);
    cfg.per_key_ops = per_key_ops;
    let sim = Simulator::start(cfg).await.unwrap();
    let attr =
        |(k, v): (String, String)| (k.trim_start_matches("MASKINPORTEN_").to_ascii_lowercase(), Value::String(v));
    let config = Value::Object(sim.env_for(ORG).into_iter().map(attr).collect());
    let mut diags = Diagnostics::default();
    let settings =
        crate::provider::config::resolve(&config, "1.15.0", &mut diags).unwrap_or_else(|| panic!("{diags:?}"));
    // One retry, soon: the lost and failing writes below need no more to show what they show.
    let cfg =
        crate::api::ApiConfig { max_retries: 1, retry_deadline: std::time::Duration::from_secs(2), ..settings.api };
    let api = ApiClient::new(cfg, CancellationToken::new()).unwrap();
    let scope = json!({"prefix": "demo", "subscope": "keys", "description": "d"});
    api.send(Request::post("/scopes", Need::SCOPES_WRITE).json(scope)).await.unwrap();
    let client =
        json!({"client_name": "c", "description": "d", "integration_type": "maskinporten", "scopes": ["demo:keys"]});
    let made: serde_json::Value = api.fetch(Request::post("/clients", Need::CLIENTS_WRITE).json(client)).await.unwrap();
    let client_id = made["client_id"].as_str().unwrap().to_string();
    Fixture { sim, api, shared: Shared::new(CancellationToken::new()), client_id, _dir: dir }
}

fn new_key() -> PublicKey {
    let pem = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap().public_key_pem();
    keys::parse(&pem).unwrap()
}

fn object(pairs: &[(&str, &str)]) -> Value {
    Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect())
}

impl Fixture {
    async fn add(&self, kid: &str, key: &PublicKey) -> (Option<Value>, Diagnostics) {
        self.add_planned(&[("kid", kid), ("alg", "RS256")], key).await
    }

    /// Add with these planned attributes (besides `client_id`).
    async fn add_planned(&self, planned: &[(&str, &str)], key: &PublicKey) -> (Option<Value>, Diagnostics) {
        let mut diags = Diagnostics::default();
        let mut pairs = vec![("client_id", self.client_id.as_str())];
        pairs.extend_from_slice(planned);
        (add(&self.shared, &self.api, &object(&pairs), key, &mut diags).await, diags)
    }

    /// The client's key set as the simulator stores it.
    fn stored_jwks(&self) -> Vec<serde_json::Value> {
        self.sim.state()["keys"][&self.client_id].as_array().cloned().unwrap_or_default()
    }

    /// The JWK the simulator stores under `kid`.
    fn stored_jwk(&self, kid: &str) -> serde_json::Value {
        self.stored_jwks().into_iter().find(|k| k["kid"] == kid).unwrap_or_default()
    }

    async fn remove(&self, kid: &str, thumbprint: &str) -> Diagnostics {
        let mut diags = Diagnostics::default();
        let prior = object(&[("client_id", &self.client_id), ("kid", kid), ("thumbprint", thumbprint)]);
        remove(&self.shared, &self.api, &prior, &mut diags).await;
        diags
    }

    /// The client's keys as the simulator stores them: kid and modulus.
    fn stored(&self) -> Vec<(String, String)> {
        self.stored_jwks()
            .iter()
            .map(|k| (k["kid"].as_str().unwrap().to_string(), k["n"].as_str().unwrap().to_string()))
            .collect()
    }

    /// Key writes the simulator carried out (per-key or whole-set).
    fn key_writes(&self) -> usize {
        let log = self.sim.requests();
        let done = |r: &&serde_json::Value| {
            let ok = r["status"].as_u64().is_some_and(|s| (200..300).contains(&s));
            ok && r["method"] != "GET" && r["path"].as_str().is_some_and(|p| p.contains("/jwks"))
        };
        log.as_array().unwrap().iter().filter(done).count()
    }
}

fn said(diags: &Diagnostics) -> Vec<(Severity, String, Option<AttrPath>)> {
    diags.iter().map(|d| (d.severity, d.summary.clone(), d.path.clone())).collect()
}

#[tokio::test]
async fn a_key_is_written_once_and_its_kid_never_re_pointed() {
    for per_key_ops in [true, false] {
        let f = fixture(per_key_ops).await;
        let (k1, other) = (new_key(), new_key());
        let (state, diags) = f.add("k1", &k1).await;
        assert!(diags.is_empty(), "{per_key_ops}: {diags:?}");
        let state = state.expect("the key's state");
        assert_eq!(state.opt_str("kid").as_deref(), Some("k1"));
        assert_eq!(state.opt_str("thumbprint"), Some(k1.thumbprint()));
        assert_eq!(f.stored(), [("k1".to_string(), k1.n_b64())]);
        let writes = f.key_writes();
        assert_eq!(writes, 1, "{per_key_ops}: one write");

        let (again, diags) = f.add("k1", &k1).await;
        assert!(diags.is_empty() && again.is_some(), "{per_key_ops}: the same key again is ours: {diags:?}");
        assert_eq!(f.key_writes(), writes, "{per_key_ops}: and is not written again");

        let (refused, diags) = f.add("k1", &other).await;
        assert!(refused.is_none());
        let summary = format!("kid k1 is already used on client {}", f.client_id);
        assert_eq!(said(&diags), [(Severity::Error, summary, Some(AttrPath::attr("kid")))], "{per_key_ops}");
        assert_eq!(f.stored(), [("k1".to_string(), k1.n_b64())], "{per_key_ops}: the kid still names the first key");
        assert_eq!(f.key_writes(), writes, "{per_key_ops}: nothing written");
    }
}

#[tokio::test]
async fn a_sixth_key_is_refused_naming_the_five() {
    let f = fixture(true).await;
    for i in 1..=MAX_KEYS {
        let (state, diags) = f.add(&format!("k{i}"), &new_key()).await;
        assert!(state.is_some() && diags.is_empty(), "key {i}: {diags:?}");
    }
    let (refused, diags) = f.add("k6", &new_key()).await;
    assert!(refused.is_none());
    let d = diags.iter().next().expect("a diagnostic");
    assert_eq!(
        (d.severity, d.summary.as_str()),
        (Severity::Error, &*format!("Client {} already has 5 keys", f.client_id))
    );
    assert!(d.detail.contains("it has 5 (k1, k2, k3, k4, k5)"), "{}", d.detail);
    assert_eq!(f.stored().len(), MAX_KEYS);
}

/// A write whose answer was lost is adopted when Digdir shows the key; a write that failed in a
/// way that may have committed, but did not, is reported, and the state claims nothing.
#[tokio::test]
async fn a_lost_write_is_adopted_only_when_digdir_shows_the_key() {
    for per_key_ops in [true, false] {
        let f = fixture(per_key_ops).await;
        // The write itself: a per-key PUT, or the whole set's POST where the PUT's route is missing
        // (a fault on that PUT would hide the 404 that sends the provider to the whole set).
        let methods = vec![if per_key_ops { "PUT" } else { "POST" }.to_string()];
        let paths = vec![format!("/api/v1/clients/{}/jwks", f.client_id)];
        let lost = Faults {
            rate_lost_after_commit: 1.0,
            methods: methods.clone(),
            paths: paths.clone(),
            limit: 5,
            ..Default::default()
        };
        f.sim.set_faults(lost);
        let k1 = new_key();
        let (state, diags) = f.add("k1", &k1).await;
        assert!(f.sim.injected_faults() >= 1, "{per_key_ops}: the answer was lost");
        assert!(diags.is_empty(), "{per_key_ops}: {diags:?}");
        assert_eq!(state.and_then(|s| s.opt_str("thumbprint")), Some(k1.thumbprint()), "{per_key_ops}");
        assert_eq!(f.stored(), [("k1".to_string(), k1.n_b64())], "{per_key_ops}");

        let failing = Faults { rate_5xx: 1.0, methods, paths, ..Default::default() };
        f.sim.set_faults(failing);
        let (state, diags) = f.add("k2", &new_key()).await;
        assert!(state.is_none(), "{per_key_ops}: nothing adopted that is not there");
        assert!(diags.has_errors(), "{per_key_ops}: reported");
        assert!(diags.iter().all(|d| d.summary.contains("add key k2")), "{per_key_ops}: {diags:?}");
        assert_eq!(f.stored().len(), 1, "{per_key_ops}");
        f.sim.set_faults(Faults::default());
    }
}

/// Where keys are written as whole sets, a key the set was sent with but Digdir's answer lacks
/// is reported by name, after an add and after a removal; the key written is still recorded.
#[tokio::test]
async fn a_key_lost_by_a_whole_set_write_is_reported() {
    let f = fixture(false).await;
    let (k1, k2, k3) = (new_key(), new_key(), new_key());
    assert!(f.add("k1", &k1).await.0.is_some());
    f.sim.set_faults(Faults { lose_key_on_set_write: true, ..Default::default() });
    let (state, diags) = f.add("k2", &k2).await;
    let vanished = |diags: &Diagnostics, detail: &str| {
        let summary = format!("Keys vanished from client {}", f.client_id);
        let d: Vec<_> = diags.iter().map(|d| (d.severity, d.summary.clone(), d.detail.clone())).collect();
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].0, &d[0].1), (Severity::Error, &summary), "{d:?}");
        assert!(d[0].2.contains(detail), "{d:?}");
    };
    vanished(&diags, "After adding k2, Digdir no longer lists: k1.");
    assert_eq!(state.and_then(|s| s.opt_str("thumbprint")), Some(k2.thumbprint()), "k2 itself is stored");
    assert_eq!(f.stored(), [("k2".to_string(), k2.n_b64())]);

    f.sim.set_faults(Faults::default());
    assert!(f.add("k3", &k3).await.0.is_some() && f.add("k1", &k1).await.0.is_some());
    f.sim.set_faults(Faults { lose_key_on_set_write: true, ..Default::default() });
    let diags = f.remove("k3", &k3.thumbprint()).await;
    vanished(&diags, "After removing k3, Digdir no longer lists: k2.");
    assert_eq!(f.stored(), [("k1".to_string(), k1.n_b64())]);
}

#[tokio::test]
async fn a_key_is_removed_only_while_its_kid_names_our_key() {
    for per_key_ops in [true, false] {
        let mut f = fixture(per_key_ops).await;
        let (k1, k2) = (new_key(), new_key());
        assert!(f.add("k1", &k1).await.0.is_some() && f.add("k2", &k2).await.0.is_some());
        // A new process, which has not yet learnt whether Digdir serves the per-key DELETE.
        f.shared = Shared::new(CancellationToken::new());

        let diags = f.remove("k1", &new_key().thumbprint()).await;
        assert_eq!(said(&diags), [(Severity::Warning, "Key k1 was not removed".to_string(), None)], "{per_key_ops}");
        assert_eq!(f.stored().len(), 2, "{per_key_ops}: left in place");

        let diags = f.remove("k1", &k1.thumbprint()).await;
        assert!(diags.is_empty(), "{per_key_ops}: {diags:?}");
        assert_eq!(f.stored(), [("k2".to_string(), k2.n_b64())], "{per_key_ops}: the other key kept");

        let diags = f.remove("k1", &k1.thumbprint()).await;
        assert!(diags.is_empty(), "{per_key_ops}: gone already is done: {diags:?}");

        let diags = f.remove("k2", &k2.thumbprint()).await;
        let summary = format!("Client {} has no keys left", f.client_id);
        assert_eq!(said(&diags), [(Severity::Warning, summary, None)], "{per_key_ops}");
        assert!(f.stored().is_empty(), "{per_key_ops}");

        // A client that is gone has no key to remove; a read that fails is reported.
        let mut diags = Diagnostics::default();
        let gone = object(&[("client_id", "no-such-client"), ("kid", "k1"), ("thumbprint", "t")]);
        remove(&f.shared, &f.api, &gone, &mut diags).await;
        assert!(diags.is_empty(), "{per_key_ops}: {diags:?}");
        let paths = vec![format!("/api/v1/clients/{}/jwks", f.client_id)];
        f.sim.set_faults(Faults { rate_5xx: 1.0, methods: vec!["GET".into()], paths, ..Default::default() });
        let diags = f.remove("k1", &k1.thumbprint()).await;
        assert!(diags.has_errors(), "{per_key_ops}: the failed read is reported");
    }
}

/// The JWK sent says everything the plan says (use, alg, the certificate as x5c, the expiry), and
/// the state is what Digdir stored: its default expiry when the plan names none.
#[tokio::test]
async fn a_written_key_carries_the_plan_and_the_state_reads_what_digdir_stored() {
    for per_key_ops in [true, false] {
        let f = fixture(per_key_ops).await;
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["c".into()]).unwrap().self_signed(&pair).unwrap();
        let with_cert = keys::parse(&cert.pem()).unwrap();
        // Within the year Digdir allows a key.
        let exp = std::time::SystemTime::now() + std::time::Duration::from_secs(30 * 86_400);
        let expires_at = humantime::format_rfc3339_seconds(exp).to_string();
        let planned = [("kid", "k1"), ("alg", "RS512"), ("expires_at", expires_at.as_str())];
        let (state, diags) = f.add_planned(&planned, &with_cert).await;
        assert!(diags.is_empty(), "{per_key_ops}: {diags:?}");
        let jwk = f.stored_jwk("k1");
        assert_eq!((jwk["use"].as_str(), jwk["alg"].as_str()), (Some("sig"), Some("RS512")), "{per_key_ops}: {jwk}");
        assert_eq!(jwk["x5c"][0].as_str(), with_cert.x5c.as_deref(), "{per_key_ops}");
        assert_eq!(jwk["exp"].as_i64(), super::super::model::exp_of(&expires_at), "{per_key_ops}: the planned expiry");
        assert_eq!(state.and_then(|s| s.opt_str("expires_at")), Some(expires_at), "{per_key_ops}");

        let (state, _) = f.add("k2", &new_key()).await;
        let stored = f.stored_jwk("k2")["exp"].as_i64();
        assert!(stored.is_some(), "{per_key_ops}: Digdir gives a key an expiry");
        let expected = super::super::model::expires_at(stored);
        assert_eq!(state.and_then(|s| s.opt_str("expires_at")), expected, "{per_key_ops}: the state reads Digdir's");
    }
}

#[test]
fn a_missing_per_key_route_is_told_from_a_missing_client() {
    let http = |status, body: Option<&str>| {
        let body = body.map(|b| serde_json::from_str(b).unwrap());
        crate::api::ApiError::http_for_test("PUT", "/clients/c/jwks/k", status, body, None)
    };
    assert!(super::per_key_missing(&http(405, None)), "method not allowed");
    assert!(super::per_key_missing(&http(404, None)), "a bare 404");
    assert!(super::per_key_missing(&http(404, Some(r#"{"error":"Not Found","correlation_id":"x"}"#))));
    assert!(!super::per_key_missing(&http(404, Some(r#"{"error":"no client","correlation_id":"x"}"#))));
    assert!(!super::per_key_missing(&http(400, None)));
}
