//! Every data source reads what the simulator holds (issue 4).

use crate::harness::{Sim, Workdir};
use serde_json::Value;

#[test]
fn data_sources_read_the_api() {
    let sim = Sim::start();
    // Out of band: a second scope, a grant to another organisation.
    let w = Workdir::new(
        &sim,
        "1.15",
        r#"resource "maskinporten_scope" "s" {
  prefix      = "demo"
  subscope    = "orders.read"
  description = "Read orders"
  accessible_for_all = true
}

resource "maskinporten_scope_access" "a" {
  scope          = maskinporten_scope.s.name
  consumer_orgno = "889640782"
}

resource "maskinporten_client" "c" {
  client_name = "reader"
  description = "Reads"
  scopes      = [maskinporten_scope.s.name]
}

data "maskinporten_scopes" "own" {
  depends_on = [maskinporten_scope.s]
}
data "maskinporten_scopes" "catalogue" {
  catalogue          = true
  accessible_for_all = true
  depends_on         = [maskinporten_scope.s]
}
data "maskinporten_client" "c" {
  client_id = maskinporten_client.c.client_id
}
data "maskinporten_clients" "all" {
  depends_on = [maskinporten_client.c]
}
data "maskinporten_prefixes" "p" {}
data "maskinporten_delegation_sources" "d" {}
data "maskinporten_scope_accesses_granted" "g" {
  depends_on = [maskinporten_scope_access.a]
}
data "maskinporten_scope_accesses_received" "r" {}
data "maskinporten_organization" "o" {
  orgno = "889640782"
}

output "all" {
  value = {
    own       = data.maskinporten_scopes.own.scopes[*].name
    catalogue = data.maskinporten_scopes.catalogue.scopes[*].name
    client    = data.maskinporten_client.c.client_name
    clients   = data.maskinporten_clients.all.clients[*].client_name
    prefixes  = data.maskinporten_prefixes.p.prefixes[*].prefix
    sources   = data.maskinporten_delegation_sources.d.delegation_sources[*].issuer
    granted   = data.maskinporten_scope_accesses_granted.g.accesses[*].consumer_orgno
    received  = data.maskinporten_scope_accesses_received.r.accesses
    org       = data.maskinporten_organization.o.name
  }
}
"#,
    );
    w.apply();
    let out: Value = serde_json::from_str(&w.ok(&["output", "-json", "all"]).stdout).unwrap();
    assert_eq!(out["own"], serde_json::json!(["demo:orders.read"]));
    assert_eq!(out["catalogue"], serde_json::json!(["demo:orders.read"]));
    assert_eq!(out["client"], "reader");
    assert_eq!(out["clients"], serde_json::json!(["reader"]));
    assert_eq!(out["prefixes"], serde_json::json!(["demo"]));
    assert_eq!(out["sources"], serde_json::json!(["https://tt02.altinn.no/"]));
    assert_eq!(out["granted"], serde_json::json!(["889640782"]));
    assert_eq!(
        out["received"],
        serde_json::json!([]),
        "nothing granted to us: Digdir's 'does not have any' reads as empty"
    );
    assert_eq!(out["org"], "SIM ORG 889640782");
    w.assert_converged();
}
