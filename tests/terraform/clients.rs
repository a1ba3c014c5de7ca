//! `maskinporten_client` and `maskinporten_client_key`: the API consumer's side (issue 4).

use crate::harness::{Sim, Workdir};
use serde_json::Value;

/// A fresh RSA key pair: (public PEM, private PEM).
fn keypair() -> (String, String) {
    let k = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("rsa");
    (k.public_key_pem(), k.serialize_pem())
}

fn client_cfg(description: &str, keys: &[(&str, &str, bool)]) -> String {
    let mut s = format!(
        r#"resource "maskinporten_scope" "s" {{
  prefix      = "demo"
  subscope    = "orders.read"
  description = "Read orders"
}}

resource "maskinporten_client" "c" {{
  client_name = "orders-reader"
  description = "{description}"
  scopes      = [maskinporten_scope.s.name]
}}
"#
    );
    for (name, file, cbd) in keys {
        let lifecycle = if *cbd { "\n  lifecycle {\n    create_before_destroy = true\n  }" } else { "" };
        s.push_str(&format!("\nresource \"maskinporten_client_key\" \"{name}\" {{\n  client_id = maskinporten_client.c.client_id\n  key       = file(\"{file}\"){lifecycle}\n}}\n"));
    }
    s
}

fn clients(sim: &Sim) -> Vec<Value> {
    sim.state()["clients"].as_array().cloned().unwrap_or_default()
}

/// The kids registered on a client, as a set.
fn kids(sim: &Sim, client_id: &str) -> std::collections::BTreeSet<String> {
    sim.state()["keys"][client_id]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["kid"].as_str().map(String::from))
        .collect()
}

#[test]
fn client_and_keys_lifecycle_with_both_rotations() {
    let sim = Sim::start();
    let w = Workdir::new(&sim, "1.15", "");
    let (pub1, _) = keypair();
    let (pub2, _) = keypair();
    let (pub3, _) = keypair();
    std::fs::write(w.dir.path().join("k1.pem"), &pub1).unwrap();
    std::fs::write(w.dir.path().join("k2.pem"), &pub2).unwrap();
    std::fs::write(w.dir.path().join("k3.pem"), &pub3).unwrap();

    // Create a client with one key.
    w.write(&client_cfg("Reads orders", &[("k1", "k1.pem", false)]));
    let out = w.apply();
    // The client is made by this apply: it has never signed with x5c, so there is nothing to warn
    // about (an existing client's first key warns: key_rules.rs).
    assert!(!out.text().contains("First key on client"), "no first-key warning for a new client:\n{}", out.text());
    let client_id = w.state_values("maskinporten_client.c")["client_id"].as_str().expect("client_id").to_string();
    assert_eq!(clients(&sim).len(), 1);
    let k1 = w.state_values("maskinporten_client_key.k1");
    assert!(k1["key"].is_null(), "key material is write-only");
    assert_eq!(kids(&sim, &client_id), [k1["kid"].as_str().unwrap().to_string()].into());
    assert!(k1["expires_at"].as_str().is_some());
    w.assert_converged();

    // A reformatted PEM of the same key is no change.
    std::fs::write(w.dir.path().join("k1.pem"), pub1.replace('\n', "\r\n")).unwrap();
    w.assert_converged();

    // Update in place keeps the client_id.
    w.write(&client_cfg("Reads all orders", &[("k1", "k1.pem", false)]));
    assert_eq!(Workdir::planned_actions(&w.plan_json(&[]), "maskinporten_client.c"), ["update"]);
    w.apply();
    assert_eq!(w.state_values("maskinporten_client.c")["client_id"], client_id.as_str());
    assert_eq!(clients(&sim)[0]["description"], "Reads all orders");
    w.assert_converged();

    // Deactivated outside Terraform: repaired in place, same client_id.
    sim.out_of_band("991825827", "DELETE", &format!("/api/v1/clients/{client_id}"), None);
    assert_eq!(clients(&sim)[0]["active"], false);
    assert_eq!(Workdir::planned_actions(&w.plan_json(&[]), "maskinporten_client.c"), ["update"]);
    w.apply();
    assert_eq!((clients(&sim).len(), clients(&sim)[0]["active"].clone()), (1, Value::Bool(true)));
    w.assert_converged();

    // Import in a fresh directory reproduces the client and the key.
    let fresh = Workdir::new(&sim, "1.15", &client_cfg("Reads all orders", &[("k1", "k1.pem", false)]));
    std::fs::write(fresh.dir.path().join("k1.pem"), &pub1).unwrap();
    fresh.ok(&["import", "-no-color", "-input=false", "maskinporten_scope.s", "demo:orders.read"]);
    fresh.ok(&["import", "-no-color", "-input=false", "maskinporten_client.c", &client_id]);
    fresh.ok(&[
        "import",
        "-no-color",
        "-input=false",
        "maskinporten_client_key.k1",
        &format!("{client_id},{}", k1["kid"].as_str().unwrap()),
    ]);
    assert_eq!(fresh.state_values("maskinporten_client.c"), w.state_values("maskinporten_client.c"));
    assert_eq!(fresh.state_values("maskinporten_client_key.k1"), k1);
    fresh.assert_converged();

    // Two-phase rotation: add k2 (k1 stays), then remove k1 (k2 stays).
    w.write(&client_cfg("Reads all orders", &[("k1", "k1.pem", false), ("k2", "k2.pem", false)]));
    w.apply();
    assert_eq!(kids(&sim, &client_id).len(), 2);
    w.assert_converged();
    w.write(&client_cfg("Reads all orders", &[("k2", "k2.pem", false)]));
    w.apply();
    let k2 = w.state_values("maskinporten_client_key.k2")["kid"].as_str().unwrap().to_string();
    assert_eq!(kids(&sim, &client_id), [k2.clone()].into());
    w.assert_converged();

    // create_before_destroy rotation of a second key leaves k2 in place.
    w.write(&client_cfg("Reads all orders", &[("k2", "k2.pem", false), ("r", "k1.pem", true)]));
    w.apply();
    let before = w.state_values("maskinporten_client_key.r")["kid"].as_str().unwrap().to_string();
    std::fs::write(w.dir.path().join("k1.pem"), &pub3).unwrap();
    let actions = Workdir::planned_actions(&w.plan_json(&[]), "maskinporten_client_key.r");
    assert_eq!(actions, ["create", "delete"], "create_before_destroy");
    w.apply();
    let after = w.state_values("maskinporten_client_key.r")["kid"].as_str().unwrap().to_string();
    assert_ne!(before, after);
    assert_eq!(kids(&sim, &client_id), [k2.clone(), after].into(), "the other key stayed; the old rotated key is gone");
    w.assert_converged();

    // Destroy deactivates the client and removes its keys.
    w.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(clients(&sim)[0]["active"], false);
    assert!(kids(&sim, &client_id).is_empty());
}

#[test]
fn a_private_key_is_refused_and_appears_nowhere() {
    let sim = Sim::start();
    let w = Workdir::new(&sim, "1.15", "");
    let (_, private) = keypair();
    std::fs::write(w.dir.path().join("oops.pem"), &private).unwrap();
    w.write(&client_cfg("x", &[("k", "oops.pem", false)]));
    let r = w.run_with_env(
        &["plan", "-no-color", "-input=false", "-out=tfplan"],
        &[("TF_LOG", "trace"), ("TF_LOG_PATH", "tf.log")],
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("this is a private key"), "{}", r.stderr);
    // Every base64 line of the key body, each searched for on its own.
    let lines: Vec<&str> = private.lines().filter(|l| !l.starts_with("-----") && l.len() >= 40).collect();
    assert!(lines.len() >= 20, "an RSA key has many lines: {}", lines.len());
    let log = std::fs::read_to_string(w.dir.path().join("tf.log")).unwrap_or_default();
    assert!(!log.is_empty(), "trace log written");
    for (what, text) in [("stdout", &r.stdout), ("stderr", &r.stderr), ("trace log", &log)] {
        for line in &lines {
            assert!(!text.contains(line), "private key material leaked into {what}: {line}");
        }
    }
    assert!(!w.dir.path().join("tfplan").exists() && !w.dir.path().join("terraform.tfstate").exists());
    assert!(sim.requests().iter().all(|q| q["method"] == "GET" || q["path"] == "/token"), "nothing written");
}

#[test]
fn a_sixth_key_is_refused_naming_the_limit() {
    let sim = Sim::start();
    let w = Workdir::new(&sim, "1.15", "");
    let mut keys = vec![];
    for i in 0..6 {
        std::fs::write(w.dir.path().join(format!("k{i}.pem")), keypair().0).unwrap();
        keys.push((format!("k{i}"), format!("k{i}.pem")));
    }
    let five: Vec<(&str, &str, bool)> = keys[..5].iter().map(|(n, f)| (n.as_str(), f.as_str(), false)).collect();
    w.write(&client_cfg("x", &five));
    w.apply();
    let client_id = w.state_values("maskinporten_client.c")["client_id"].as_str().unwrap().to_string();
    let before = kids(&sim, &client_id);
    assert_eq!(before.len(), 5, "five keys registered");
    let six: Vec<(&str, &str, bool)> = keys.iter().map(|(n, f)| (n.as_str(), f.as_str(), false)).collect();
    w.write(&client_cfg("x", &six));
    let r = w.run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("already has 5 keys") && r.stderr.contains("at most 5 keys"), "{}", r.stderr);
    assert_eq!(kids(&sim, &client_id), before, "the existing keys are untouched");
}

#[test]
fn client_lifetimes_must_be_positive() {
    let sim = Sim::start();
    let w = Workdir::new(
        &sim,
        "1.15",
        &client_cfg("x", &[]).replace(
            "scopes      = [maskinporten_scope.s.name]",
            "scopes      = [maskinporten_scope.s.name]\n  access_token_lifetime = 0",
        ),
    );
    let r = w.run(&["validate", "-no-color"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("Invalid access_token_lifetime"), "{}", r.stderr);
}

#[test]
fn supplier_clients_replace_when_the_customer_changes_and_removed_keys_come_back() {
    let sim = Sim::with(|c| c.org("991825827", Some("demo")).org("889640782", None).org("974760673", None));
    let mut w = Workdir::new(&sim, "1.15", "");
    w.env("MASKINPORTEN_SCOPES", "idporten:scopes.read idporten:scopes.write idporten:dcr.read idporten:dcr.write idporten:dcr.modify idporten:dcr.supplier");
    let (public, _) = keypair();
    std::fs::write(w.dir.path().join("k.pem"), public).unwrap();
    let cfg = |customer: &str| {
        format!(
            r#"resource "maskinporten_scope" "s" {{
  prefix      = "demo"
  subscope    = "orders.read"
  description = "Read orders"
}}
resource "maskinporten_scope_consumers" "g" {{
  scope     = maskinporten_scope.s.name
  consumers = ["889640782", "974760673"]
}}
resource "maskinporten_client" "c" {{
  client_name  = "for-a-customer"
  description  = "Supplier-run integration"
  scopes       = [maskinporten_scope_consumers.g.scope]
  client_orgno = "{customer}"
}}
resource "maskinporten_client_key" "k" {{
  client_id = maskinporten_client.c.client_id
  key       = file("k.pem")
}}
"#
        )
    };
    w.write(&cfg("889640782"));
    w.apply();
    let c = w.state_values("maskinporten_client.c");
    assert_eq!(
        (c["client_orgno"].clone(), c["supplier_orgno"].clone()),
        (Value::from("889640782"), Value::from("991825827"))
    );
    w.assert_converged();

    // A key removed outside Terraform is planned again.
    let id = c["client_id"].as_str().unwrap().to_string();
    sim.out_of_band("991825827", "DELETE", &format!("/api/v1/clients/{id}/jwks"), None);
    assert_eq!(Workdir::planned_actions(&w.plan_json(&[]), "maskinporten_client_key.k"), ["create"]);
    w.apply();
    assert_eq!(kids(&sim, &id).len(), 1);
    w.assert_converged();

    // Another customer is another client: replaced, the old one deactivated.
    w.write(&cfg("974760673"));
    let actions = Workdir::planned_actions(&w.plan_json(&[]), "maskinporten_client.c");
    assert!(actions.contains(&"delete".to_string()) && actions.contains(&"create".to_string()), "{actions:?}");
    w.apply();
    let all = clients(&sim);
    assert_eq!(all.iter().filter(|c| c["active"] == true).count(), 1);
    assert_eq!(all.iter().find(|c| c["active"] == true).unwrap()["client_orgno"], "974760673");
    w.assert_converged();
}

/// Where Digdir answers a deactivated client or scope with 404 (uncertain:
/// docs/development/digdir-api.md, "Clients"), the provider still finds it deactivated and repairs
/// it in place instead of creating a second one.
#[test]
fn deactivated_objects_that_read_as_404_are_still_reactivated_in_place() {
    let sim = Sim::with(|mut c| {
        c.hide_deactivated_on_get = true;
        c
    });
    let w = Workdir::new(&sim, "1.15", &client_cfg("x", &[]));
    w.apply();
    let id = w.state_values("maskinporten_client.c")["client_id"].as_str().unwrap().to_string();
    sim.out_of_band("991825827", "DELETE", &format!("/api/v1/clients/{id}"), None);
    sim.out_of_band("991825827", "DELETE", "/api/v1/scopes?scope=demo:orders.read", None);
    let plan = w.plan_json(&[]);
    assert_eq!(Workdir::planned_actions(&plan, "maskinporten_client.c"), ["update"]);
    assert_eq!(Workdir::planned_actions(&plan, "maskinporten_scope.s"), ["update"]);
    w.apply();
    assert_eq!(clients(&sim).len(), 1, "no second client");
    assert_eq!(clients(&sim)[0]["active"], true);
    w.assert_converged();
}

/// The plan warns about a scope the organisation cannot use, but not about one under its own
/// prefix that the same apply creates (it is not listed yet, and it will be ours).
#[test]
fn only_scopes_the_organisation_cannot_use_are_warned_about() {
    let sim = Sim::start();
    let cfg = |scope: &str| {
        format!(
            "resource \"maskinporten_scope\" \"s\" {{\n  prefix = \"demo\"\n  subscope = \"fresh\"\n  description = \"d\"\n}}\nresource \"maskinporten_client\" \"c\" {{\n  client_name = \"c\"\n  description = \"d\"\n  scopes = [{scope}]\n}}\n"
        )
    };
    let w = Workdir::new(&sim, "1.15", &cfg("maskinporten_scope.s.name"));
    let out = w.apply();
    assert!(!out.text().contains("may not be usable"), "our own new scope is usable:\n{}", out.text());
    w.write(&cfg("\"elsewhere:orders\""));
    let plan = w.ok(&["plan", "-no-color", "-input=false"]).flat_text();
    assert!(plan.contains("Scope elsewhere:orders may not be usable by your organisation"), "{plan}");
}
