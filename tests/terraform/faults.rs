//! The complete example under injected faults: 429s, 5xx before handling, and answers lost after
//! the write committed. Applies are repeated until one succeeds; then nothing is duplicated,
//! nothing is orphaned, and the plan converges (a few rounds of design.md §7's chaos check).

use crate::harness::{Sim, Workdir};
use maskinporten_sim::{Faults, SimConfig};
use std::path::Path;

fn active(state: &serde_json::Value, kind: &str) -> usize {
    state[kind].as_array().into_iter().flatten().filter(|x| x["active"] == true).count()
}

#[test]
fn the_complete_example_converges_under_faults_without_duplicates() {
    for seed in [1u64, 7, 42] {
        let sim = Sim::with(|c: SimConfig| c.org("991825827", Some("demo")).org("889640782", None));
        let mut w = Workdir::new(&sim, "1.15", "");
        let main =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/complete/main.tf")).unwrap();
        w.write_raw(&main);
        for (k, v) in sim.sim.env_for("889640782") {
            if let Some(n) = k
                .strip_prefix("MASKINPORTEN_")
                .filter(|n| ["CLIENT_ID", "PRIVATE_KEY_PEM", "CERTIFICATE_CHAIN_PEM"].contains(n))
            {
                w.env(&format!("TF_VAR_consumer_{}", n.to_ascii_lowercase()), &v);
            }
        }
        w.env("TF_VAR_consumer_orgno", "889640782");
        w.env(
            "TF_VAR_client_public_key_pem",
            &rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap().public_key_pem(),
        );
        w.env("MASKINPORTEN_MAX_RETRIES", "8");
        sim.sim.set_faults(Faults {
            rate_429: 0.1,
            retry_after_secs: 0,
            rate_5xx: 0.15,
            rate_lost_after_commit: 0.1,
            seed,
            ..Faults::default()
        });
        let mut ok = false;
        for _ in 0..8 {
            if w.run(&["apply", "-auto-approve", "-no-color", "-input=false"]).code == 0 {
                ok = true;
                break;
            }
        }
        let injected = sim.sim.set_faults(Faults::default());
        assert!(ok, "seed {seed}: no apply succeeded in 8 attempts");
        assert!(injected > 0, "seed {seed}: faults were injected");
        w.assert_converged();
        let state = sim.state();
        let counts = (active(&state, "scopes"), active(&state, "accesses"), active(&state, "clients"));
        assert_eq!(counts, (1, 1, 1), "seed {seed}: exactly one of each, no duplicate, no orphan");
        let keys: usize =
            state["keys"].as_object().map_or(0, |m| m.values().map(|v| v.as_array().map_or(0, Vec::len)).sum());
        assert_eq!(keys, 1, "seed {seed}: one key");
        w.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
        let state = sim.state();
        assert_eq!(
            (active(&state, "scopes"), active(&state, "accesses"), active(&state, "clients")),
            (0, 0, 0),
            "seed {seed}: destroyed"
        );
    }
}
