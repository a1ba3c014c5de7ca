//! examples/complete/, the README walkthrough in two halves — the API provider's and the API
//! consumer's, each its own organisation with only the admin scopes Digdir typically grants its
//! side — applied end to end on every supported Terraform minor, and at TRACE without a secret in
//! any log. Other tests (admin scopes, faults, scale) build on the same two organisations.

use crate::examples::examples_dir;
use crate::harness::{Sim, Workdir};
use crate::key_writes::public_key;
use maskinporten_sim::SimConfig;
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
