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
    let mut dirs: Vec<_> = std::fs::read_dir(examples_dir().join("resources")).unwrap().flatten().map(|e| e.path()).collect();
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
        assert_eq!((active("scopes"), active("accesses"), active("clients"), active("contacts")), (0, 0, 0, 0), "{} destroyed", dir.display());
    }
}

/// The README walkthrough: two organisations, two provider configurations.
#[test]
fn complete_example_spans_two_organisations() {
    let sim = Sim::with(|c: SimConfig| c.org("991825827", Some("demo")).org("889640782", None));
    let mut w = Workdir::new(&sim, "1.15", "");
    w.write_raw(&std::fs::read_to_string(examples_dir().join("complete/main.tf")).unwrap());
    for (k, v) in sim.sim.env_for("889640782") {
        if let Some(name) = k.strip_prefix("MASKINPORTEN_") {
            if ["CLIENT_ID", "PRIVATE_KEY_PEM", "CERTIFICATE_CHAIN_PEM"].contains(&name) {
                w.env(&format!("TF_VAR_consumer_{}", name.to_ascii_lowercase()), &v);
            }
        }
    }
    w.env("TF_VAR_consumer_orgno", "889640782");
    w.env("TF_VAR_client_public_key_pem", &public_key());
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
