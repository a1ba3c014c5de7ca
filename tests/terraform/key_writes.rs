//! Keys written one at a time: two Terraform states (or Terraform and a colleague in
//! Samarbeidsportalen) that each manage a key of the same client never drop each other's key;
//! where Digdir does not serve the per-key operations, the whole-set fallback still works; what is
//! sent back for a client registered before 2025 is what Digdir accepts today.

use crate::harness::{Sim, Workdir};
use maskinporten_sim::{Faults, SimConfig};
use serde_json::Value;
use std::collections::BTreeSet;

pub(crate) fn public_key() -> String {
    rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("rsa").public_key_pem()
}

/// A client and its scope, made out of band (as another team's state would).
pub(crate) fn client(sim: &Sim) -> String {
    sim.out_of_band(
        "991825827",
        "POST",
        "/api/v1/scopes",
        Some(serde_json::json!({"prefix": "demo", "subscope": "keys", "description": "d"})),
    );
    let c = sim.out_of_band(
        "991825827",
        "POST",
        "/api/v1/clients",
        Some(serde_json::json!({"client_name": "shared", "description": "d", "integration_type": "maskinporten", "scopes": ["demo:keys"]})),
    );
    c["client_id"].as_str().expect("client created").to_string()
}

fn key_tf(client_id: &str, name: &str) -> String {
    format!(
        "resource \"maskinporten_client_key\" \"{name}\" {{\n  client_id = \"{client_id}\"\n  key = <<-EOT\n{}EOT\n}}\n",
        public_key()
    )
}

/// A JWK of a fresh key under `kid`, as a colleague would register it in Samarbeidsportalen.
pub(crate) fn jwk_by_hand(kid: &str) -> Value {
    let k = terraform_provider_maskinporten::provider::keys::parse(&public_key()).expect("a public key");
    serde_json::json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": k.n_b64(), "e": k.e_b64()})
}

pub(crate) fn kids(sim: &Sim, client_id: &str) -> BTreeSet<String> {
    sim.state()["keys"][client_id]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["kid"].as_str().map(String::from))
        .collect()
}

fn state_kid(w: &Workdir, address: &str) -> String {
    w.state_values(address)["kid"].as_str().expect("kid in state").to_string()
}

/// Two states apply at the same moment, each adding its own key to one client, five rounds (each
/// round destroys both and adds new keys), with latency so that the writes overlap. Every key of
/// every round is registered afterwards, and each state's key is the one it reads back.
#[test]
fn two_states_writing_keys_of_one_client_at_once_keep_both_keys() {
    let sim = Sim::with(|mut c: SimConfig| {
        c.latency_ms = 150;
        c
    });
    let id = client(&sim);
    let (a, b) = (Workdir::new(&sim, "1.15", ""), Workdir::new(&sim, "1.15", ""));
    for round in 0..5 {
        a.write(&key_tf(&id, "a"));
        b.write(&key_tf(&id, "b"));
        let apply = |w: &Workdir| {
            w.command(&["apply", "-auto-approve", "-no-color", "-input=false"]).spawn().expect("terraform")
        };
        let (mut pa, mut pb) = (apply(&a), apply(&b));
        assert!(
            pa.wait().expect("wait").success() && pb.wait().expect("wait").success(),
            "round {round}: both applies succeed"
        );
        let want: BTreeSet<String> =
            [state_kid(&a, "maskinporten_client_key.a"), state_kid(&b, "maskinporten_client_key.b")].into();
        assert_eq!(kids(&sim, &id), want, "round {round}: both keys registered, nothing else");
        a.assert_converged();
        b.assert_converged();
        for w in [&a, &b] {
            w.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
        }
        assert_eq!(kids(&sim, &id), BTreeSet::new(), "round {round}: both keys removed");
    }
    let per_key =
        sim.requests().into_iter().filter(|r| r["path"].as_str().is_some_and(|p| p.contains("/jwks/"))).count();
    let whole = sim
        .requests()
        .into_iter()
        .filter(|r| r["method"] == "POST" && r["path"].as_str().is_some_and(|p| p.ends_with("/jwks")))
        .count();
    assert_eq!((per_key >= 20, whole), (true, 0), "keys were written one at a time");
}

/// Where Digdir answers the per-key operations 404, the provider writes whole sets instead —
/// re-sending the other keys, also a key registered before 2025 without `use` and `alg`, which
/// it completes — and removes its own key alone. Lifetimes of 0 read from such a client are never
/// sent back when the client is changed.
#[test]
fn without_per_key_operations_whole_sets_keep_the_other_keys_and_legacy_fields_are_mended() {
    let sim = Sim::with(|mut c: SimConfig| {
        c.per_key_ops = false;
        c
    });
    sim.out_of_band(
        "991825827",
        "POST",
        "/api/v1/scopes",
        Some(serde_json::json!({"prefix": "demo", "subscope": "keys", "description": "d"})),
    );
    let legacy = terraform_provider_maskinporten::provider::keys::parse(&public_key()).expect("a public key");
    let (n, e) = (legacy.n_b64(), legacy.e_b64());
    let id = sim.sim.seed_legacy_client("991825827", &["demo:keys"], (n, e));
    let legacy_kid = kids(&sim, &id).into_iter().next().expect("the legacy key");
    let w = Workdir::new(&sim, "1.15", &key_tf(&id, "mine"));
    w.apply();
    w.assert_converged();
    let mine = state_kid(&w, "maskinporten_client_key.mine");
    assert_eq!(kids(&sim, &id), [legacy_kid.clone(), mine.clone()].into(), "the legacy key was kept");
    let keys = sim.state()["keys"][&id].clone();
    let old = keys.as_array().unwrap().iter().find(|k| k["kid"] == legacy_kid.as_str()).unwrap().clone();
    assert_eq!(
        (old["use"].clone(), old["alg"].clone()),
        (Value::from("sig"), Value::from("RS256")),
        "re-sent with use and alg"
    );
    // The legacy client itself, imported and changed: its lifetimes of 0 are not sent back.
    w.write(&format!(
        "{}\nimport {{\n  to = maskinporten_client.legacy\n  id = \"{id}\"\n}}\nresource \"maskinporten_client\" \"legacy\" {{\n  client_name = \"legacy-integration\"\n  description = \"Changed in 2026\"\n  scopes = [\"demo:keys\"]\n}}\n",
        key_tf(&id, "mine").replace("maskinporten_client_key\" \"mine", "maskinporten_client_key\" \"mine2")
    ));
    w.apply();
    w.assert_converged();
    let puts: Vec<Value> = sim
        .requests()
        .into_iter()
        .filter(|r| r["method"] == "PUT" && r["path"] == format!("/api/v1/clients/{id}"))
        .collect();
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert_eq!(puts[0]["status"], 200);
    for f in ["access_token_lifetime", "authorization_lifetime", "refresh_token_lifetime"] {
        assert_ne!(puts[0]["body"][f], Value::from(0), "{f} = 0 is not sent back");
    }
    w.write("");
    w.apply();
    assert_eq!(kids(&sim, &id), [legacy_kid].into(), "removing ours left the other key alone");
}

/// A client create whose 2xx answer loses its body midway made the client: it is adopted, not
/// created twice.
#[test]
fn a_client_create_whose_answer_body_is_cut_makes_exactly_one_client() {
    let sim = Sim::start();
    let w = Workdir::new(
        &sim,
        "1.15",
        "resource \"maskinporten_scope\" \"s\" {\n  prefix = \"demo\"\n  subscope = \"cut\"\n  description = \"d\"\n}\nresource \"maskinporten_client\" \"c\" {\n  client_name = \"cut\"\n  description = \"d\"\n  scopes = [maskinporten_scope.s.name]\n}\n",
    );
    sim.sim.set_faults(Faults {
        rate_cut_body_after_commit: 1.0,
        methods: vec!["POST".into()],
        paths: vec!["/api/v1/clients".into()],
        limit: 1,
        ..Faults::default()
    });
    w.apply();
    assert_eq!(sim.sim.set_faults(Faults::default()), 1, "the answer was cut once");
    let log = w.provider_log();
    assert!(log.contains("answer body lost") && log.contains("status=200"), "the 2xx arrived, its body did not");
    let clients = sim.state()["clients"].as_array().cloned().unwrap_or_default();
    assert_eq!(clients.len(), 1, "exactly one client: {clients:?}");
    assert_eq!(w.state_values("maskinporten_client.c")["client_id"], clients[0]["client_id"]);
    w.assert_converged();
}
