//! Creates whose outcome is unknown, one exact case at a time (ARCHITECTURE.md,
//! "Rules every resource follows"): a POST refused before it was handled is sent again only after
//! reading showed it made nothing; a POST whose answer was lost after it committed is adopted,
//! never repeated; and a POST that never gets through stops after a bounded number of attempts,
//! with nothing half-created.

use crate::harness::{Sim, Workdir};
use maskinporten_sim::Faults;
use serde_json::Value;

const CONFIG: &str = r#"resource "maskinporten_scope" "s" {
  prefix      = "demo"
  subscope    = "orders.read"
  description = "Read orders"
}

resource "maskinporten_client" "c" {
  client_name = "orders-reader"
  description = "Reads orders"
  scopes      = ["demo:base"]
}
"#;

/// POSTs to the admin API, by path.
fn posts(sim: &Sim, path: &str) -> usize {
    sim.requests().iter().filter(|r| r["method"] == "POST" && r["path"] == path).count()
}

/// Active objects of a kind, leaving out the scope the client uses, made outside Terraform.
fn active(sim: &Sim, kind: &str) -> Vec<Value> {
    let state = sim.state();
    let all = state[kind].as_array().into_iter().flatten();
    all.filter(|x| x["active"] == true && x["name"] != "demo:base").cloned().collect()
}

/// A simulator with the scope the client uses already there (made before any fault is set).
fn start() -> Sim {
    let sim = Sim::start();
    let base = serde_json::json!({"prefix": "demo", "subscope": "base", "description": "Base"});
    sim.out_of_band("991825827", "POST", "/api/v1/scopes", Some(base));
    sim.sim.clear_requests();
    sim
}

/// Only POSTs get the fault; `limit` 0 means every one of them.
fn on_posts(sim: &Sim, faults: Faults, limit: u64) {
    sim.sim.set_faults(Faults { methods: vec!["POST".into()], limit, ..faults });
}

fn assert_one_each_in_state(sim: &Sim, w: &Workdir) {
    let (scopes, clients) = (active(sim, "scopes"), active(sim, "clients"));
    assert_eq!((scopes.len(), clients.len()), (1, 1), "one scope and one client: {scopes:?} {clients:?}");
    assert_eq!(w.state_values("maskinporten_client.c")["client_id"], clients[0]["client_id"]);
    assert_eq!(w.state_values("maskinporten_scope.s")["name"], scopes[0]["name"]);
    w.assert_converged();
}

/// Apply CONFIG once, with `faults` on POSTs; then faults off. Returns how many were injected
/// and how many scope and client creates were sent.
fn apply_under(faults: Faults, limit: u64) -> (Sim, Workdir, u64, (usize, usize)) {
    let sim = start();
    let w = Workdir::new(&sim, "1.15", CONFIG);
    on_posts(&sim, faults, limit);
    w.apply();
    let injected = sim.sim.set_faults(Faults::default());
    let sent = (posts(&sim, "/api/v1/scopes"), posts(&sim, "/api/v1/clients"));
    (sim, w, injected, sent)
}

#[test]
fn a_create_refused_before_handling_is_checked_then_sent_again() {
    // The first POST of each resource is answered 503 (both are sent before either is retried).
    let (sim, w, injected, sent) = apply_under(Faults { rate_5xx: 1.0, ..Faults::default() }, 2);
    assert_eq!(injected, 2, "both first attempts were refused");
    assert_eq!(sent, (2, 2), "each sent exactly twice");
    assert_one_each_in_state(&sim, &w);
}

#[test]
fn a_create_whose_answer_was_lost_is_adopted_not_repeated() {
    let lost = Faults { rate_lost_after_commit: 0.5, rate_drop_after_commit: 0.5, ..Faults::default() };
    let (sim, w, injected, sent) = apply_under(lost, 0);
    assert_eq!(injected, 2, "every create's answer was lost");
    assert_eq!(sent, (1, 1), "never sent again");
    assert_one_each_in_state(&sim, &w);
}

#[test]
fn a_create_that_never_gets_through_stops_after_three_checked_attempts() {
    let sim = start();
    let w = Workdir::new(&sim, "1.15", CONFIG);
    on_posts(&sim, Faults { rate_5xx: 1.0, ..Faults::default() }, 0);
    let r = w.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_ne!(r.code, 0, "{}", r.text());
    let text = r.flat_text();
    assert!(
        text.contains("create client orders-reader (nothing was created, in 3 attempts: applying again is safe)"),
        "{text}"
    );
    assert!(
        text.contains("create scope demo:orders.read (nothing was created, in 3 attempts: applying again is safe)"),
        "{text}"
    );
    assert_eq!((posts(&sim, "/api/v1/scopes"), posts(&sim, "/api/v1/clients")), (3, 3), "bounded: three each");
    assert!(active(&sim, "scopes").is_empty() && active(&sim, "clients").is_empty(), "nothing was made");
    let state = w.run(&["state", "list"]);
    assert!(state.stdout.trim().is_empty(), "nothing half-created in state: {}", state.stdout);
    // Once the API answers again, the same configuration applies cleanly.
    sim.sim.set_faults(Faults::default());
    w.apply();
    assert_one_each_in_state(&sim, &w);
}

const CONTACTS: &str = r#"resource "maskinporten_contact" "ops" {
  kind      = "notification"
  prefix    = "demo"
  name      = "Operations on call"
  email     = "ops@example.no"
}

resource "maskinporten_contact" "invoices" {
  kind          = "invoice"
  prefix        = "demo"
  invoice_email = "invoice@example.no"
}
"#;

/// Contacts have no unique name: a lost create is told from none by the owner's contact list
/// before and after, as for clients, so an answer lost after the commit leaves no duplicate and
/// a create refused before it was handled is sent again once.
#[test]
fn contact_creates_whose_answer_was_lost_are_adopted_and_refused_ones_sent_again() {
    for (faults, sent) in [
        (Faults { rate_lost_after_commit: 0.5, rate_drop_after_commit: 0.5, ..Faults::default() }, 2),
        (Faults { rate_5xx: 1.0, limit: 2, ..Faults::default() }, 4),
    ] {
        let sim = Sim::start();
        let mut w = Workdir::new(&sim, "1.15", CONTACTS);
        w.env("MASKINPORTEN_MERCHANT_DATA_URL", &sim.sim.url());
        let only = Faults { methods: vec!["POST".into()], paths: vec!["/api/v1/contacts".into()], ..faults };
        sim.sim.set_faults(only);
        w.apply();
        let injected = sim.sim.set_faults(Faults::default());
        assert_eq!(injected, 2, "both first attempts were hit");
        assert_eq!(posts(&sim, "/api/v1/contacts"), sent, "creates sent");
        let contacts = sim.state()["contacts"].as_array().cloned().unwrap_or_default();
        assert_eq!(contacts.len(), 2, "one contact each, no duplicate: {contacts:?}");
        for name in ["ops", "invoices"] {
            let id = w.state_values(&format!("maskinporten_contact.{name}"))["id"].clone();
            assert!(contacts.iter().any(|c| c["id"] == id), "{name} in state is the one made: {id}");
        }
        w.assert_converged();
    }
}
