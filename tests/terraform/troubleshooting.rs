//! Every 401/403 cause of docs/development/digdir-api.md ("Token endpoint and the admin grant",
//! "Admin scopes", "Errors", "Quirks") produced by the simulator, and the message that explains it
//! (issue 6). Token-endpoint refusals are explained separately from API errors.

use crate::harness::{Run, Sim, Workdir};
use maskinporten_sim::SimConfig;

const SCOPE: &str = "resource \"maskinporten_scope\" \"s\" {\n  prefix      = \"demo\"\n  subscope    = \"orders.read\"\n  description = \"Read orders\"\n}\n";

/// The run failed and its error names every needle (Terraform wraps long details: whitespace
/// is compared collapsed).
fn fails_with(r: &Run, needles: &[&str]) {
    assert_ne!(r.code, 0, "expected a failure:\n{}", r.text());
    let flat = r.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    for n in needles {
        assert!(flat.contains(n), "missing {n:?} in:\n{}", r.stderr);
    }
}

fn apply(w: &Workdir) -> Run {
    w.run(&["apply", "-auto-approve", "-no-color", "-input=false"])
}

#[test]
fn clock_skew_is_read_from_the_date_header() {
    let sim = Sim::with(|mut c: SimConfig| {
        c.date_skew_secs = 3600;
        c
    });
    fails_with(
        &apply(&Workdir::new(&sim, "1.15", SCOPE)),
        &["HTTP 401", "clock", "differ by about 3", "Environment: test"],
    );
}

#[test]
fn an_api_of_another_installation_is_named() {
    let api = Sim::start();
    let other = Sim::start();
    let mut w = Workdir::new(&other, "1.15", SCOPE);
    w.env("MASKINPORTEN_API_URL", &api.sim.url());
    fails_with(&apply(&w), &["HTTP 401", "belongs to another environment or installation"]);
}

#[test]
fn a_wrong_base_url_and_a_redirect_are_explained() {
    let sim = Sim::start();
    let mut w = Workdir::new(&sim, "1.15", SCOPE);
    w.env("MASKINPORTEN_API_URL", &format!("{}/elsewhere", sim.sim.url()));
    fails_with(&apply(&w), &["HTTP 404", "does not look like Digdir's self-service API"]);

    let sim = Sim::with(|mut c: SimConfig| {
        c.redirect_api = true;
        c
    });
    fails_with(
        &apply(&Workdir::new(&sim, "1.15", SCOPE)),
        &["HTTP 307", "does not follow redirects", "Authorization header"],
    );
}

#[test]
fn a_missing_admin_scope_is_named_for_the_operation() {
    let sim = Sim::start();
    let mut w = Workdir::new(&sim, "1.15", SCOPE);
    w.env("MASKINPORTEN_SCOPES", "idporten:scopes.read idporten:dcr.read");
    fails_with(
        &apply(&w),
        &[
            "POST /scopes needs the admin scope idporten:scopes.write",
            "The provider's scopes (idporten:dcr.read idporten:scopes.read) do not include idporten:scopes.write",
            "An API provider needs idporten:scopes.write",
        ],
    );
}

#[test]
fn a_requested_scope_not_granted_to_the_admin_client_is_a_token_error() {
    let sim = Sim::start();
    let mut w = Workdir::new(&sim, "1.15", SCOPE);
    w.env("MASKINPORTEN_SCOPES", "idporten:scopes.write idporten:dcr.datasharing");
    fails_with(
        &w.run(&["plan", "-no-color", "-input=false"]),
        &["refused to issue an admin token", "invalid_scope", "servicedesk@digdir.no"],
    );
}

#[test]
fn another_organisations_object_and_a_supplier_without_the_scope() {
    let everything_but_supplier = ["scopes.read", "scopes.write", "dcr.read", "dcr.write", "dcr.modify"];
    let sim = Sim::with(|c: SimConfig| {
        c.org_granted("991825827", Some("demo"), &everything_but_supplier).org("889640782", None)
    });
    let theirs = sim.out_of_band(
        "991825827",
        "POST",
        "/api/v1/scopes",
        Some(serde_json::json!({"prefix": "demo", "subscope": "x", "description": "x", "accessible_for_all": true})),
    );
    assert_eq!(theirs["name"], "demo:x");
    let client = sim.out_of_band("991825827", "POST", "/api/v1/clients", Some(serde_json::json!({"integration_type": "maskinporten", "client_name": "c", "description": "d", "scopes": ["demo:x"]})));
    let id = client["client_id"].as_str().unwrap();
    // The consumer organisation tries to import the provider organisation's client.
    let mut w = Workdir::new(
        &sim,
        "1.15",
        "resource \"maskinporten_client\" \"c\" {\n  client_name = \"c\"\n  description = \"d\"\n  scopes = [\"demo:x\"]\n}\n",
    );
    for (k, v) in sim.sim.env_for("889640782") {
        w.env(&k, &v);
    }
    fails_with(
        &w.run(&["import", "-no-color", "-input=false", "maskinporten_client.c", id]),
        &["HTTP 403", "belongs to another organisation"],
    );

    // A supplier client without idporten:dcr.supplier.
    let w = Workdir::new(
        &sim,
        "1.15",
        "resource \"maskinporten_client\" \"c\" {\n  client_name = \"c\"\n  description = \"d\"\n  scopes = [\"demo:x\"]\n  client_orgno = \"889640782\"\n}\n",
    );
    fails_with(
        &apply(&w),
        &[
            "POST /clients needs the admin scope idporten:dcr.supplier",
            "Digdir has not granted it",
            "servicedesk@digdir.no",
        ],
    );
}

#[test]
fn certificate_errors_are_explained() {
    let sim = Sim::with(|c: SimConfig| c.org("991825827", Some("demo")).org("889640782", None));
    // A certificate Maskinporten does not trust: MP-120.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["x".into()]).unwrap().self_signed(&key).unwrap();
    let mut w = Workdir::new(&sim, "1.15", SCOPE);
    w.env("MASKINPORTEN_CERTIFICATE_CHAIN_PEM", &cert.pem());
    w.env("MASKINPORTEN_PRIVATE_KEY_PEM", &key.serialize_pem());
    fails_with(
        &w.run(&["plan", "-no-color", "-input=false"]),
        &["MP-120", "enterprise certificate", "Test certificates work only in TEST"],
    );

    // A production certificate in TEST (MP-124), and an expired one (MP-121).
    for (expired, code, text) in
        [(false, "MP-124", "production certificates only in PROD"), (true, "MP-121", "has expired")]
    {
        let mut w = Workdir::new(&sim, "1.15", SCOPE);
        w.env("MASKINPORTEN_CERTIFICATE_CHAIN_PEM", &sim.sim.bad_certificate("991825827", expired).unwrap());
        fails_with(&w.run(&["plan", "-no-color", "-input=false"]), &[code, text]);
    }

    // Another organisation's certificate for this client: MP-122.
    let mut w = Workdir::new(&sim, "1.15", SCOPE);
    for (k, v) in sim.sim.env_for("889640782") {
        if k.ends_with("PRIVATE_KEY_PEM") || k.ends_with("CERTIFICATE_CHAIN_PEM") {
            w.env(&k, &v);
        }
    }
    fails_with(
        &w.run(&["plan", "-no-color", "-input=false"]),
        &["MP-122", "belongs to another organisation than the client"],
    );
}
