//! Secrets never leak, also when things go wrong: at `TF_LOG=trace`, a refused token request, a
//! 4xx answer with a body, a refused TLS certificate and the ephemeral access token leave no
//! private key, access token, signed assertion or password in the output, the logs, the state or
//! the plan.

use crate::harness::{Run, Sim, Workdir};
use maskinporten_sim::SimConfig;

/// Every base64 line of a PEM (escaped with `\n` or not) is a secret on its own.
pub fn pem_lines(pem: &str) -> Vec<String> {
    pem.replace("\\n", "\n").lines().filter(|l| !l.starts_with("-----") && l.len() > 20).map(String::from).collect()
}

/// Where any of `secrets`, or anything JWT-shaped, shows up in the texts.
pub fn leaks(places: &[(&str, String)], secrets: &[String]) -> Vec<String> {
    let mut hits = vec![];
    for (place, text) in places {
        for s in secrets {
            if text.contains(s.as_str()) {
                hits.push(format!("{place}: {}…", &s[..12.min(s.len())]));
            }
        }
        // Signed assertions and access tokens start with a base64url '{"' header.
        if text.contains("eyJhbGci") || text.contains("eyJ0eXAi") {
            hits.push(format!("{place}: a JWT"));
        }
    }
    hits
}

const TRACE: [(&str, &str); 2] = [("TF_LOG", "trace"), ("TF_LOG_PATH", "trace.log")];

/// Run at TRACE; the run's output and its log, as places to search.
fn traced(w: &Workdir, args: &[&str]) -> (Run, Vec<(&'static str, String)>) {
    let _ = std::fs::remove_file(w.dir.path().join("trace.log"));
    let run = w.run_with_env(args, &TRACE);
    let log = std::fs::read_to_string(w.dir.path().join("trace.log")).unwrap_or_default();
    assert!(log.contains("provider.terraform-provider-maskinporten"), "the provider's log was captured");
    let places = vec![("output", run.text()), ("trace log", log)];
    (run, places)
}

fn admin_key_lines(sim: &Sim) -> Vec<String> {
    sim.sim
        .env_for("991825827")
        .into_iter()
        .filter(|(k, _)| k == "MASKINPORTEN_PRIVATE_KEY_PEM")
        .flat_map(|(_, v)| pem_lines(&v))
        .collect()
}

const SCOPE: &str = "resource \"maskinporten_scope\" \"s\" {\n  prefix = \"demo\"\n  subscope = \"secret.paths\"\n  description = \"d\"\n}\n";

#[test]
fn error_paths_leak_no_secret() {
    let sim = Sim::start();
    let mut failures = vec![];

    // A token request Maskinporten refuses (an unknown client): the assertion was signed and
    // sent, and must show up nowhere.
    let mut w = Workdir::new(&sim, "1.15", SCOPE);
    w.env("MASKINPORTEN_CLIENT_ID", "no-such-client");
    let (run, places) = traced(&w, &["plan", "-no-color", "-input=false"]);
    assert_ne!(run.code, 0);
    assert!(run.flat_text().contains("MP-100"), "{}", run.text());
    failures.extend(leaks(&places, &admin_key_lines(&sim)));

    // A 4xx with Digdir's error body: a grant on a scope that does not exist (404).
    let w = Workdir::new(
        &sim,
        "1.15",
        "resource \"maskinporten_scope_access\" \"g\" {\n  scope = \"demo:nothing\"\n  consumer_orgno = \"889640782\"\n}\n",
    );
    let (run, mut places) = traced(&w, &["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_ne!(run.code, 0);
    assert!(run.flat_text().contains("HTTP 404"), "{}", run.text());
    places.push(("state", std::fs::read_to_string(w.dir.path().join("terraform.tfstate")).unwrap_or_default()));
    let mut secrets = admin_key_lines(&sim);
    secrets.extend(sim.sim.issued_tokens());
    failures.extend(leaks(&places, &secrets));

    // A refused TLS certificate.
    let tls = Sim::with(|mut c: SimConfig| {
        c.tls = true;
        c
    });
    let mut w = Workdir::new(&tls, "1.15", SCOPE);
    w.env("MASKINPORTEN_CA_BUNDLE_FILE", "");
    let (run, places) = traced(&w, &["plan", "-no-color", "-input=false"]);
    assert_ne!(run.code, 0);
    assert!(run.flat_text().contains("invalid peer certificate"), "{}", run.text());
    failures.extend(leaks(&places, &admin_key_lines(&tls)));

    assert!(failures.is_empty(), "secrets leaked: {failures:?}");
}

/// The ephemeral access token at TRACE: the client's private key (an ephemeral variable) and the
/// token Maskinporten issued appear in no output, log, state or plan.
#[test]
fn the_ephemeral_access_token_leaks_neither_key_nor_token() {
    let sim = Sim::start();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let mut w = Workdir::new(&sim, "1.15", "");
    std::fs::write(w.dir.path().join("client.pub.pem"), key.public_key_pem()).unwrap();
    w.env("TF_VAR_client_private_key", &key.serialize_pem());
    let base = "variable \"client_private_key\" {\n  type = string\n  sensitive = true\n  ephemeral = true\n}\nresource \"maskinporten_scope\" \"s\" {\n  prefix = \"demo\"\n  subscope = \"token.audit\"\n  description = \"d\"\n}\nresource \"maskinporten_client\" \"c\" {\n  client_name = \"audit\"\n  description = \"d\"\n  scopes = [maskinporten_scope.s.name]\n}\nresource \"maskinporten_client_key\" \"k\" {\n  client_id = maskinporten_client.c.client_id\n  key = file(\"client.pub.pem\")\n}\n";
    w.write(base);
    w.apply();
    w.write(&format!(
        "{base}ephemeral \"maskinporten_access_token\" \"t\" {{\n  client_id = maskinporten_client.c.client_id\n  kid = maskinporten_client_key.k.kid\n  private_key_pem = var.client_private_key\n  scopes = [maskinporten_scope.s.name]\n}}\nlocals {{\n  token = ephemeral.maskinporten_access_token.t.access_token\n}}\n"
    ));
    let (plan, mut places) = traced(&w, &["plan", "-out=tfplan", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.text());
    let (apply, more) = traced(&w, &["apply", "-no-color", "-input=false", "tfplan"]);
    assert_eq!(apply.code, 0, "{}", apply.text());
    places.extend(more);
    places.push(("state", std::fs::read_to_string(w.dir.path().join("terraform.tfstate")).unwrap_or_default()));
    let client_tokens = sim.sim.token_requests().iter().filter(|t| t["outcome"] == "issued").count();
    assert!(client_tokens >= 2, "an admin token and the client's token were issued");
    let mut secrets = pem_lines(&key.serialize_pem());
    secrets.extend(admin_key_lines(&sim));
    secrets.extend(sim.sim.issued_tokens());
    let hits = leaks(&places, &secrets);
    assert!(hits.is_empty(), "secrets leaked: {hits:?}");
}
