//! Every example under examples/ is applied, converges, and is destroyed (issue 4).

use crate::harness::{Sim, Workdir};
use maskinporten_sim::SimConfig;
use std::path::Path;

fn examples_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
}

fn public_key() -> String {
    rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("rsa").public_key_pem()
}

#[test]
fn every_resource_example_applies_converges_and_destroys() {
    let mut dirs: Vec<_> =
        std::fs::read_dir(examples_dir().join("resources")).unwrap().flatten().map(|e| e.path()).collect();
    dirs.sort();
    assert!(dirs.len() >= 5, "one example per resource");
    for dir in dirs {
        let tf = std::fs::read_to_string(dir.join("resource.tf")).expect("resource.tf");
        assert!(dir.join("import.sh").exists(), "{} has import.sh", dir.display());
        let sim = Sim::start();
        let mut w = Workdir::new(&sim, "1.15", &tf);
        w.env("TF_VAR_public_key_pem", &public_key());
        w.env("MASKINPORTEN_MERCHANT_DATA_URL", &sim.sim.url());
        w.apply();
        w.assert_converged();
        w.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
        let state = sim.state();
        let active = |kind: &str| state[kind].as_array().into_iter().flatten().filter(|x| x["active"] == true).count();
        assert_eq!(
            (active("scopes"), active("accesses"), active("clients"), active("contacts")),
            (0, 0, 0, 0),
            "{} destroyed",
            dir.display()
        );
    }
}

/// The complete example in a work directory, with both organisations' credentials as variables.
/// The consumer's admin private key is returned too, for secret audits.
pub fn complete_example(sim: &Sim) -> (Workdir, String) {
    let mut w = Workdir::new(sim, "1.15", "");
    w.write_raw(&std::fs::read_to_string(examples_dir().join("complete/main.tf")).unwrap());
    let mut consumer_key = String::new();
    for (k, v) in sim.sim.env_for("889640782") {
        if let Some(name) = k.strip_prefix("MASKINPORTEN_")
            && ["CLIENT_ID", "PRIVATE_KEY_PEM", "CERTIFICATE_CHAIN_PEM"].contains(&name)
        {
            w.env(&format!("TF_VAR_consumer_{}", name.to_ascii_lowercase()), &v);
            if name == "PRIVATE_KEY_PEM" {
                consumer_key = v;
            }
        }
    }
    w.env("TF_VAR_consumer_orgno", "889640782");
    w.env("TF_VAR_client_public_key_pem", &public_key());
    (w, consumer_key)
}

/// The two organisations of the README walkthrough.
pub fn two_orgs() -> Sim {
    Sim::with(|c: SimConfig| c.org("991825827", Some("demo")).org("889640782", None))
}

/// The README walkthrough: two organisations, two provider configurations.
#[test]
fn complete_example_spans_two_organisations() {
    let sim = two_orgs();
    let (w, _) = complete_example(&sim);
    w.apply();
    w.assert_converged();
    let state = sim.state();
    let client = &state["clients"][0];
    assert_eq!(client["client_orgno"], "889640782", "the consumer owns the client");
    assert_eq!(client["scopes"][0], "demo:orders.read");
    assert_eq!(state["accesses"][0]["consumer_orgno"], "889640782");
    let kid = w.state_values("maskinporten_client_key.orders")["kid"].clone();
    assert_eq!(state["keys"][client["client_id"].as_str().unwrap()][0]["kid"], kid);
    // Neither the consumer's admin key nor any other secret reached the state file.
    let tfstate = std::fs::read_to_string(w.dir.path().join("terraform.tfstate")).unwrap();
    assert!(!tfstate.contains("PRIVATE KEY"), "no private key in state");
    w.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
}

/// Secrets audit of the README walkthrough at TF_LOG=TRACE: no private key, access token or
/// signed assertion in state, plan JSON, output or logs.
#[test]
fn complete_example_at_trace_leaks_no_secret() {
    let sim = two_orgs();
    let (w, consumer_key) = complete_example(&sim);
    let mut secrets: Vec<String> = vec![];
    let provider_key = sim.sim.env_for("991825827").into_iter().find(|(k, _)| k == "MASKINPORTEN_PRIVATE_KEY_PEM");
    for key in [Some(consumer_key), provider_key.map(|(_, v)| v)].into_iter().flatten() {
        // Every base64 line of the key body is a secret on its own.
        secrets.extend(key.split("\\n").filter(|l| !l.starts_with("-----") && l.len() > 20).map(String::from));
    }
    let trace = [("TF_LOG", "trace"), ("TF_LOG_PATH", "trace.log")];
    let plan = w.run_with_env(&["plan", "-out=tfplan", "-no-color", "-input=false"], &trace);
    let apply = w.run_with_env(&["apply", "-no-color", "-input=false", "tfplan"], &trace);
    assert_eq!(apply.code, 0, "{}", apply.text());
    let refresh = w.run_with_env(&["plan", "-no-color", "-input=false"], &trace);
    secrets.extend(sim.sim.issued_tokens());
    assert!(secrets.len() > 40, "the audit has secrets to look for");
    let read = |f: &str| std::fs::read_to_string(w.dir.path().join(f)).unwrap_or_default();
    let log = read("trace.log");
    assert!(log.contains("API call") && log.contains("token request"), "the provider's own trace logs were captured");
    let places = [
        ("plan output", plan.text()),
        ("apply output", apply.text()),
        ("refresh output", refresh.text()),
        ("trace log", log),
        ("state", read("terraform.tfstate")),
        ("plan JSON", w.ok(&["show", "-json", "tfplan"]).stdout),
    ];
    let mut hits = vec![];
    for (place, text) in &places {
        for s in &secrets {
            if text.contains(s.as_str()) {
                hits.push(format!("{place}: {}…", &s[..12.min(s.len())]));
            }
        }
        // Signed assertions (and any JWT) start with a base64url '{"' header.
        if text.contains("eyJhbGci") || text.contains("eyJ0eXAi") {
            hits.push(format!("{place}: a JWT"));
        }
    }
    assert!(hits.is_empty(), "secrets leaked: {hits:?}");
}
