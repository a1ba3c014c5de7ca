//! Every example under examples/ runs: each resource example is applied, converges, and is
//! destroyed (issue 4); each data-source example is planned against what it reads; the function
//! examples are evaluated and the ephemeral-resource example applied.

use crate::harness::{Sim, Workdir};
use maskinporten_sim::SimConfig;
use serde_json::{Value, json};
use std::path::Path;

fn examples_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
}

fn public_key() -> String {
    rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("rsa").public_key_pem()
}

#[test]
fn every_resource_example_applies_converges_and_destroys() {
    let mut dirs: Vec<_> =
        std::fs::read_dir(examples_dir().join("resources")).unwrap().flatten().map(|e| e.path()).collect();
    dirs.sort();
    assert!(dirs.len() >= 5, "one example per resource");
    for dir in dirs {
        let tf = std::fs::read_to_string(dir.join("resource.tf")).expect("resource.tf");
        assert!(dir.join("import.sh").exists(), "{} has import.sh", dir.display());
        let sim = Sim::start();
        let mut w = Workdir::new(&sim, "1.15", &tf);
        w.env("TF_VAR_public_key_pem", &public_key());
        w.env("MASKINPORTEN_MERCHANT_DATA_URL", &sim.sim.url());
        w.apply();
        w.assert_converged();
        w.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
        let state = sim.state();
        let active = |kind: &str| state[kind].as_array().into_iter().flatten().filter(|x| x["active"] == true).count();
        assert_eq!(
            (active("scopes"), active("accesses"), active("clients"), active("contacts")),
            (0, 0, 0, 0),
            "{} destroyed",
            dir.display()
        );
    }
}

/// The client id the data-source examples name, replaced by one the simulator generated.
const EXAMPLE_CLIENT_ID: &str = "238259d7-f0ab-4bd5-b253-0f0159375096";

/// A planned output's value.
fn planned_output(plan: &Value, name: &str) -> Value {
    plan["planned_values"]["outputs"][name]["value"].clone()
}

/// Each data-source example, planned as the organisation 991825827 (prefix `demo`) after it made
/// what the examples read outside Terraform, as in Samarbeidsportalen: the scope
/// `demo:orders.read` granted to 889640782, a deactivated scope and a deactivated client; and
/// 889640782 (prefix `other`) granted it `other:invoices.read`.
#[test]
fn every_data_source_example_plans_and_reads_what_it_names() {
    let sim = Sim::with(|c: SimConfig| c.org("991825827", Some("demo")).org("889640782", Some("other")));
    let (me, other) = ("991825827", "889640782");
    let scope = |org: &str, prefix: &str, subscope: &str| {
        let body = json!({"prefix": prefix, "subscope": subscope, "description": "Made in Samarbeidsportalen"});
        sim.out_of_band(org, "POST", "/api/v1/scopes", Some(body));
    };
    scope(me, "demo", "orders.read");
    sim.out_of_band(me, "PUT", "/api/v1/scopes/access/889640782?scope=demo:orders.read", None);
    scope(me, "demo", "orders.legacy");
    sim.out_of_band(me, "DELETE", "/api/v1/scopes?scope=demo:orders.legacy", None);
    let body = json!({"integration_type": "maskinporten", "client_name": "legacy-client", "description": "Made in Samarbeidsportalen", "scopes": ["demo:orders.read"]});
    let client = sim.out_of_band(me, "POST", "/api/v1/clients", Some(body));
    let client_id = client["client_id"].as_str().expect("client_id").to_string();
    let key = terraform_provider_maskinporten::provider::keys::parse(&public_key()).expect("a public key");
    let jwk = json!({"kty": "RSA", "kid": "by-hand", "use": "sig", "alg": "RS256", "n": key.n_b64(), "e": key.e_b64()});
    sim.out_of_band(me, "PUT", &format!("/api/v1/clients/{client_id}/jwks/by-hand"), Some(jwk));
    sim.out_of_band(me, "DELETE", &format!("/api/v1/clients/{client_id}"), None);
    scope(other, "other", "invoices.read");
    sim.out_of_band(other, "PUT", "/api/v1/scopes/access/991825827?scope=other:invoices.read", None);

    let expected: &[(&str, &str, Value)] = &[
        ("maskinporten_client", "legacy_client_scopes", json!(["demo:orders.read"])),
        ("maskinporten_client_keys", "kids", json!(["by-hand"])),
        ("maskinporten_clients", "inactive_clients", json!({ client_id.as_str(): "legacy-client" })),
        ("maskinporten_delegation_sources", "", Value::Null),
        ("maskinporten_organization", "consumer_name", json!("SIM ORG 889640782")),
        ("maskinporten_prefixes", "prefixes", json!(["demo"])),
        ("maskinporten_scope", "orders_read_active", json!(true)),
        ("maskinporten_scope_accesses_granted", "orders_read_consumers", json!({"889640782": "SIM ORG 889640782"})),
        ("maskinporten_scope_accesses_received", "granted_to_us", json!(["other:invoices.read"])),
        ("maskinporten_scopes", "own_inactive_scopes", json!(["demo:orders.legacy"])),
    ];
    let mut dirs: Vec<_> =
        std::fs::read_dir(examples_dir().join("data-sources")).unwrap().flatten().map(|e| e.path()).collect();
    dirs.sort();
    let names: Vec<String> = dirs.iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(
        names,
        expected.iter().map(|(n, _, _)| n.to_string()).collect::<Vec<_>>(),
        "one example per data source"
    );
    for (dir, (name, output, value)) in dirs.iter().zip(expected) {
        let tf = std::fs::read_to_string(dir.join("data-source.tf")).expect("data-source.tf");
        let w = Workdir::new(&sim, "1.15", &tf.replace(EXAMPLE_CLIENT_ID, &client_id));
        let plan = w.plan_json(&[]);
        if !output.is_empty() {
            assert_eq!(planned_output(&plan, output), *value, "{name}: output {output}");
        }
        if *name == "maskinporten_delegation_sources" {
            let scope = &plan["planned_values"]["root_module"]["resources"][0]["values"];
            assert_eq!(scope["delegation_source"], "https://tt02.altinn.no/", "{name}: the scope it plans");
        }
    }
}

/// Both function examples, evaluated by terraform: a variable validated with `orgno_valid`,
/// and a key's thumbprint as the provider computes it.
#[test]
fn the_function_examples_evaluate() {
    let sim = Sim::start();
    let read =
        |name: &str| std::fs::read_to_string(examples_dir().join(format!("functions/{name}/function.tf"))).unwrap();

    let mut w = Workdir::new(&sim, "1.15", &read("orgno_valid"));
    w.env("TF_VAR_consumer_orgno", "889640782");
    let plan = w.plan_json(&[]);
    assert_eq!(planned_output(&plan, "valid_orgnos"), json!(["889640782"]));
    let r = w.run_with_env(&["plan", "-no-color", "-input=false"], &[("TF_VAR_consumer_orgno", "889640783")]);
    assert_ne!(r.code, 0, "a wrong check digit fails the validation");
    assert!(r.flat_text().contains("Not a valid organisation number."), "{}", r.text());

    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("rsa");
    let w = Workdir::new(&sim, "1.15", &read("jwk_thumbprint"));
    std::fs::write(w.dir.path().join("client.pub.pem"), key.public_key_pem()).unwrap();
    let plan = w.plan_json(&[]);
    let expected = terraform_provider_maskinporten::provider::keys::parse(&key.public_key_pem()).unwrap().thumbprint();
    assert_eq!(planned_output(&plan, "key_thumbprint"), json!(expected));
}

/// The ephemeral-resource example validates, and applies: its client and key are registered and
/// a token is issued to the client, which reaches neither plan nor state.
#[test]
fn the_ephemeral_resource_example_validates_and_applies() {
    let sim = Sim::start();
    let body = json!({"prefix": "demo", "subscope": "orders.read", "description": "Read access to the orders API"});
    sim.out_of_band("991825827", "POST", "/api/v1/scopes", Some(body));
    let tf = std::fs::read_to_string(
        examples_dir().join("ephemeral-resources/maskinporten_access_token/ephemeral-resource.tf"),
    )
    .unwrap();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("rsa");
    let mut w = Workdir::new(&sim, "1.15", &tf);
    w.ok(&["validate", "-no-color"]);
    w.env("TF_VAR_client_public_key_pem", &key.public_key_pem());
    w.env("TF_VAR_client_private_key_pem", &key.serialize_pem());
    w.apply();
    let tokens = sim.sim.token_requests();
    let client_token = |t: &&Value| t["scope"] == "demo:orders.read" && t["outcome"] == "issued";
    assert!(tokens.iter().any(|t| client_token(&t)), "the client got its token: {tokens:?}");
    let issued = sim.sim.issued_tokens();
    let state = std::fs::read_to_string(w.dir.path().join("terraform.tfstate")).unwrap();
    assert!(!state.contains("PRIVATE KEY"), "the client's private key reached the state");
    for t in &issued {
        assert!(!state.contains(t.as_str()), "a token reached the state");
    }
    w.assert_converged();
}

/// The admin scopes Digdir typically grants each side (examples/complete/README.md).
pub const PROVIDER_SCOPES: &[&str] = &["scopes.read", "scopes.write"];
pub const CONSUMER_SCOPES: &[&str] = &["dcr.read", "dcr.write"];

/// The two organisations of the README walkthrough, each administration client granted only what
/// Digdir typically hands out to its side: the API provider 991825827 (prefix `demo`)
/// scopes.read and scopes.write, the consumer 889640782 dcr.read and dcr.write.
pub fn two_orgs() -> Sim {
    two_orgs_granted(PROVIDER_SCOPES, CONSUMER_SCOPES)
}

/// As [`two_orgs`], with other admin scopes per side.
pub fn two_orgs_granted(provider: &[&str], consumer: &[&str]) -> Sim {
    Sim::with(|c: SimConfig| {
        c.org_granted("991825827", Some("demo"), provider).org_granted("889640782", None, consumer)
    })
}

/// Both halves of examples/complete/, each in its own directory as its own organisation, with
/// empty provider blocks (credentials from the environment, `scopes` unset).
pub struct Complete {
    pub provider: Workdir,
    pub consumer: Workdir,
}

impl Complete {
    /// The API provider's half first: the grant must exist before the consumer's client uses it.
    pub fn apply(&self) {
        self.provider.apply();
        self.consumer.apply();
    }
    pub fn assert_converged(&self) {
        self.provider.assert_converged();
        self.consumer.assert_converged();
    }
    pub fn destroy(&self) {
        self.consumer.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
        self.provider.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    }
    pub fn halves(&self) -> [&Workdir; 2] {
        [&self.provider, &self.consumer]
    }

    /// Import what each half manages into a fresh directory with `import` blocks — by id, and on
    /// Terraform ≥ 1.12 by identity — and prove the import reproduces the state: the plan
    /// imports everything and changes nothing, and after applying it both plans are empty.
    pub fn import_into_fresh_dirs(&self, sim: &Sim, minor: &str) {
        let id = |w: &Workdir, addr: &str| w.state_values(addr)["id"].as_str().expect("id in state").to_string();
        let (client_id, key_id) =
            (id(&self.consumer, "maskinporten_client.orders"), id(&self.consumer, "maskinporten_client_key.orders"));
        let by_identity = minor != "1.11";
        let halves = [
            (
                "991825827",
                &self.provider,
                "api-provider",
                vec![
                    (
                        "maskinporten_scope.orders_read",
                        "demo:orders.read".to_string(),
                        "name = \"demo:orders.read\"".to_string(),
                    ),
                    (
                        "maskinporten_scope_access.consumer",
                        "demo:orders.read,889640782".to_string(),
                        "scope = \"demo:orders.read\"\n    consumer_orgno = \"889640782\"".to_string(),
                    ),
                ],
            ),
            (
                "889640782",
                &self.consumer,
                "api-consumer",
                vec![
                    ("maskinporten_client.orders", client_id.clone(), format!("client_id = \"{client_id}\"")),
                    ("maskinporten_client_key.orders", key_id.clone(), {
                        let (c, k) = key_id.split_once(',').expect("<client_id>,<kid>");
                        format!("client_id = \"{c}\"\n    kid = \"{k}\"")
                    }),
                ],
            ),
        ];
        for (orgno, half, dir, imports) in halves {
            let mut fresh = Workdir::for_org(sim, orgno, minor, "");
            let blocks: String = imports
                .iter()
                .enumerate()
                .map(|(i, (to, id, identity))| {
                    if by_identity && i % 2 == 1 {
                        format!("import {{\n  to = {to}\n  identity = {{\n    {identity}\n  }}\n}}\n")
                    } else {
                        format!("import {{\n  to = {to}\n  id = \"{id}\"\n}}\n")
                    }
                })
                .collect();
            let main = std::fs::read_to_string(half.dir.path().join("main.tf")).expect("main.tf");
            fresh.write_raw(&format!("{main}\n{blocks}"));
            for (k, v) in half.test_env() {
                fresh.env(&k, &v);
            }
            let plan = fresh.ok(&["plan", "-no-color", "-input=false"]);
            let want = format!("Plan: {} to import, 0 to add, 0 to change, 0 to destroy.", imports.len());
            assert!(plan.stdout.contains(&want), "{dir} on {minor}: {}", plan.stdout);
            fresh.apply();
            fresh.assert_converged();
            for (to, _, _) in &imports {
                assert_eq!(
                    half.state_values(to),
                    fresh.state_values(to),
                    "{dir} on {minor}: import of {to} reproduces the state"
                );
            }
        }
    }
}

pub fn complete_example(sim: &Sim, minor: &str) -> Complete {
    let read = |half: &str| std::fs::read_to_string(examples_dir().join(format!("complete/{half}/main.tf"))).unwrap();
    let provider = Workdir::for_org(sim, "991825827", minor, "");
    provider.write_raw(&read("api-provider"));
    let mut provider = provider;
    provider.env("TF_VAR_consumer_orgno", "889640782");
    let mut consumer = Workdir::for_org(sim, "889640782", minor, "");
    consumer.write_raw(&read("api-consumer"));
    consumer.env("TF_VAR_scope", "demo:orders.read");
    consumer.env("TF_VAR_client_public_key_pem", &public_key());
    Complete { provider, consumer }
}

/// The README walkthrough: two organisations, each with Digdir's usual admin scopes for its
/// side, each half applied, converged and destroyed — with no 403 and no refused token request
/// after the first of a provider process (checked on every Workdir when it is dropped).
#[test]
fn complete_example_spans_two_organisations() {
    let sim = two_orgs();
    let ex = complete_example(&sim, "1.15");
    ex.apply();
    ex.assert_converged();
    let state = sim.state();
    let client = &state["clients"][0];
    assert_eq!(client["client_orgno"], "889640782", "the consumer owns the client");
    assert_eq!(client["scopes"][0], "demo:orders.read");
    assert_eq!(state["accesses"][0]["consumer_orgno"], "889640782");
    let kid = ex.consumer.state_values("maskinporten_client_key.orders")["kid"].clone();
    assert_eq!(state["keys"][client["client_id"].as_str().unwrap()][0]["kid"], kid);
    for half in ex.halves() {
        let tfstate = std::fs::read_to_string(half.dir.path().join("terraform.tfstate")).unwrap();
        assert!(!tfstate.contains("PRIVATE KEY"), "no private key in state");
    }
    assert_eq!(sim.forbidden_answers(), Vec::<serde_json::Value>::new(), "no 403");
    ex.destroy();
}

/// The complete example on every supported Terraform minor: both halves applied, both plans
/// empty by their exit codes (what a drift-detection job checks), imported into fresh
/// directories, and destroyed.
fn complete_example_on(minor: &str) {
    let sim = two_orgs();
    let ex = complete_example(&sim, minor);
    ex.apply();
    ex.assert_converged();
    ex.import_into_fresh_dirs(&sim, minor);
    ex.destroy();
    let state = sim.state();
    let active = |kind: &str| state[kind].as_array().into_iter().flatten().filter(|x| x["active"] == true).count();
    assert_eq!((active("scopes"), active("accesses"), active("clients")), (0, 0, 0), "destroyed on {minor}");
}

#[test]
fn complete_example_on_terraform_1_11() {
    complete_example_on("1.11");
}

#[test]
fn complete_example_on_terraform_1_12() {
    complete_example_on("1.12");
}

#[test]
fn complete_example_on_terraform_1_13() {
    complete_example_on("1.13");
}

#[test]
fn complete_example_on_terraform_1_14() {
    complete_example_on("1.14");
}

#[test]
fn complete_example_on_terraform_1_15() {
    complete_example_on("1.15");
}

/// Secrets audit of the README walkthrough at TF_LOG=TRACE: no private key, access token or
/// signed assertion in state, plan JSON, output or logs.
#[test]
fn complete_example_at_trace_leaks_no_secret() {
    let sim = two_orgs();
    let ex = complete_example(&sim, "1.15");
    let mut secrets: Vec<String> = vec![];
    for orgno in ["991825827", "889640782"] {
        let key = sim.sim.env_for(orgno).into_iter().find(|(k, _)| k == "MASKINPORTEN_PRIVATE_KEY_PEM");
        // Every base64 line of the key body is a secret on its own.
        let lines = key.map(|(_, v)| v).unwrap_or_default();
        secrets.extend(lines.split("\\n").filter(|l| !l.starts_with("-----") && l.len() > 20).map(String::from));
    }
    let trace = [("TF_LOG", "trace"), ("TF_LOG_PATH", "trace.log")];
    let mut places = vec![];
    for w in ex.halves() {
        let plan = w.run_with_env(&["plan", "-out=tfplan", "-no-color", "-input=false"], &trace);
        let apply = w.run_with_env(&["apply", "-no-color", "-input=false", "tfplan"], &trace);
        assert_eq!(apply.code, 0, "{}", apply.text());
        let refresh = w.run_with_env(&["plan", "-no-color", "-input=false"], &trace);
        let read = |f: &str| std::fs::read_to_string(w.dir.path().join(f)).unwrap_or_default();
        let log = read("trace.log");
        assert!(
            log.contains("API call") && log.contains("token request"),
            "the provider's own trace logs were captured"
        );
        places.extend([
            ("plan output", plan.text()),
            ("apply output", apply.text()),
            ("refresh output", refresh.text()),
            ("trace log", log),
            ("state", read("terraform.tfstate")),
            ("plan JSON", w.ok(&["show", "-json", "tfplan"]).stdout),
        ]);
    }
    secrets.extend(sim.sim.issued_tokens());
    assert!(secrets.len() > 40, "the audit has secrets to look for");
    let mut hits = vec![];
    for (place, text) in &places {
        for s in &secrets {
            if text.contains(s.as_str()) {
                hits.push(format!("{place}: {}…", &s[..12.min(s.len())]));
            }
        }
        // Signed assertions (and any JWT) start with a base64url '{"' header.
        if text.contains("eyJhbGci") || text.contains("eyJ0eXAi") {
            hits.push(format!("{place}: a JWT"));
        }
    }
    assert!(hits.is_empty(), "secrets leaked: {hits:?}");
}

/// The simulator as users get it: examples/testing's `terraform test` files run against it, as
/// docs/guides/testing-with-the-simulator.md has a pipeline do, with no Digdir credentials.
#[test]
fn the_testing_example_passes_terraform_test_against_the_simulator() {
    let sim = Sim::start();
    let w = Workdir::new(&sim, "1.15", "");
    let src = examples_dir().join("testing");
    w.write_raw(&std::fs::read_to_string(src.join("main.tf")).unwrap());
    std::fs::create_dir(w.dir.path().join("tests")).unwrap();
    for f in std::fs::read_dir(src.join("tests")).unwrap().flatten() {
        std::fs::copy(f.path(), w.dir.path().join("tests").join(f.file_name())).unwrap();
    }
    let run = w.ok(&["test", "-no-color"]);
    assert!(run.stdout.contains("Success! 3 passed, 0 failed."), "{}", run.stdout);
    let state = sim.state();
    assert_eq!(state["accesses"].as_array().map(Vec::len), Some(2), "the runs granted two consumers");
    let active = state["scopes"].as_array().unwrap().iter().filter(|s| s["active"] == true).count();
    assert_eq!(active, 0, "terraform test destroyed what it made");
}
