//! Acceptance suite against Digdir's TEST environment: opt-in, needs network access and an
//! administration client per side. It proves with the real Digdir what the end-to-end suite
//! proves with the simulator, the way a user runs it: the real terraform CLI, the provider's
//! defaults (an empty `provider "maskinporten" {}`, credentials from the environment, `scopes`
//! unset), over both halves of `examples/complete/`:
//!
//! 1. the API provider's half: apply, `plan` and `plan -refresh-only` empty by their exit codes,
//!    the state imported into a fresh directory with `import` blocks and planned empty; an
//!    optional attribute (`long_description`) set and removed again, which must clear it;
//! 2. the consumer's half: apply and converge; a second key added and removed again, one at a
//!    time, the first key untouched;
//! 3. destroy both, and read what Digdir then answers for the deactivated scope and client, and
//!    for an empty grant list (facts the simulator can only assume);
//! 4. sweep: everything this suite ever made (named `tfacc`) is deactivated, also what an
//!    interrupted run left; the sweep fails the test when it cannot list.
//!
//! Digdir's answers are recorded: each half's provider log at TRACE (tokens, keys and assertions
//! are never logged), every API answer in it as a fixture, and the raw answers of step 3 in
//! `facts.json`, under `target/acceptance/<run>/`.
//! How to run it and what to send back: docs/development/acceptance.md.

#[path = "terraform/contract.rs"]
#[allow(dead_code)]
mod contract;
#[path = "terraform/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::Workdir;
use std::path::{Path, PathBuf};
use terraform_provider_maskinporten::api::admin_scopes::Need;
use terraform_provider_maskinporten::api::{ApiClient, Request};
use terraform_provider_maskinporten::tfplugin::{Diagnostics, Value};
use tokio_util::sync::CancellationToken;

fn var(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} must be set for the acceptance suite (docs/development/acceptance.md)"))
}

/// `MASKINPORTEN_<NAME>=value` lines of one organisation's administration client (the format
/// the simulator writes; PEM newlines may be written as `\n`).
fn env_file(var_name: &str) -> Vec<(String, String)> {
    let path = var(var_name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{var_name}={path}: {e}"));
    let pairs: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.trim().to_string(), v.to_string())))
        .collect();
    let env = pairs.iter().find(|(k, _)| k == "MASKINPORTEN_ENVIRONMENT").map(|(_, v)| v.as_str());
    assert_eq!(env, Some("test"), "{path}: the acceptance suite runs against Digdir's TEST only");
    pairs
}

/// An API client configured exactly as the provider configures itself from these variables.
fn api_client(env: &[(String, String)]) -> ApiClient {
    let attr = |name: &str| {
        let key = format!("MASKINPORTEN_{}", name.to_ascii_uppercase());
        env.iter().find(|(k, _)| *k == key).map_or(Value::Null, |(_, v)| Value::String(v.clone()))
    };
    let schema = terraform_provider_maskinporten::provider::config::schema();
    let config = Value::Object(schema.attributes.iter().map(|a| (a.name.clone(), attr(&a.name))).collect());
    let mut diags = Diagnostics::default();
    let settings = terraform_provider_maskinporten::provider::config::resolve(&config, "acceptance", &mut diags)
        .unwrap_or_else(|| panic!("the credentials do not configure the provider: {diags:?}"));
    ApiClient::new(settings.api, CancellationToken::new()).expect("API client")
}

/// Deactivate everything of the suite's (`tfacc` names) on one organisation's side. Listing must
/// work: a sweeper that cannot see what is left must not report a clean slate.
async fn sweep(api: &ApiClient, scopes: bool, clients: bool) -> Vec<String> {
    let mut left = vec![];
    if scopes {
        for s in api.list_scopes(false).await.expect("the sweeper lists scopes") {
            let name = s.name.clone().unwrap_or_default();
            if s.subscope.as_deref().is_some_and(|x| x.starts_with("tfacc")) {
                for g in api.list_accesses(&name, false).await.expect("the sweeper lists grants") {
                    api.revoke_access(&name, g.consumer_orgno.as_deref().unwrap_or("")).await.ok();
                }
                if api.deactivate_scope(&name).await.is_err() {
                    left.push(name);
                }
            }
        }
    }
    if clients {
        for c in api.list_clients(false).await.expect("the sweeper lists clients") {
            if c.client_name.as_deref().is_some_and(|n| n.starts_with("tfacc")) {
                let id = c.client_id.unwrap_or_default();
                if api.deactivate_client(&id).await.is_err() {
                    left.push(id);
                }
            }
        }
    }
    left
}

/// Copy a half's provider log into the run's folder, and every API answer in it (the provider
/// logs answers at TRACE with secrets blanked) as a numbered fixture.
fn record(w: &Workdir, out: &Path, half: &str) {
    let log = w.provider_log();
    std::fs::write(out.join(format!("{half}-provider.log")), &log).ok();
    let mut n = 0;
    for line in log.lines().filter(|l| l.contains("API response")) {
        let field =
            |k: &str| line.split(&format!(" {k}=")).nth(1).map(|r| r.split(' ').next().unwrap_or("").to_string());
        let body =
            line.split(" body=").nth(1).map(|r| r.rsplit_once(" method=").map_or(r, |(b, _)| b).trim_matches('"'));
        n += 1;
        let name = format!(
            "{half}-{n:03}-{}-{}.json",
            field("method").unwrap_or_default(),
            field("path").unwrap_or_default().replace('/', "_")
        );
        std::fs::write(out.join(name), body.unwrap_or("").replace("\\\"", "\"")).ok();
    }
}

/// Digdir's raw answer to one read: status (200 for success) and body, for `facts.json`.
async fn raw(api: &ApiClient, req: Request) -> serde_json::Value {
    match api.execute::<serde_json::Value>(req).await {
        Ok(body) => serde_json::json!({"status": 200, "body": body}),
        Err(e) => serde_json::json!({"status": e.status(), "error": e.to_string()}),
    }
}

fn main_tf(half: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/complete/{half}/main.tf")))
        .expect("example")
}

fn import_into_fresh_dir(env: Vec<(String, String)>, half: &str, vars: &[(&str, &str)], imports: &[(&str, String)]) {
    let mut fresh = Workdir::with_env(env, "1.15", "");
    let blocks: String =
        imports.iter().map(|(to, id)| format!("import {{\n  to = {to}\n  id = \"{id}\"\n}}\n")).collect();
    fresh.write_raw(&format!("{}\n{blocks}", main_tf(half)));
    for (k, v) in vars {
        fresh.env(k, v);
    }
    let plan = fresh.ok(&["plan", "-no-color", "-input=false"]);
    assert!(
        plan.stdout.contains(&format!("{} to import, 0 to add, 0 to change, 0 to destroy", imports.len())),
        "{}",
        plan.stdout
    );
    fresh.apply();
    fresh.assert_converged();
}

#[test]
#[ignore = "needs TF_ACC=1, Digdir TEST credentials and network access (docs/development/acceptance.md)"]
fn the_complete_example_against_digdir_test() {
    assert_eq!(std::env::var("TF_ACC").as_deref(), Ok("1"), "set TF_ACC=1 to run the acceptance suite");
    let (provider_env, consumer_env) =
        (env_file("MASKINPORTEN_ACC_PROVIDER_ENV"), env_file("MASKINPORTEN_ACC_CONSUMER_ENV"));
    let (prefix, consumer_orgno) = (var("MASKINPORTEN_ACC_PREFIX"), var("MASKINPORTEN_ACC_CONSUMER_ORGNO"));
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let out: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/acceptance").join(&run);
    std::fs::create_dir_all(&out).expect("output folder");
    eprintln!("acceptance run {run}: logs and fixtures in {}", out.display());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (provider_api, consumer_api) = (api_client(&provider_env), api_client(&consumer_env));
    rt.block_on(sweep(&provider_api, true, false));
    rt.block_on(sweep(&consumer_api, false, true));

    let (subscope, client_name) = (format!("tfacc.{run}"), format!("tfacc-{run}"));
    let scope = format!("{prefix}:{subscope}");
    let provider_vars = [
        ("TF_VAR_prefix", prefix.as_str()),
        ("TF_VAR_subscope", subscope.as_str()),
        ("TF_VAR_consumer_orgno", consumer_orgno.as_str()),
    ];
    let mut provider = Workdir::with_env(provider_env.clone(), "1.15", "");
    provider.write_raw(&main_tf("api-provider"));
    for (k, v) in provider_vars {
        provider.env(k, v);
    }
    provider.env("TF_LOG_PROVIDER", "trace");
    provider.apply();
    provider.assert_converged();
    // An optional attribute set, then removed: the PUT that leaves it out must clear it.
    let tf = main_tf("api-provider");
    let with_long = tf.replacen(
        "  at_max_age                = 300\n",
        "  at_max_age                = 300\n  long_description          = \"Set by the acceptance suite\"\n",
        1,
    );
    assert_ne!(with_long, tf, "examples/complete/api-provider/main.tf still has at_max_age = 300");
    provider.write_raw(&with_long);
    provider.apply();
    provider.write_raw(&tf);
    provider.apply();
    provider.assert_converged();
    let read = rt.block_on(provider_api.get_scope(&scope)).expect("read the scope").expect("the scope exists");
    assert_eq!(
        read.long_description.filter(|d| !d.is_empty()),
        None,
        "leaving long_description out of the PUT cleared it"
    );
    import_into_fresh_dir(
        provider_env,
        "api-provider",
        &provider_vars,
        &[
            ("maskinporten_scope.orders_read", scope.clone()),
            ("maskinporten_scope_access.consumer", format!("{scope},{consumer_orgno}")),
        ],
    );

    let key = |_: u8| rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("rsa").public_key_pem();
    let mut consumer = Workdir::with_env(consumer_env, "1.15", "");
    consumer.write_raw(&main_tf("api-consumer"));
    consumer.env("TF_VAR_scope", &scope);
    consumer.env("TF_VAR_client_name", &client_name);
    consumer.env("TF_VAR_client_public_key_pem", &key(1));
    consumer.env("TF_LOG_PROVIDER", "trace");
    consumer.apply();
    consumer.assert_converged();
    let first_kid = consumer.state_values("maskinporten_client_key.orders")["kid"].clone();
    // A second key, added and removed on its own: the first one is never rewritten.
    let extra = format!(
        "resource \"maskinporten_client_key\" \"extra\" {{\n  client_id = maskinporten_client.orders.client_id\n  key = <<-EOT\n{}EOT\n}}\n",
        key(2)
    );
    std::fs::write(consumer.dir.path().join("extra_key.tf"), extra).expect("extra key");
    consumer.apply();
    consumer.assert_converged();
    std::fs::remove_file(consumer.dir.path().join("extra_key.tf")).expect("remove extra key");
    consumer.apply();
    consumer.assert_converged();
    assert_eq!(
        consumer.state_values("maskinporten_client_key.orders")["kid"],
        first_kid,
        "the first key is still registered"
    );

    let client_id =
        consumer.state_values("maskinporten_client.orders")["client_id"].as_str().unwrap_or_default().to_string();
    consumer.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    provider.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    let facts = rt.block_on(async {
        serde_json::json!({
            "deactivated scope, GET /scopes/scope": raw(&provider_api, Request::get("/scopes/scope", Need::SCOPES_READ).query("scope", scope.clone())).await,
            "deactivated scope, GET /scopes?inactive=true": provider_api.get_scope(&scope).await.map(|s| serde_json::json!(s)).unwrap_or_default(),
            "revoked grants, GET /scopes/access?inactive=true": raw(&provider_api, Request::get("/scopes/access", Need::SCOPES_READ).query("scope", scope.clone()).query("inactive", "true")).await,
            "no active grants, GET /scopes/access": raw(&provider_api, Request::get("/scopes/access", Need::SCOPES_READ).query("scope", scope.clone())).await,
            "deactivated client, GET /clients/{id}": raw(&consumer_api, Request::get(&format!("/clients/{client_id}"), Need::CLIENTS_READ)).await,
            "no keys, GET /clients/{id}/jwks": raw(&consumer_api, Request::get(&format!("/clients/{client_id}/jwks"), Need::CLIENTS_READ)).await,
        })
    });
    std::fs::write(out.join("facts.json"), serde_json::to_string_pretty(&facts).unwrap_or_default()).ok();
    eprintln!("what Digdir answered after destroy: {facts:#}");
    record(&provider, &out, "api-provider");
    record(&consumer, &out, "api-consumer");
    let mut left = rt.block_on(sweep(&provider_api, true, false));
    left.extend(rt.block_on(sweep(&consumer_api, false, true)));
    assert!(left.is_empty(), "the sweeper could not deactivate: {left:?}");
}
