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

/// The other identity shapes, each imported by identity into a fresh state: `{scope}` of a
/// consumer list, `{client_id}`, `{client_id, kid}` and a contact's `{id}`. Everything imports
/// without a change and without a write, and each identity lands in state as given.
#[test]
fn consumer_lists_clients_keys_and_contacts_import_by_identity() {
    let sim = Sim::start();
    let resources = r#"resource "maskinporten_scope" "s" {
  prefix      = "demo"
  subscope    = "ident"
  description = "Imported by identity"
}

resource "maskinporten_scope_consumers" "s" {
  scope     = maskinporten_scope.s.name
  consumers = ["889640782"]
}

resource "maskinporten_client" "c" {
  client_name = "ident"
  description = "Imported by identity"
  scopes      = [maskinporten_scope.s.name]
}

resource "maskinporten_client_key" "k" {
  client_id = maskinporten_client.c.client_id
  key       = file("k.pem")
}

resource "maskinporten_contact" "ops" {
  kind      = "notification"
  client_id = maskinporten_client.c.client_id
  name      = "Operations"
  email     = "ops@example.no"
}
"#;
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("rsa").public_key_pem();
    let made = |main_tf: &str| {
        let mut w = Workdir::new(&sim, "1.15", main_tf);
        w.env("MASKINPORTEN_MERCHANT_DATA_URL", &sim.sim.url());
        std::fs::write(w.dir.path().join("k.pem"), &key).expect("k.pem");
        w
    };
    let first = made(resources);
    first.apply();
    let value = |addr: &str, attr: &str| first.state_values(addr)[attr].as_str().expect(attr).to_string();
    let (client_id, kid) = (value("maskinporten_client.c", "client_id"), value("maskinporten_client_key.k", "kid"));
    let contact_id = value("maskinporten_contact.ops", "id");
    let expected = [
        ("maskinporten_scope.s", json!({"name": "demo:ident"})),
        ("maskinporten_scope_consumers.s", json!({"scope": "demo:ident"})),
        ("maskinporten_client.c", json!({"client_id": client_id})),
        ("maskinporten_client_key.k", json!({"client_id": client_id, "kid": kid})),
        ("maskinporten_contact.ops", json!({"id": contact_id})),
    ];
    let blocks: String = expected
        .iter()
        .map(|(addr, identity)| {
            let fields: Vec<String> =
                identity.as_object().expect("object").iter().map(|(k, v)| format!("{k} = {v}")).collect();
            format!("import {{\n  to       = {addr}\n  identity = {{ {} }}\n}}\n\n", fields.join(", "))
        })
        .collect();
    let writes_before = sim.requests().iter().filter(|q| q["method"] != "GET" && q["path"] != "/token").count();
    let second = made(&format!("{blocks}{resources}"));
    let plan = second.plan_json(&[]);
    for (addr, _) in &expected {
        assert_eq!(Workdir::planned_actions(&plan, addr), ["no-op"], "{addr} imports without changes");
    }
    second.apply();
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(second.dir.path().join("terraform.tfstate")).unwrap()).unwrap();
    for (addr, identity) in &expected {
        let (t, name) = addr.split_once('.').expect("type.name");
        let r =
            state["resources"].as_array().unwrap().iter().find(|r| r["type"] == t && r["name"] == name).expect(addr);
        assert_eq!(&r["instances"][0]["identity"], identity, "{addr}");
    }
    second.assert_converged();
    let writes_after = sim.requests().iter().filter(|q| q["method"] != "GET" && q["path"] != "/token").count();
    assert_eq!(writes_after, writes_before, "importing wrote nothing");
}
