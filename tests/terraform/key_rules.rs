//! The key rules the README and docs/guides/key-rotation.md promise, each seen from the outside:
//! a kid that already names another key is refused with nothing written; a kid re-pointed
//! outside Terraform is left in place on destroy; an existing client's first key warns that it
//! must sign with kid from now on, and removing its last key warns that the
//! client is back on its enterprise certificate; RS512 is registered as such; a registered key
//! expiring within 30 days warns at every plan; a key write whose answer was lost is adopted when Digdir shows
//! the key.

use crate::harness::{Sim, Workdir};
use crate::key_writes::{client, jwk_by_hand, kids, public_key};
use maskinporten_sim::{Faults, SimConfig};
use serde_json::Value;

/// A `maskinporten_client_key` named `k` with the key in `k.pem` and `extra` lines.
fn key_tf(client_id: &str, extra: &str) -> String {
    format!(
        "resource \"maskinporten_client_key\" \"k\" {{\n  client_id = \"{client_id}\"\n  key = file(\"k.pem\")\n{extra}}}\n"
    )
}

/// The stored JWK of `kid` on the client.
fn stored(sim: &Sim, client_id: &str, kid: &str) -> Value {
    let keys = sim.state()["keys"][client_id].clone();
    keys.as_array().into_iter().flatten().find(|k| k["kid"] == kid).cloned().unwrap_or(Value::Null)
}

fn workdir(sim: &Sim, main_tf: &str) -> Workdir {
    let w = Workdir::new(sim, "1.15", main_tf);
    std::fs::write(w.dir.path().join("k.pem"), public_key()).expect("k.pem");
    w
}

#[test]
fn a_kid_that_names_another_key_is_refused_at_the_attribute_and_nothing_is_written() {
    let sim = Sim::start();
    let id = client(&sim);
    let theirs = jwk_by_hand("k1");
    sim.out_of_band("991825827", "PUT", &format!("/api/v1/clients/{id}/jwks/k1"), Some(theirs.clone()));
    let w = workdir(&sim, &key_tf(&id, "  kid = \"k1\"\n"));
    let r = w.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_ne!(r.code, 0, "{}", r.text());
    let text = r.flat_text();
    assert!(text.contains(&format!("kid k1 is already used on client {id}")), "{text}");
    assert!(text.contains("kid = \"k1\""), "the error points at the kid line: {text}");
    assert_eq!(stored(&sim, &id, "k1")["n"], theirs["n"], "their key is untouched");
    assert_eq!(kids(&sim, &id), ["k1".to_string()].into());
    assert!(w.state_values("maskinporten_client_key.k").is_null(), "nothing in state");
}

#[test]
fn a_kid_re_pointed_outside_terraform_is_left_in_place_on_destroy() {
    let sim = Sim::start();
    let id = client(&sim);
    let w = workdir(&sim, &key_tf(&id, "  kid = \"k1\"\n"));
    w.apply();
    w.assert_converged();
    let theirs = jwk_by_hand("k1");
    sim.out_of_band("991825827", "PUT", &format!("/api/v1/clients/{id}/jwks/k1"), Some(theirs.clone()));
    // Without a refresh, the state still holds our key's thumbprint: the kid now names another.
    let r = w.ok(&["destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false"]);
    let text = r.flat_text();
    assert!(text.contains("Key k1 was not removed") && text.contains("names a different key"), "{text}");
    assert_eq!(stored(&sim, &id, "k1")["n"], theirs["n"], "their key stays");
}

#[test]
fn removing_the_last_key_warns_that_the_client_is_back_on_its_certificate() {
    for per_key_ops in [true, false] {
        let sim = Sim::with(|mut c: SimConfig| {
            c.per_key_ops = per_key_ops;
            c
        });
        let id = client(&sim);
        let w = workdir(&sim, &key_tf(&id, ""));
        let first = w.apply().flat_text();
        // The client existed before this apply: its first key changes how it must sign.
        assert!(first.contains(&format!("First key on client {id}")), "{first}");
        assert_eq!(kids(&sim, &id).len(), 1);
        w.write("");
        let text = w.apply().flat_text();
        assert!(text.contains(&format!("Client {id} has no keys left")), "per-key ops {per_key_ops}: {text}");
        assert!(kids(&sim, &id).is_empty(), "per-key ops {per_key_ops}: the key is gone");
        let deletes: Vec<String> = sim
            .requests()
            .into_iter()
            .filter(|q| q["method"] == "DELETE")
            .map(|q| q["path"].as_str().unwrap_or_default().to_string())
            .collect();
        let whole_set = format!("/api/v1/clients/{id}/jwks");
        // Without per-key operations an empty set cannot be posted: the set is deleted.
        assert_eq!(deletes.last() == Some(&whole_set), !per_key_ops, "{deletes:?}");
        w.assert_converged();
    }
}

#[test]
fn an_rs512_key_is_registered_as_rs512() {
    let sim = Sim::start();
    let id = client(&sim);
    let w = workdir(&sim, &key_tf(&id, "  alg = \"RS512\"\n"));
    w.apply();
    w.assert_converged();
    let kid = w.state_values("maskinporten_client_key.k")["kid"].as_str().expect("kid").to_string();
    assert_eq!(stored(&sim, &id, &kid)["alg"], "RS512");
    assert_eq!(w.state_values("maskinporten_client_key.k")["alg"], "RS512");
}

#[test]
fn a_registered_key_expiring_within_30_days_warns_at_every_plan_and_one_beyond_does_not() {
    let sim = Sim::start();
    let id = client(&sim);
    let ahead = |days: u64| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs((now / 86_400 + days) * 86_400);
        humantime::format_rfc3339_seconds(t).to_string()
    };
    for (days, warns) in [(10, true), (45, false)] {
        let w = workdir(&sim, &key_tf(&id, &format!("  expires_at = \"{}\"\n", ahead(days))));
        w.apply();
        // Every later plan of the registered key says so, while it has 30 days or less left.
        let text = w.ok(&["plan", "-input=false", "-no-color"]).flat_text();
        assert_eq!(text.contains("expires within 30 days"), warns, "{days} days: {text}");
        w.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    }
}

#[test]
fn a_key_write_whose_answer_is_lost_is_adopted_when_digdir_shows_it() {
    let sim = Sim::start();
    let id = client(&sim);
    let mut w = workdir(&sim, &key_tf(&id, ""));
    w.env("MASKINPORTEN_MAX_RETRIES", "1");
    // Every key write is committed and its answer lost (a gateway's 502), retries included.
    sim.sim.set_faults(Faults {
        rate_lost_after_commit: 1.0,
        methods: vec!["PUT".into(), "POST".into()],
        paths: vec![format!("/api/v1/clients/{id}/jwks")],
        ..Faults::default()
    });
    w.apply();
    let injected = sim.sim.set_faults(Faults::default());
    assert!(injected >= 1, "the answer was lost ({injected} times)");
    let kid = w.state_values("maskinporten_client_key.k")["kid"].as_str().expect("adopted into state").to_string();
    assert_eq!(kids(&sim, &id), [kid].into(), "exactly the key sent, once");
    w.assert_converged();
}
