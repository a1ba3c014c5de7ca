//! `maskinporten_scope_access` and `maskinporten_scope_consumers`: the API provider deciding who
//! may use its scopes (issue 4).

use crate::harness::{Sim, Workdir};

const SCOPE: &str = r#"resource "maskinporten_scope" "s" {
  prefix      = "demo"
  subscope    = "orders.read"
  description = "Read orders"
}
"#;

fn access(name: &str, orgno: &str) -> String {
    format!(
        "resource \"maskinporten_scope_access\" \"{name}\" {{\n  scope          = maskinporten_scope.s.name\n  consumer_orgno = \"{orgno}\"\n}}\n"
    )
}

/// The grant of `scope` to `consumer` in the simulator: (state, active).
fn grant(sim: &Sim, scope: &str, consumer: &str) -> Option<(String, bool)> {
    sim.state()["accesses"]
        .as_array()?
        .iter()
        .find(|a| a["scope"] == scope && a["consumer_orgno"] == consumer)
        .map(|a| (a["state"].as_str().unwrap_or_default().to_string(), a["active"].as_bool().unwrap_or(false)))
}

fn approved(sim: &Sim, consumer: &str) -> bool {
    grant(sim, "demo:orders.read", consumer) == Some(("APPROVED".into(), true))
}

/// The organisation register not answering costs the plan the consumer's name, not the grant:
/// a warning, the name known after apply, and the final plan at apply consistent with the first.
#[test]
fn an_unanswered_name_lookup_warns_and_the_grant_is_made() {
    let sim = Sim::start();
    let mut w = Workdir::new(&sim, "1.15", &format!("{SCOPE}{}", access("a", "889640782")));
    w.env("MASKINPORTEN_MAX_RETRIES", "1");
    let register_down =
        maskinporten_sim::Faults { rate_5xx: 1.0, paths: vec!["/api/v1/organizations/".into()], ..Default::default() };
    sim.sim.set_faults(register_down);
    let plan = w.ok(&["plan", "-input=false", "-no-color"]);
    assert!(
        plan.flat_text().contains("Warning: Could not look up the name of organisation 889640782"),
        "{}",
        plan.text()
    );
    assert!(plan.flat_text().contains("consumer_organization_name = (known after apply)"), "{}", plan.text());
    w.apply();
    assert!(approved(&sim, "889640782"));
    assert!(sim.sim.set_faults(maskinporten_sim::Faults::default()) >= 4, "both plans asked the register, and retried");
    assert_eq!(w.state_values("maskinporten_scope_access.a")["consumer_organization_name"], "SIM ORG 889640782");
    w.assert_converged();
}

#[test]
fn scope_access_lifecycle() {
    let sim = Sim::start();
    let w = Workdir::new(&sim, "1.15", &format!("{SCOPE}{}", access("a", "889640782")));

    // The plan says who gets access.
    let plan = w.plan_json(&[]);
    let after = &plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "maskinporten_scope_access.a")
        .unwrap()["change"]["after"];
    assert_eq!(after["consumer_organization_name"], "SIM ORG 889640782");
    w.apply();
    assert!(approved(&sim, "889640782"));
    assert_eq!(w.state_values("maskinporten_scope_access.a")["id"], "demo:orders.read,889640782");
    w.assert_converged();

    // Import in a fresh directory reproduces the state.
    let created = w.state_values("maskinporten_scope_access.a");
    let fresh = Workdir::new(&sim, "1.15", &format!("{SCOPE}{}", access("a", "889640782")));
    fresh.ok(&["import", "-no-color", "-input=false", "maskinporten_scope.s", "demo:orders.read"]);
    fresh.ok(&["import", "-no-color", "-input=false", "maskinporten_scope_access.a", "demo:orders.read,889640782"]);
    assert_eq!(fresh.state_values("maskinporten_scope_access.a"), created);
    fresh.assert_converged();

    // Revoked outside Terraform: the next plan grants it again.
    sim.out_of_band("991825827", "DELETE", "/api/v1/scopes/access/889640782?scope=demo:orders.read", None);
    assert!(!approved(&sim, "889640782"));
    assert_eq!(Workdir::planned_actions(&w.plan_json(&[]), "maskinporten_scope_access.a"), ["create"]);
    w.apply();
    assert!(approved(&sim, "889640782"));
    w.assert_converged();

    // Another consumer replaces the grant: old revoked, new approved.
    w.write(&format!("{SCOPE}{}", access("a", "974760673")));
    let actions = Workdir::planned_actions(&w.plan_json(&[]), "maskinporten_scope_access.a");
    assert!(actions.contains(&"delete".to_string()) && actions.contains(&"create".to_string()), "{actions:?}");
    w.apply();
    assert!(approved(&sim, "974760673") && !approved(&sim, "889640782"));
    w.assert_converged();

    // Destroy revokes (Digdir keeps the record, deactivated).
    w.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(grant(&sim, "demo:orders.read", "974760673").map(|g| g.1), Some(false));
}

#[test]
fn grants_on_one_scope_are_refreshed_with_one_list_call() {
    let sim = Sim::start();
    let consumers = ["889640782", "974760673", "991825827", "923609016"];
    let cfg: String = consumers.iter().enumerate().map(|(i, c)| access(&format!("g{i}"), c)).collect();
    let w = Workdir::new(&sim, "1.15", &format!("{SCOPE}{cfg}"));
    w.apply();
    sim.sim.clear_requests();
    w.assert_converged();
    // Two plans ran (plan, and plan -refresh-only), each a fresh provider process.
    let lists = sim.requests().iter().filter(|r| r["method"] == "GET" && r["path"] == "/api/v1/scopes/access").count();
    assert_eq!(lists, 2, "one list call per refresh, not one per grant");
}

#[test]
fn scope_consumers_is_authoritative() {
    let sim = Sim::start();
    let cfg = |list: &str| {
        format!(
            "{SCOPE}resource \"maskinporten_scope_consumers\" \"c\" {{\n  scope     = maskinporten_scope.s.name\n  consumers = [{list}]\n}}\n"
        )
    };
    let w = Workdir::new(&sim, "1.15", &cfg("\"889640782\", \"974760673\""));
    w.apply();
    assert!(approved(&sim, "889640782") && approved(&sim, "974760673"));
    w.assert_converged();

    // A grant made elsewhere is drift, revoked by the next apply.
    sim.out_of_band("991825827", "PUT", "/api/v1/scopes/access/923609016?scope=demo:orders.read", None);
    assert!(approved(&sim, "923609016"));
    assert_eq!(Workdir::planned_actions(&w.plan_json(&[]), "maskinporten_scope_consumers.c"), ["update"]);
    w.apply();
    assert!(!approved(&sim, "923609016"), "the foreign grant was revoked");
    w.assert_converged();

    // Shrinking the set revokes; import in a fresh directory reproduces the state.
    w.write(&cfg("\"889640782\""));
    w.apply();
    assert!(approved(&sim, "889640782") && !approved(&sim, "974760673"));
    w.assert_converged();
    let created = w.state_values("maskinporten_scope_consumers.c");
    let fresh = Workdir::new(&sim, "1.15", &cfg("\"889640782\""));
    fresh.ok(&["import", "-no-color", "-input=false", "maskinporten_scope.s", "demo:orders.read"]);
    fresh.ok(&["import", "-no-color", "-input=false", "maskinporten_scope_consumers.c", "demo:orders.read"]);
    assert_eq!(fresh.state_values("maskinporten_scope_consumers.c"), created);

    w.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(!approved(&sim, "889640782"));
}

#[test]
fn bad_organisation_numbers_are_caught_before_any_request() {
    let sim = Sim::start();
    let w = Workdir::new(&sim, "1.15", &format!("{SCOPE}{}", access("a", "12345")));
    let r = w.run(&["validate", "-no-color"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("Invalid organisation number") && r.stderr.contains("consumer_orgno"), "{}", r.stderr);
    // Against TEST (the simulator's environment), a failed check digit only warns.
    w.write(&format!("{SCOPE}{}", access("a", "991825828")));
    let r = w.run(&["validate", "-no-color"]);
    assert_eq!(r.code, 0, "{}", r.text());
    assert!(r.text().contains("fails its check digit"), "{}", r.text());
}

#[test]
fn re_creating_a_deactivated_scope_with_kept_grants_fails_listing_them() {
    let sim = Sim::start();
    let w = Workdir::new(&sim, "1.15", &format!("{SCOPE}{}", access("a", "889640782")));
    w.apply();
    // Deactivated outside Terraform and forgotten by this state; Digdir keeps the grant.
    sim.out_of_band("991825827", "DELETE", "/api/v1/scopes?scope=demo:orders.read", None);
    let fresh = Workdir::new(&sim, "1.15", SCOPE);
    let r = fresh.run(&["plan", "-no-color", "-input=false"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("exists deactivated, with grants")
            && r.stderr.contains("889640782")
            && r.stderr.contains("demo:orders.read,889640782"),
        "{}",
        r.stderr
    );

    // The scope_consumers resource replaces when its scope changes.
    let cfg = |sub: &str| {
        format!(
            "resource \"maskinporten_scope\" \"t\" {{\n  prefix = \"demo\"\n  subscope = \"{sub}\"\n  description = \"T\"\n}}\nresource \"maskinporten_scope_consumers\" \"c\" {{\n  scope     = maskinporten_scope.t.name\n  consumers = [\"974760673\"]\n}}\n"
        )
    };
    fresh.write(&cfg("t1"));
    fresh.apply();
    fresh.write(&cfg("t2"));
    let actions = Workdir::planned_actions(&fresh.plan_json(&[]), "maskinporten_scope_consumers.c");
    assert!(actions.contains(&"delete".to_string()) && actions.contains(&"create".to_string()), "{actions:?}");
    fresh.apply();
    assert_eq!(grant(&sim, "demo:t1", "974760673").map(|g| g.1), Some(false));
    assert_eq!(grant(&sim, "demo:t2", "974760673"), Some(("APPROVED".into(), true)));
    fresh.assert_converged();
}
