//! Signing the admin grant with a key registered on the administration client (`key_id`)
//! instead of the certificate chain: Maskinporten finds the key by `kid`, and the chain is not
//! needed. The simulator registers each organisation's key on its administration client as
//! `admin-<orgno>`.

use crate::harness::{Sim, Workdir};

const SCOPE: &str = r#"resource "maskinporten_scope" "s" {
  prefix      = "demo"
  subscope    = "signed.by.kid"
  description = "Made with a grant signed by kid"
}
"#;

fn signed_by_kid(sim: &Sim, kid: &str) -> Workdir {
    let mut w = Workdir::new(sim, "1.15", SCOPE);
    w.env_remove("MASKINPORTEN_CERTIFICATE_CHAIN_PEM");
    w.env("MASKINPORTEN_KEY_ID", kid);
    w
}

#[test]
fn the_admin_grant_signed_with_key_id_needs_no_certificate() {
    let sim = Sim::start();
    let w = signed_by_kid(&sim, "admin-991825827");
    w.apply();
    w.assert_converged();
    assert_eq!(sim.scope("demo:signed.by.kid").expect("created")["active"], true);
    let grants = sim.sim.token_requests();
    assert!(!grants.is_empty());
    assert!(grants.iter().all(|g| g["signed_with"] == "admin-991825827" && g["outcome"] == "issued"), "{grants:?}");
}

#[test]
fn a_kid_the_administration_client_does_not_have_is_refused_by_maskinporten() {
    let sim = Sim::start();
    // The other organisation's key: registered, but not on this client.
    let r = signed_by_kid(&sim, "admin-889640782").run(&["plan", "-no-color", "-input=false"]);
    assert_ne!(r.code, 0, "{}", r.text());
    assert!(r.flat_text().contains("Unknown key identifier (kid) for client"), "{}", r.text());
    assert!(sim.state()["scopes"].as_array().is_none_or(Vec::is_empty), "nothing was made");
}
