//! Every example under examples/ runs: each resource example is applied, converges, and is
//! destroyed (issue 4); each data-source example is planned against what it reads; the function
//! examples are evaluated and the ephemeral-resource example applied.

use crate::harness::{Sim, Workdir};
use crate::key_writes::{jwk_by_hand, public_key};
use maskinporten_sim::SimConfig;
use serde_json::{Value, json};
use std::path::Path;

pub fn examples_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
}

#[test]
fn every_resource_example_applies_converges_and_destroys() {
    let mut dirs: Vec<_> =
        std::fs::read_dir(examples_dir().join("resources")).unwrap().flatten().map(|e| e.path()).collect();
    dirs.sort();
    let names: Vec<String> = dirs.iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, resource_types(), "one example folder per resource type, named for it");
    for dir in dirs {
        let tf = std::fs::read_to_string(dir.join("resource.tf")).expect("resource.tf");
        let imports = import_commands(&dir);
        let sim = Sim::start();
        let mut w = Workdir::new(&sim, "1.15", &tf);
        w.env("TF_VAR_public_key_pem", &public_key());
        w.env("MASKINPORTEN_MERCHANT_DATA_URL", &sim.sim.url());
        w.apply();
        w.assert_converged();
        // import.sh, run: each address it names is forgotten and imported again by the id of the
        // object made, which must have the form of the example's id.
        for (address, example_id) in imports {
            let id =
                w.state_values(&address)["id"].as_str().unwrap_or_else(|| panic!("{address} in state")).to_string();
            let form = |s: &str| s.chars().filter(|c| ",:".contains(*c)).collect::<String>();
            assert_eq!(form(&example_id), form(&id), "{}: import id {example_id} has the form of {id}", dir.display());
            w.ok(&["state", "rm", "-no-color", &address]);
            w.ok(&["import", "-no-color", "-input=false", &address, &id]);
            w.assert_converged();
        }
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

/// Every resource type the provider serves, sorted.
fn resource_types() -> Vec<String> {
    use terraform_provider_maskinporten::tfplugin::Provider;
    let provider = terraform_provider_maskinporten::provider::MaskinportenProvider::new(Default::default());
    let mut types: Vec<String> = provider.resources().iter().map(|r| r.type_name().to_string()).collect();
    types.sort();
    types
}

/// The `terraform import ADDRESS ID` lines of a folder's import.sh (at least one).
fn import_commands(dir: &Path) -> Vec<(String, String)> {
    let script = std::fs::read_to_string(dir.join("import.sh")).expect("import.sh");
    let commands: Vec<(String, String)> = script
        .lines()
        .filter_map(|l| l.strip_prefix("terraform import "))
        .filter_map(|rest| rest.split_once(' ').map(|(a, id)| (a.to_string(), id.trim().to_string())))
        .collect();
    assert!(!commands.is_empty(), "{}: import.sh has a terraform import line", dir.display());
    commands
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
    let jwk = jwk_by_hand("by-hand");
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
