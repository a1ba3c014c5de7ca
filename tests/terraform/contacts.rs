//! `maskinporten_contact` on the merchant-data contract (issue 5), and the diagnostic that
//! explains Digdir has no such endpoint.

use crate::harness::{Sim, Workdir};
use serde_json::Value;

fn config(email: &str) -> String {
    format!(
        r#"resource "maskinporten_scope" "s" {{
  prefix      = "demo"
  subscope    = "orders.read"
  description = "Read orders"
}}

resource "maskinporten_client" "c" {{
  client_name = "reader"
  description = "Reads"
  scopes      = [maskinporten_scope.s.name]
}}

resource "maskinporten_contact" "ops" {{
  kind      = "notification"
  client_id = maskinporten_client.c.client_id
  name      = "Operations on call"
  email     = "{email}"
  phone     = "+4799999999"
}}

resource "maskinporten_contact" "invoices" {{
  kind          = "invoice"
  prefix        = "demo"
  invoice_email = "invoice@example.no"
  reference     = "PO-1234"
}}
"#
    )
}

fn contact(sim: &Sim, id: &str) -> Value {
    sim.state()["contacts"].as_array().unwrap().iter().find(|c| c["id"] == id).cloned().unwrap_or(Value::Null)
}

#[test]
fn contacts_lifecycle_where_the_contract_is_served() {
    let sim = Sim::start();
    let mut w = Workdir::new(&sim, "1.15", &config("ops@example.no"));
    w.env("MASKINPORTEN_MERCHANT_DATA_URL", &sim.sim.url());
    w.apply();
    let ops = w.state_values("maskinporten_contact.ops");
    let id = ops["id"].as_str().unwrap().to_string();
    assert_eq!(contact(&sim, &id)["email"], "ops@example.no");
    assert_eq!(sim.state()["contacts"].as_array().unwrap().len(), 2);
    w.assert_converged();

    // Update in place.
    w.write(&config("oncall@example.no"));
    assert_eq!(Workdir::planned_actions(&w.plan_json(&[]), "maskinporten_contact.ops"), ["update"]);
    w.apply();
    assert_eq!(contact(&sim, &id)["email"], "oncall@example.no");
    w.assert_converged();

    // Import in a fresh directory reproduces the state.
    let mut fresh = Workdir::new(&sim, "1.15", &config("oncall@example.no"));
    fresh.env("MASKINPORTEN_MERCHANT_DATA_URL", &sim.sim.url());
    let client_id = w.state_values("maskinporten_client.c")["client_id"].as_str().unwrap().to_string();
    let inv = w.state_values("maskinporten_contact.invoices")["id"].as_str().unwrap().to_string();
    for (addr, import_id) in [
        ("maskinporten_scope.s", "demo:orders.read"),
        ("maskinporten_client.c", client_id.as_str()),
        ("maskinporten_contact.ops", id.as_str()),
        ("maskinporten_contact.invoices", inv.as_str()),
    ] {
        fresh.ok(&["import", "-no-color", "-input=false", addr, import_id]);
    }
    assert_eq!(fresh.state_values("maskinporten_contact.ops"), w.state_values("maskinporten_contact.ops"));
    fresh.assert_converged();

    // Drift: changed and deactivated outside Terraform, repaired by the next apply.
    let token_org = "991825827";
    let mut changed = contact(&sim, &id);
    changed["email"] = "someone@else.no".into();
    sim.out_of_band(token_org, "PUT", &format!("/api/v1/contacts/{id}"), Some(changed));
    sim.out_of_band(token_org, "DELETE", &format!("/api/v1/contacts/{id}"), None);
    assert_eq!(Workdir::planned_actions(&w.plan_json(&[]), "maskinporten_contact.ops"), ["update"]);
    w.apply();
    let c = contact(&sim, &id);
    assert_eq!((c["active"].clone(), c["email"].clone()), (Value::Bool(true), Value::from("oncall@example.no")));
    w.assert_converged();

    // Destroy deactivates.
    w.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(contact(&sim, &id)["active"], false);
}

fn assert_explains_missing_endpoint(r: &crate::harness::Run, why: &str) {
    assert_ne!(r.code, 0);
    for needle in [
        "Digdir's self-service API has no endpoint for merchant data",
        "Samarbeidsportalen",
        "Rediger integrasjon",
        why,
    ] {
        assert!(r.stderr.contains(needle), "missing {needle:?} in:\n{}", r.stderr);
    }
}

#[test]
fn without_a_merchant_data_server_the_plan_explains_the_manual_steps() {
    let sim = Sim::start();
    let w = Workdir::new(&sim, "1.15", &config("ops@example.no"));
    assert_explains_missing_endpoint(&w.run(&["plan", "-no-color", "-input=false"]), "merchant_data_url is not set");

    // A server that does not serve the contract (404 on its path) gets the same answer.
    let mut w = Workdir::new(&sim, "1.15", &config("ops@example.no"));
    w.env("MASKINPORTEN_MERCHANT_DATA_URL", &format!("{}/elsewhere", sim.sim.url()));
    assert_explains_missing_endpoint(&w.run(&["plan", "-no-color", "-input=false"]), "answers 404");
    let writes = sim.requests().iter().filter(|q| q["method"] != "GET" && q["path"] != "/token").count();
    assert_eq!(writes, 0, "nothing created");
}

#[test]
fn contact_input_is_validated() {
    let sim = Sim::start();
    let w = Workdir::new(
        &sim,
        "1.15",
        r#"resource "maskinporten_contact" "x" {
  kind      = "notification"
  prefix    = "demo"
  email     = "not-an-address"
  phone     = "123"
  reference = "PO-1"
}"#,
    );
    let r = w.run(&["validate", "-no-color"]);
    assert_ne!(r.code, 0);
    for m in ["Invalid e-mail address", "Invalid phone number", "reference is for invoice contacts"] {
        assert!(r.stderr.contains(m), "{m}: {}", r.stderr);
    }
}

/// The admin token for Digdir's API never reaches the merchant-data server: a server of its own
/// (another address than Digdir's) records every Authorization header it gets, and each is a
/// token Maskinporten restricted to that server's audience.
#[test]
fn the_admin_token_never_reaches_the_merchant_data_server() {
    use std::sync::{Arc, Mutex};
    let sim = Sim::start();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let record = seen.clone();
    // Enough of the contract to be recognised: a bare list is refused with 400.
    let app = axum::Router::new().fallback(move |h: axum::http::HeaderMap| {
        let record = record.clone();
        async move {
            let auth = h.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            record.lock().unwrap().push(auth);
            (
                axum::http::StatusCode::BAD_REQUEST,
                axum::Json(serde_json::json!({"status": 400, "error": "give client_id or prefix"})),
            )
        }
    });
    rt.spawn(async move { axum::serve(listener, app).await });
    let mut w = Workdir::new(&sim, "1.15", &config("ops@example.no"));
    w.env("MASKINPORTEN_MERCHANT_DATA_URL", &url);
    w.ok(&["plan", "-no-color", "-input=false"]);
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty(), "the merchant-data server was asked");
    let tokens = sim.sim.token_requests();
    assert!(
        tokens.iter().any(|t| t["resource"].is_null() && t["outcome"] == "issued"),
        "an admin token for Digdir's API was issued in the same run"
    );
    let audience = format!("{url}/api/v1");
    assert!(tokens.iter().any(|t| t["resource"] == audience.as_str() && t["outcome"] == "issued"), "{tokens:?}");
    for header in &seen {
        let token = header.strip_prefix("Bearer ").expect("a bearer token");
        // Admin tokens name no audience; this one must name the merchant-data server.
        assert_eq!(audience_of(token), audience, "restricted to the merchant-data server");
    }
}

/// The `aud` of one of the simulator's JWT-shaped tokens.
fn audience_of(token: &str) -> String {
    use base64::Engine;
    let claims = token.split('.').nth(1).unwrap_or("");
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).unwrap_or_default())
            .unwrap_or(Value::Null);
    claims["aud"].as_str().unwrap_or("").to_string()
}
