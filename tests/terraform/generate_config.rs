//! Moving from Samarbeidsportalen: objects made outside Terraform are imported with `import {}`
//! blocks, `-generate-config-out` writes their configuration, and the next plan is empty.

use crate::harness::{Sim, Workdir};
use base64::Engine;
use serde_json::json;

#[test]
fn generated_configuration_for_imported_scopes_clients_and_keys_plans_clean() {
    let sim = Sim::start();
    let org = "991825827";
    sim.out_of_band(org, "POST", "/api/v1/scopes", Some(json!({"prefix": "demo", "subscope": "legacy", "description": "Legacy API", "long_description": "Made by hand", "at_max_age": 600})));
    let client = sim.out_of_band(org, "POST", "/api/v1/clients", Some(json!({"integration_type": "maskinporten", "client_name": "legacy-client", "description": "Made in Samarbeidsportalen", "scopes": ["demo:legacy"]})));
    let client_id = client["client_id"].as_str().expect("client made").to_string();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    // The RSA modulus and exponent from the SPKI, as the portal would register them.
    let parsed = terraform_provider_maskinporten::provider::keys::parse(&key.public_key_pem()).unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    sim.out_of_band(org, "POST", &format!("/api/v1/clients/{client_id}/jwks"), Some(json!({"keys": [{"kty": "RSA", "kid": "legacy-2026", "use": "sig", "alg": "RS256", "n": b64.encode(&parsed.n), "e": b64.encode(&parsed.e)}]})));
    sim.sim.clear_requests();

    let w = Workdir::new(
        &sim,
        "1.15",
        &format!(
            r#"import {{
  to = maskinporten_scope.legacy
  id = "demo:legacy"
}}
import {{
  to = maskinporten_client.legacy
  id = "{client_id}"
}}
import {{
  to = maskinporten_client_key.legacy
  id = "{client_id},legacy-2026"
}}
"#
        ),
    );
    let r = w.run(&["plan", "-generate-config-out=generated.tf", "-no-color", "-input=false"]);
    assert!(w.dir.path().join("generated.tf").exists(), "config generated:\n{}", r.text());
    let generated = std::fs::read_to_string(w.dir.path().join("generated.tf")).unwrap();
    assert!(generated.contains("legacy-client") && generated.contains("legacy-2026"), "{generated}");
    let plan = w.plan_json(&[]);
    for addr in ["maskinporten_scope.legacy", "maskinporten_client.legacy", "maskinporten_client_key.legacy"] {
        assert_eq!(Workdir::planned_actions(&plan, addr), ["no-op"], "{addr} imports with an empty plan\n{generated}");
    }
    w.apply();
    w.assert_converged();
    let writes = sim.requests().iter().filter(|q| q["method"] != "GET" && q["path"] != "/token").count();
    assert_eq!(writes, 0, "importing wrote nothing");
}
