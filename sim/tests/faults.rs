//! The fault knobs of ARCHITECTURE.md, "Reliability", behave as documented: dropped connections
//! before and after a write commits, a lagging read side (eventual consistency), and TLS with a
//! test CA.

use maskinporten_sim::{Faults, SimConfig, Simulator};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn start(tls: bool) -> (Simulator, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = SimConfig::new(dir.path().join("sim")).org("991825827", Some("demo"));
    cfg.tls = tls;
    (Simulator::start(cfg).await.unwrap(), dir)
}

fn scope(sub: &str, description: &str) -> Value {
    json!({"prefix": "demo", "subscope": sub, "description": description, "allowed_integration_types": ["maskinporten"]})
}

fn in_store(sim: &Simulator, name: &str) -> Option<Value> {
    sim.state()["scopes"].as_array()?.iter().find(|s| s["name"] == name).cloned()
}

#[tokio::test]
async fn dropped_connections_give_no_answer_and_commit_only_after_handling() {
    let (sim, _d) = start(false).await;
    let http = reqwest::Client::new();
    let token = sim.mint_token("991825827");
    let post = |body: Value| http.post(format!("{}/api/v1/scopes", sim.url())).bearer_auth(&token).json(&body).send();

    sim.set_faults(Faults { rate_drop_before: 1.0, ..Default::default() });
    let err = post(scope("a", "A")).await.expect_err("no answer");
    assert!(!err.is_status() && err.status().is_none(), "a transport error, not an HTTP status: {err}");
    assert!(in_store(&sim, "demo:a").is_none(), "dropped before handling: nothing committed");

    sim.set_faults(Faults { rate_drop_after_commit: 1.0, ..Default::default() });
    let err = post(scope("b", "B")).await.expect_err("no answer");
    assert!(err.status().is_none(), "{err}");
    assert_eq!(in_store(&sim, "demo:b").expect("committed")["active"], true, "handled, then dropped");

    let f: Value = http.get(format!("{}/__sim/faults", sim.url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(f["injected"], 2);
    assert_eq!(f["injected_by_kind"], json!({"drop_before": 1, "drop_after_commit": 1}));
    let log = sim.requests();
    let statuses: Vec<&Value> = log.as_array().unwrap().iter().map(|r| &r["status"]).collect();
    assert_eq!(statuses, [&json!(0), &json!(0)], "the log marks unanswered requests with status 0");
}

#[tokio::test]
async fn latency_is_a_knob_at_start_and_at_run_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = SimConfig::new(dir.path().join("sim")).org("991825827", Some("demo"));
    cfg.latency_ms = 250;
    let sim = Simulator::start(cfg).await.unwrap();
    let http = reqwest::Client::new();
    let token = sim.mint_token("991825827");
    let list = || http.get(format!("{}/api/v1/scopes", sim.url())).bearer_auth(&token).send();
    let faults = || async {
        let r = http.get(format!("{}/__sim/faults", sim.url())).send().await.unwrap();
        r.json::<Value>().await.unwrap()
    };
    assert_eq!(faults().await["faults"]["latency_ms"], 250, "the start value is the knob's value");
    let t = Instant::now();
    list().await.unwrap();
    // A lower bound only: the sleep guarantees it, however slow the machine.
    assert!(t.elapsed() >= Duration::from_millis(250), "{:?}", t.elapsed());

    let put = http.put(format!("{}/__sim/faults", sim.url())).json(&json!({"latency_ms": 600})).send().await.unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    assert_eq!(faults().await["faults"]["latency_ms"], 600);
    let t = Instant::now();
    list().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(600), "changed at run time: {:?}", t.elapsed());
    // Latency is the network, not a fault: nothing counts as injected.
    assert_eq!(faults().await["injected"], 0);
}

#[tokio::test]
async fn reads_lag_behind_writes_while_writes_see_the_latest_state() {
    let (sim, _d) = start(false).await;
    let http = reqwest::Client::new();
    let token = sim.mint_token("991825827");
    let url = sim.url();
    // Seed 7 draws delays well above zero for the first writes (the generator is seeded).
    sim.set_faults(Faults { consistency_delay_ms: 3000, seed: 7, ..Default::default() });
    let get = || http.get(format!("{url}/api/v1/scopes/scope?scope=demo:lag")).bearer_auth(&token).send();
    let list = || async {
        let r = http.get(format!("{url}/api/v1/scopes?inactive=true")).bearer_auth(&token).send().await.unwrap();
        r.json::<Value>().await.unwrap_or(Value::Null)
    };
    let created = Instant::now();
    let r = http.post(format!("{url}/api/v1/scopes")).bearer_auth(&token).json(&scope("lag", "v1")).send().await;
    assert_eq!(r.unwrap().status(), 200);
    assert!(in_store(&sim, "demo:lag").is_some(), "committed at once");
    assert_eq!(get().await.unwrap().status(), 404, "not yet visible to reads");
    assert!(!list().await.to_string().contains("demo:lag"), "nor in lists");
    // The lagging side answers every read route, those with path parameters too.
    let org = http.get(format!("{url}/api/v1/organizations/991825827")).send().await.unwrap();
    assert_eq!(org.status(), 200, "organisation lookup while lagging: {:?}", org.text().await);
    assert!(org.json::<Value>().await.unwrap()["name"].is_string());
    let unknown = format!("{url}/api/v1/clients/00000000-0000-4000-8000-000000000000");
    let client = http.get(&unknown).bearer_auth(&token).send().await.unwrap();
    assert_eq!(client.status(), 404, "client read while lagging: {:?}", client.text().await);
    // Writes act on the primary: a second create conflicts, an update succeeds.
    let again = http.post(format!("{url}/api/v1/scopes")).bearer_auth(&token).json(&scope("lag", "v1")).send();
    assert_eq!(again.await.unwrap().status(), 409);
    let mut v2 = scope("lag", "v2");
    v2["active"] = json!(true);
    let put = http.put(format!("{url}/api/v1/scopes?scope=demo:lag")).bearer_auth(&token).json(&v2).send();
    assert_eq!(put.await.unwrap().status(), 200);
    // Reads catch up in order: first v1 may show, in the end v2 does, within T of the last write.
    let mut seen = vec![];
    while created.elapsed() < Duration::from_secs(10) {
        let r = get().await.unwrap();
        let d = if r.status() == 200 { r.json::<Value>().await.unwrap()["description"].clone() } else { json!(404) };
        if seen.last() != Some(&d) {
            seen.push(d.clone());
        }
        if d == "v2" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.first(), Some(&json!(404)));
    assert_eq!(seen.last(), Some(&json!("v2")), "the read side caught up: {seen:?}");
    assert!(seen.iter().all(|d| [json!(404), json!("v1"), json!("v2")].contains(d)), "{seen:?}");
    let f: Value = http.get(format!("{url}/__sim/faults")).send().await.unwrap().json().await.unwrap();
    assert!(f["injected_by_kind"]["stale_read"].as_u64().unwrap() >= 2, "{f}");
}

#[tokio::test]
async fn tls_with_a_test_ca_is_trusted_only_with_that_ca() {
    let (sim, _d) = start(true).await;
    assert!(sim.url().starts_with("https://localhost:"), "{}", sim.url());
    let ca = std::fs::read(sim.ca_pem_path().expect("CA file")).unwrap();
    let env = sim.env_for("991825827");
    assert!(env.iter().any(|(k, v)| k == "MASKINPORTEN_CA_BUNDLE_FILE" && v.ends_with("sim-ca.pem")), "{env:?}");
    let well_known = format!("{}/.well-known/oauth-authorization-server", sim.url());
    let trusting = reqwest::Client::builder()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(&ca).unwrap())
        .build()
        .unwrap();
    let doc: Value = trusting.get(&well_known).send().await.unwrap().json().await.unwrap();
    assert!(doc["token_endpoint"].as_str().unwrap().starts_with("https://localhost:"), "{doc}");
    let err = reqwest::Client::new().get(&well_known).send().await.expect_err("unknown CA");
    let chain = format!("{err:?}");
    assert!(chain.contains("certificate") || chain.contains("Certificate"), "{chain}");
    let plain = reqwest::Client::new().get(format!("http://{}/.well-known/oauth-authorization-server", sim.addr()));
    assert!(plain.send().await.is_err(), "plain http to the TLS port fails");
}
