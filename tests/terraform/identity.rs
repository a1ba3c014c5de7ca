//! Resource identity (Terraform ≥ 1.12): `import { identity = {...} }` and identities in state.

use crate::harness::{Sim, Workdir};
use serde_json::json;

#[test]
fn import_blocks_by_identity_and_identities_in_state() {
    let sim = Sim::start();
    // Made outside Terraform: a scope and a grant.
    sim.out_of_band(
        "991825827",
        "POST",
        "/api/v1/scopes",
        Some(json!({"prefix": "demo", "subscope": "legacy", "description": "Made in Samarbeidsportalen"})),
    );
    sim.out_of_band("991825827", "PUT", "/api/v1/scopes/access/889640782?scope=demo:legacy", None);
    let w = Workdir::new(
        &sim,
        "1.15",
        r#"import {
  to       = maskinporten_scope.legacy
  identity = { name = "demo:legacy" }
}

import {
  to       = maskinporten_scope_access.legacy
  identity = { scope = "demo:legacy", consumer_orgno = "889640782" }
}

resource "maskinporten_scope" "legacy" {
  prefix      = "demo"
  subscope    = "legacy"
  description = "Made in Samarbeidsportalen"
}

resource "maskinporten_scope_access" "legacy" {
  scope          = maskinporten_scope.legacy.name
  consumer_orgno = "889640782"
}
"#,
    );
    let plan = w.plan_json(&[]);
    for addr in ["maskinporten_scope.legacy", "maskinporten_scope_access.legacy"] {
        assert_eq!(Workdir::planned_actions(&plan, addr), ["no-op"], "{addr} imports without changes");
    }
    w.apply();
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.dir.path().join("terraform.tfstate")).unwrap()).unwrap();
    let identity = |t: &str| {
        state["resources"].as_array().unwrap().iter().find(|r| r["type"] == t).unwrap()["instances"][0]["identity"]
            .clone()
    };
    assert_eq!(identity("maskinporten_scope"), json!({"name": "demo:legacy"}));
    assert_eq!(identity("maskinporten_scope_access"), json!({"scope": "demo:legacy", "consumer_orgno": "889640782"}));
    w.assert_converged();
    let writes = sim
        .requests()
        .iter()
        .filter(|q| q["method"] != "GET" && q["path"] != "/token" && q["org"] != serde_json::Value::Null)
        .count();
    assert_eq!(writes, 2, "only the two out-of-band writes; the import wrote nothing");
}
