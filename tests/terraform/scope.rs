//! `maskinporten_scope` through its whole life (issue 3): create, empty plans, update in place,
//! replacement, import in a fresh directory, out-of-band deactivation repaired, destroy
//! (deactivated, never deleted), and re-create reactivating the same scope.

use crate::harness::{Sim, Workdir};
use serde_json::json;

fn config(subscope: &str, description: &str) -> String {
    format!(
        r#"resource "maskinporten_scope" "s" {{
  prefix                    = "demo"
  subscope                  = "{subscope}"
  description               = "{description}"
  allowed_integration_types = ["maskinporten"]
}}

data "maskinporten_scope" "read_back" {{
  name = maskinporten_scope.s.name
}}

output "name" {{ value = maskinporten_scope.s.name }}
output "read_back_description" {{ value = data.maskinporten_scope.read_back.description }}
"#
    )
}

const ADDR: &str = "maskinporten_scope.s";

fn lifecycle(minor: &str) {
    let sim = Sim::start();
    let w = Workdir::new(&sim, minor, &config("orders.read", "Read orders"));

    // Create: the name is known at plan time.
    let plan = w.plan_json(&[]);
    assert_eq!(Workdir::planned_actions(&plan, ADDR), ["create"]);
    let planned =
        &plan["resource_changes"].as_array().unwrap().iter().find(|c| c["address"] == ADDR).unwrap()["change"]["after"];
    assert_eq!(planned["name"], "demo:orders.read", "name known at plan");
    w.apply();
    let st = w.state_values(ADDR);
    assert_eq!(st["name"], "demo:orders.read");
    assert_eq!(st["token_type"], "SELF_CONTAINED");
    assert_eq!(st["owner_orgno"], "991825827");
    assert_eq!(st["active"], true);
    let s = sim.scope("demo:orders.read").expect("scope in simulator");
    assert_eq!((s["active"].clone(), s["description"].clone()), (json!(true), json!("Read orders")));
    w.assert_converged();

    // Update in place keeps the scope and changes only the description.
    w.write(&config("orders.read", "Read all orders"));
    assert_eq!(Workdir::planned_actions(&w.plan_json(&[]), ADDR), ["update"]);
    w.apply();
    assert_eq!(sim.scope("demo:orders.read").unwrap()["description"], "Read all orders");
    w.assert_converged();

    // A new subscope replaces the scope: the old one is deactivated, the new one active.
    w.write(&config("orders.write", "Write orders"));
    let actions = Workdir::planned_actions(&w.plan_json(&[]), ADDR);
    assert!(actions == ["delete", "create"] || actions == ["create", "delete"], "{actions:?}");
    w.apply();
    assert_eq!(sim.scope("demo:orders.read").unwrap()["active"], false);
    assert_eq!(sim.scope("demo:orders.write").unwrap()["active"], true);
    w.assert_converged();
    let created = w.state_values(ADDR);

    // Import in a fresh directory reproduces the state exactly.
    let fresh = Workdir::new(&sim, minor, &config("orders.write", "Write orders"));
    fresh.ok(&["import", "-input=false", "-no-color", ADDR, "demo:orders.write"]);
    assert_eq!(fresh.state_values(ADDR), created, "import reproduces the state");
    fresh.assert_converged();

    // Deactivated outside Terraform: drift shows as active false -> true, repaired in place.
    sim.out_of_band("991825827", "DELETE", "/api/v1/scopes?scope=demo:orders.write", None);
    assert_eq!(sim.scope("demo:orders.write").unwrap()["active"], false);
    let drift = w.run(&["plan", "-refresh-only", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(drift.code, 2, "refresh-only shows the drift:\n{}", drift.text());
    let plan = w.plan_json(&["-refresh-only"]);
    let drifted: Vec<(String, serde_json::Value, serde_json::Value)> = plan["resource_drift"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["address"].as_str().unwrap_or("").to_string(),
                d["change"]["before"]["active"].clone(),
                d["change"]["after"]["active"].clone(),
            )
        })
        .collect();
    assert_eq!(drifted, [(ADDR.to_string(), json!(true), json!(false))], "exactly the deactivation drifted");
    assert_eq!(Workdir::planned_actions(&w.plan_json(&[]), ADDR), ["update"]);
    w.apply();
    assert_eq!(sim.scope("demo:orders.write").unwrap()["active"], true);
    assert_eq!(w.state_values(ADDR)["name"], "demo:orders.write");
    w.assert_converged();

    // Destroy deactivates.
    w.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(sim.scope("demo:orders.write").unwrap()["active"], false);

    // Re-create over the deactivated scope reactivates it: no second POST succeeds, one PUT.
    sim.sim.clear_requests();
    let out = w.apply();
    assert!(out.text().contains("will be reactivated"), "plan warns of the reactivation:\n{}", out.text());
    let s = sim.scope("demo:orders.write").unwrap();
    assert_eq!((s["active"].clone(), s["description"].clone()), (json!(true), json!("Write orders")));
    let puts = sim.requests().iter().filter(|r| r["method"] == "PUT" && r["path"] == "/api/v1/scopes").count();
    assert_eq!(puts, 1, "reactivated with one PUT");
    w.assert_converged();
}

#[test]
fn scope_lifecycle_terraform_1_11() {
    lifecycle("1.11");
}

#[test]
fn scope_lifecycle_terraform_1_12() {
    lifecycle("1.12");
}

#[test]
fn scope_lifecycle_terraform_1_13() {
    lifecycle("1.13");
}

#[test]
fn scope_lifecycle_terraform_1_14() {
    lifecycle("1.14");
}

#[test]
fn scope_lifecycle_terraform_1_15() {
    lifecycle("1.15");
}

#[test]
fn foreign_prefix_is_refused_at_plan_without_any_write() {
    let sim = Sim::start();
    let w = Workdir::new(
        &sim,
        "1.15",
        r#"resource "maskinporten_scope" "x" {
  prefix      = "someoneelse"
  subscope    = "data.read"
  description = "Not ours"
}"#,
    );
    let r = w.run(&["plan", "-no-color", "-input=false"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("Prefix not owned by your organisation"), "{}", r.stderr);
    assert!(r.stderr.contains("prefix"), "points at the attribute: {}", r.stderr);
    let writes = sim.requests().iter().filter(|q| q["method"] != "GET" && q["path"] != "/token").count();
    assert_eq!(writes, 0, "nothing written");
}

#[test]
fn bad_input_is_refused_by_validate_with_the_attribute() {
    let sim = Sim::start();
    let w = Workdir::new(
        &sim,
        "1.15",
        r#"resource "maskinporten_scope" "x" {
  prefix      = "demo"
  subscope    = "Orders Read"
  description = "x"
  token_type  = "JWT"
}"#,
    );
    let r = w.run(&["validate", "-no-color"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("Invalid subscope") && r.stderr.contains("Invalid token_type"), "{}", r.stderr);
    assert!(r.stderr.contains("on main.tf line"), "points at the line: {}", r.stderr);
    assert!(sim.requests().is_empty(), "validate makes no API call");
}

/// Optional attributes removed from configuration are cleared at Digdir: left out of the PUT
/// (which replaces the scope), never sent as null or "" (docs/development/digdir-api.md,
/// "Scopes").
#[test]
fn optional_attributes_removed_from_configuration_are_cleared() {
    let sim = Sim::start();
    let with = r#"resource "maskinporten_scope" "s" {
  prefix                        = "demo"
  subscope                      = "cleared"
  description                   = "d"
  long_description              = "More about it"
  delegation_source             = "https://tt02.altinn.no/"
  enforced_aud_for_access_token = "https://api.example.no"
}
"#;
    let w = Workdir::new(&sim, "1.15", with);
    w.apply();
    let s = sim.scope("demo:cleared").expect("scope");
    assert_eq!(s["long_description"], "More about it");
    w.write(
        &with
            .lines()
            .filter(|l| {
                !l.contains("long_description") && !l.contains("delegation_source") && !l.contains("enforced_aud")
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    w.apply();
    let s = sim.scope("demo:cleared").expect("scope");
    for f in ["long_description", "delegation_source", "enforced_aud_for_access_token"] {
        assert!(s.get(f).is_none_or(|v| v.is_null()), "{f} cleared at Digdir: {s}");
    }
    let put = sim
        .requests()
        .into_iter()
        .rev()
        .find(|r| r["method"] == "PUT" && r["path"] == "/api/v1/scopes")
        .expect("a PUT");
    for f in ["long_description", "delegation_source", "enforced_aud_for_access_token"] {
        assert!(put["body"].get(f).is_none(), "{f} left out of the PUT, not null or empty: {}", put["body"]);
    }
    w.assert_converged();
}
