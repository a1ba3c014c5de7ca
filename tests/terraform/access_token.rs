//! Ephemeral `maskinporten_access_token`: a client's token from a private key that is itself
//! ephemeral, waiting out Maskinporten's propagation delay, and never stored.

use crate::harness::{Sim, Workdir};

#[test]
fn a_client_token_waits_for_propagation_and_is_never_stored() {
    let sim = Sim::with(|mut c| {
        c.propagation_refusals = 2;
        c
    });
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let mut w = Workdir::new(&sim, "1.15", "");
    std::fs::write(w.dir.path().join("client.pub.pem"), key.public_key_pem()).unwrap();
    w.env("TF_VAR_client_private_key", &key.serialize_pem());
    let base = r#"variable "client_private_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "maskinporten_scope" "s" {
  prefix      = "demo"
  subscope    = "orders.read"
  description = "Read orders"
}

resource "maskinporten_client" "c" {
  client_name = "reader"
  description = "Reads"
  scopes      = [maskinporten_scope.s.name]
}

resource "maskinporten_client_key" "k" {
  client_id = maskinporten_client.c.client_id
  key       = file("client.pub.pem")
}
"#;
    w.write(base);
    w.apply();
    // Right after the key is registered, Maskinporten's runtime does not know it yet.
    w.write(&format!(
        "{base}\nephemeral \"maskinporten_access_token\" \"t\" {{\n  client_id           = maskinporten_client.c.client_id\n  kid                 = maskinporten_client_key.k.kid\n  private_key_pem     = var.client_private_key\n  scopes              = [maskinporten_scope.s.name]\n  propagation_timeout = \"30s\"\n}}\n\nlocals {{\n  token = ephemeral.maskinporten_access_token.t.access_token\n}}\n"
    ));
    sim.sim.clear_requests();
    w.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let tokens: Vec<_> = sim.requests().into_iter().filter(|r| r["path"] == "/token").collect();
    let refused = tokens.iter().filter(|r| r["status"] == 400).count();
    assert_eq!(refused, 2, "the first two client grants met the propagation delay, and were tried again: {tokens:?}");
    assert!(
        tokens.iter().filter(|r| r["status"] == 200).count() >= 2,
        "admin token and client token issued: {tokens:?}"
    );
    let state = std::fs::read_to_string(w.dir.path().join("terraform.tfstate")).unwrap();
    for t in sim.sim.issued_tokens() {
        assert!(!state.contains(&t), "a token reached the state");
    }
    assert!(!state.contains("PRIVATE KEY"), "the client's private key reached the state");
    w.assert_converged();
}
