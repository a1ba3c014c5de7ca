//! Least privilege against a simulator as strict as Digdir: each organisation's administration
//! client holds only the admin scopes Digdir granted it, the token endpoint refuses a request for
//! any other (MP-200), and every operation accepts exactly the scopes Digdir's descriptions name.
//! With `scopes` unset, the provider asks per operation for what it needs; every Workdir checks
//! on drop that no provider process had a refused token request after its first.

use crate::complete::{complete_example, two_orgs_granted};
use crate::harness::{Sim, Workdir};
use maskinporten_sim::SimConfig;

const DIGDIRATOR: &[&str] = &["dcr.read", "dcr.write", "scopes.write"];

/// Both halves of the walkthrough with the given grants: applied, converged, destroyed, with no
/// 403 at all, and refused token requests only on the consumer's side (its plan-time check of a
/// client's scopes, which needs scopes.* it does not hold).
fn walkthrough(provider: &[&str], consumer: &[&str]) {
    let sim = two_orgs_granted(provider, consumer);
    let ex = complete_example(&sim, "1.15");
    ex.apply();
    ex.assert_converged();
    ex.destroy();
    assert_eq!(sim.forbidden_answers(), Vec::<serde_json::Value>::new(), "no 403 with {provider:?} / {consumer:?}");
    let refused = sim.refused_token_requests();
    let admin = |orgno: &str| {
        sim.state()["orgs"].as_array().unwrap().iter().find(|o| o["orgno"] == orgno).unwrap()["admin_client_id"].clone()
    };
    assert!(
        refused.iter().all(|r| r["client_id"] == admin("889640782")),
        "the API provider's side never asks for a scope it lacks: {refused:?}"
    );
    let consumer_has_scopes_read = consumer.iter().any(|s| s.starts_with("scopes."));
    assert_eq!(refused.is_empty(), consumer_has_scopes_read, "refused: {refused:?}");
}

#[test]
fn digdirs_usual_grants_for_each_side_suffice() {
    walkthrough(&["scopes.read", "scopes.write"], &["dcr.read", "dcr.write"]);
}

#[test]
fn digdirators_usual_set_and_scopes_write_alone_suffice() {
    walkthrough(DIGDIRATOR, DIGDIRATOR);
    walkthrough(&["scopes.write"], &["dcr.read", "dcr.write"]);
}

/// A consumer without scopes.* plans its client: the check of the client's scopes is reported
/// as not made, with what it would need, instead of failing the plan on a 403.
#[test]
fn a_consumer_without_scope_reading_gets_a_warning_not_a_failure() {
    let sim = two_orgs_granted(&["scopes.read", "scopes.write"], &["dcr.read", "dcr.write"]);
    let ex = complete_example(&sim, "1.15");
    ex.provider.apply();
    let plan = ex.consumer.ok(&["plan", "-no-color", "-input=false"]);
    let text = plan.flat_text();
    assert!(text.contains("Warning: Could not check whether your organisation may use demo:orders.read"), "{text}");
    assert!(text.contains("idporten:scopes.read or idporten:scopes.write"), "{text}");
    assert!(text.contains("servicedesk@digdir.no"), "{text}");
    assert!(sim.forbidden_answers().is_empty(), "no 403: the check was not attempted without a token for it");
}

/// An operation the granted scopes cannot perform names the operation, the scope and where to
/// get it; nothing reaches Digdir's API.
#[test]
fn an_operation_without_its_scope_is_explained_and_never_sent() {
    let sim = Sim::with(|c: SimConfig| c.org_granted("991825827", Some("demo"), &["dcr.read", "dcr.write"]));
    let w = Workdir::new(
        &sim,
        "1.15",
        "resource \"maskinporten_scope\" \"s\" {\n  prefix = \"demo\"\n  subscope = \"x\"\n  description = \"d\"\n}\n",
    );
    let run = w.run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_ne!(run.code, 0);
    let text = run.flat_text();
    assert!(text.contains("POST /scopes needs the admin scope idporten:scopes.write"), "{text}");
    assert!(text.contains("Digdir has not granted it to the administration client"), "{text}");
    assert!(text.contains("servicedesk@digdir.no"), "{text}");
    let writes: Vec<_> =
        sim.requests().into_iter().filter(|r| r["method"] == "POST" && r["path"] == "/api/v1/scopes").collect();
    assert!(writes.is_empty(), "nothing was sent: {writes:?}");
    assert!(sim.sim.state()["scopes"].as_array().unwrap().is_empty());
}

/// With `scopes` set, exactly those are requested — never a refused token request — and an
/// operation they do not cover fails at once, naming the scope to add.
#[test]
fn configured_scopes_are_requested_exactly_and_never_probed() {
    let sim = Sim::with(|c: SimConfig| c.org_granted("991825827", Some("demo"), &["scopes.read", "scopes.write"]));
    let mut w = Workdir::new(
        &sim,
        "1.15",
        "resource \"maskinporten_scope\" \"s\" {\n  prefix = \"demo\"\n  subscope = \"x\"\n  description = \"d\"\n}\n",
    );
    w.env("MASKINPORTEN_SCOPES", "idporten:scopes.read idporten:scopes.write");
    w.apply();
    w.assert_converged();
    let asked: Vec<_> = sim.sim.token_requests().into_iter().map(|t| t["scope"].clone()).collect();
    assert!(!asked.is_empty() && asked.iter().all(|s| s == "idporten:scopes.read idporten:scopes.write"), "{asked:?}");
    w.write("data \"maskinporten_clients\" \"all\" {}\n");
    let run = w.run(&["plan", "-no-color", "-input=false"]);
    let text = run.flat_text();
    assert_ne!(run.code, 0);
    assert!(text.contains("needs the admin scope idporten:dcr.read"), "{text}");
    assert!(
        text.contains("The provider's scopes (idporten:scopes.read idporten:scopes.write) do not include"),
        "{text}"
    );
    assert!(sim.refused_token_requests().is_empty(), "nothing was probed");
}

/// A command that calls nothing asks for no token (the token is fetched on the first API call).
#[test]
fn a_plan_without_refresh_and_without_changes_asks_for_nothing() {
    let sim = Sim::start();
    let w = Workdir::new(
        &sim,
        "1.15",
        "resource \"maskinporten_scope\" \"s\" {\n  prefix = \"demo\"\n  subscope = \"x\"\n  description = \"d\"\n}\n",
    );
    w.apply();
    sim.sim.clear_requests();
    let run = w.ok(&["plan", "-refresh=false", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert!(run.stdout.contains("No changes"), "{}", run.stdout);
    assert_eq!(sim.requests(), Vec::<serde_json::Value>::new(), "no request at all");
}
