//! Request budgets (issue 7; ARCHITECTURE.md, "Targets"): a refresh costs about one API request per
//! scope and per client — reads of grants, keys and scopes share list calls — and one token per
//! provider process. Counted from the simulator's request log; nothing here measures how long
//! anything takes (one test orders two requests' arrivals against a long simulated latency).

use crate::complete::{complete_example, two_orgs};
use crate::harness::{Sim, Workdir};
use serde_json::Value as Json;
use terraform_provider_maskinporten::provider::orgno::with_check_digit;

/// What one `terraform` run asked the simulator: admin-API requests and token requests.
fn count(sim: &Sim) -> (usize, usize, Vec<String>) {
    let reqs = sim.requests();
    let api = reqs.iter().filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/api/"))).count();
    let tokens = reqs.iter().filter(|r| r["path"] == "/token").count();
    let lines = reqs.iter().map(|r| format!("{} {} {}", r["method"], r["path"], r["query"])).collect();
    (api, tokens, lines)
}

/// A `plan -refresh-only` that finds nothing to change, and what it asked the simulator.
fn refresh_counted(sim: &Sim, w: &Workdir) -> (usize, usize, Vec<String>) {
    sim.sim.clear_requests();
    let run = w.ok(&["plan", "-refresh-only", "-input=false", "-no-color"]);
    assert!(run.stdout.contains("No changes"), "{}", run.stdout);
    count(sim)
}

fn active(state: &Json, kind: &str) -> usize {
    state[kind].as_array().into_iter().flatten().filter(|x| x["active"] == true).count()
}

/// Refresh and plan of each half make at most scopes + clients + 1 API requests, with one token:
/// each half's provider process works in one area of admin scopes (scopes, or clients), so the
/// scopes it needs fit one token request.
#[test]
fn refresh_of_the_complete_example_costs_one_request_per_scope_and_client() {
    let sim = two_orgs();
    let ex = complete_example(&sim, "1.15");
    ex.apply();
    for (half, budget) in [(&ex.provider, 1 + 1), (&ex.consumer, 1 + 1)] {
        for args in
            [&["plan", "-refresh-only", "-input=false", "-no-color"][..], &["plan", "-input=false", "-no-color"]]
        {
            sim.sim.clear_requests();
            let run = half.ok(args);
            assert!(run.stdout.contains("No changes"), "{}", run.stdout);
            let (api, tokens, log) = count(&sim);
            assert!(api <= budget, "terraform {args:?}: {api} API requests, budget {budget}: {log:#?}");
            assert_eq!(tokens, 1, "one token per provider process: {log:#?}");
        }
    }
}

/// A valid organisation number (mod 11) made from `n`.
fn orgno(n: u32) -> String {
    (31_000_000 + n * 97..).find_map(with_check_digit).unwrap_or_default()
}

/// Twelve grants, four keys: the refresh still costs one request per scope and client, because
/// grants of a scope and keys of a client come with the list calls.
#[test]
fn refresh_requests_grow_with_scopes_and_clients_not_with_grants_or_keys() {
    let sim = Sim::start();
    let mut tf = String::new();
    for s in 0..3 {
        tf += &format!(
            "resource \"maskinporten_scope\" \"s{s}\" {{\n  prefix = \"demo\"\n  subscope = \"bench.s{s}\"\n  description = \"Scope {s}\"\n}}\n"
        );
        for g in 0..4 {
            tf += &format!(
                "resource \"maskinporten_scope_access\" \"s{s}_g{g}\" {{\n  scope = maskinporten_scope.s{s}.name\n  consumer_orgno = \"{}\"\n}}\n",
                orgno(s * 10 + g)
            );
        }
    }
    for c in 0..2 {
        tf += &format!(
            "resource \"maskinporten_client\" \"c{c}\" {{\n  client_name = \"client-{c}\"\n  description = \"Client {c}\"\n  scopes = [maskinporten_scope.s0.name]\n}}\n"
        );
        for k in 0..2 {
            let pem = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("key").public_key_pem();
            tf += &format!(
                "resource \"maskinporten_client_key\" \"c{c}_k{k}\" {{\n  client_id = maskinporten_client.c{c}.client_id\n  key = <<-EOT\n{pem}EOT\n}}\n"
            );
        }
    }
    let w = Workdir::new(&sim, "1.15", &tf);
    w.apply();
    let state = sim.state();
    assert_eq!((active(&state, "scopes"), active(&state, "accesses"), active(&state, "clients")), (3, 12, 2));
    let (api, tokens, log) = refresh_counted(&sim, &w);
    let budget = 3 + 2 + 1;
    assert!(api <= budget, "{api} API requests for 3 scopes, 12 grants, 2 clients, 4 keys; budget {budget}: {log:#?}");
    // Scopes and clients are two areas of admin scopes: with `scopes` unset, the process asks
    // for the clients' scope when it first reads a client (docs: the provider's `scopes`).
    assert_eq!(tokens, 2, "one token per area of admin scopes the process uses: {log:#?}");
}

/// A work directory whose provider has `scopes` naming the four admin scopes the simulator's
/// default organisation holds, with `scopes` scopes (one grant each) and `clients` clients.
fn declared_scopes(sim: &Sim, scopes: usize, clients: usize) -> Workdir {
    let mut tf = String::new();
    for s in 0..scopes {
        tf += &format!(
            "resource \"maskinporten_scope\" \"s{s}\" {{\n  prefix = \"demo\"\n  subscope = \"rounds.s{s}\"\n  description = \"Scope {s}\"\n}}\nresource \"maskinporten_scope_access\" \"g{s}\" {{\n  scope = maskinporten_scope.s{s}.name\n  consumer_orgno = \"{}\"\n}}\n",
            orgno(s as u32)
        );
    }
    for c in 0..clients {
        tf += &format!(
            "resource \"maskinporten_client\" \"c{c}\" {{\n  client_name = \"client-{c}\"\n  description = \"Client {c}\"\n  scopes = [maskinporten_scope.s0.name]\n}}\n"
        );
    }
    let mut w = Workdir::new(sim, "1.15", &tf);
    w.env("MASKINPORTEN_SCOPES", "idporten:scopes.read idporten:scopes.write idporten:dcr.read idporten:dcr.write");
    w
}

/// With `scopes` covering the client area, the client list of a refresh goes out beside the
/// scope list, not a round trip after it: Terraform reads clients only once the scopes they name
/// are read, so a list started then would add one latency to every refresh (README,
/// "Performance"). Told apart by a latency far longer than the time between two requests of one
/// round; nothing here measures how long the refresh takes.
#[test]
fn declared_client_scopes_let_the_client_list_travel_with_the_scope_list() {
    const LATENCY_MS: u64 = 800;
    let sim = Sim::start();
    let w = declared_scopes(&sim, 2, 2);
    w.apply();
    sim.sim.set_faults(maskinporten_sim::Faults { latency_ms: LATENCY_MS, ..Default::default() });
    let (api, tokens, log) = refresh_counted(&sim, &w);
    let reqs = sim.requests();
    let client_lists = reqs.iter().filter(|r| r["path"] == "/api/v1/clients").count();
    assert_eq!((api, client_lists), (1 + 2 + 1, 1), "scope list, a grant list per scope, one client list: {log:#?}");
    assert_eq!(tokens, 1, "one token with the declared scopes: {log:#?}");
    let arrival =
        |path: &str| reqs.iter().find(|r| r["path"] == path && r["method"] == "GET").and_then(|r| r["at_ms"].as_u64());
    let (scope_list, client_list) = (arrival("/api/v1/scopes"), arrival("/api/v1/clients"));
    let (Some(scope_list), Some(client_list)) = (scope_list, client_list) else {
        panic!("a scope list and a client list: {log:#?}");
    };
    assert!(
        client_list.abs_diff(scope_list) < LATENCY_MS / 2,
        "the client list came {} ms after the scope list, a round trip of its own: {log:#?}",
        client_list as i64 - scope_list as i64
    );
}

/// The price of the above, paid where the state has no client: the one client list, beside
/// one list per scope for its grants.
#[test]
fn declared_client_scopes_cost_a_state_without_clients_one_client_list() {
    let sim = Sim::start();
    let w = declared_scopes(&sim, 2, 0);
    w.apply();
    let (api, _, log) = refresh_counted(&sim, &w);
    let client_lists = sim.requests().iter().filter(|r| r["path"] == "/api/v1/clients").count();
    assert_eq!((api, client_lists), (2 + 1 + 1, 1), "scope list, a grant list per scope, the client list: {log:#?}");
}
