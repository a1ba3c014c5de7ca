//! Keys over their life: an expiry chosen by the team (Digdir honours a key's `exp`, at most a
//! year), the `maskinporten_client_keys` data source that lists every key of a client — also keys
//! Terraform does not manage — and a `check` block that alerts on expiry with it.

use crate::harness::{Sim, Workdir};
use crate::key_writes::{jwk_by_hand, public_key};
use serde_json::Value;

/// The RFC 3339 text of now + `days` whole days, at midnight UTC, as a team would write it.
fn days_ahead(days: u64) -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let midnight = (secs / 86_400 + days) * 86_400;
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(midnight)).to_string()
}

fn epoch(rfc3339: &str) -> i64 {
    humantime::parse_rfc3339(rfc3339).unwrap().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn config(expires_at: Option<&str>, check_days: u32) -> String {
    let exp = expires_at.map(|e| format!("  expires_at = \"{e}\"\n")).unwrap_or_default();
    format!(
        r#"resource "maskinporten_scope" "s" {{
  prefix      = "demo"
  subscope    = "life"
  description = "d"
}}

resource "maskinporten_client" "c" {{
  client_name = "life"
  description = "d"
  scopes      = [maskinporten_scope.s.name]
}}

resource "maskinporten_client_key" "k" {{
  client_id = maskinporten_client.c.client_id
  key       = file("k.pem")
{exp}}}

data "maskinporten_client_keys" "all" {{
  client_id  = maskinporten_client.c.client_id
  depends_on = [maskinporten_client_key.k]
}}

check "keys_not_expiring" {{
  assert {{
    condition     = alltrue([for k in data.maskinporten_client_keys.all.keys : timecmp(k.expires_at, timeadd(plantimestamp(), "{}h")) > 0])
    error_message = "A key of client ${{maskinporten_client.c.client_id}} expires within {check_days} days."
  }}
}}
"#,
        check_days * 24
    )
}

#[test]
fn a_chosen_expiry_is_registered_listed_and_checked() {
    let sim = Sim::start();
    let w = Workdir::new(&sim, "1.15", "");
    std::fs::write(w.dir.path().join("k.pem"), public_key()).unwrap();
    let expiry = days_ahead(60);
    w.write(&config(Some(&expiry), 30));
    let out = w.apply();
    assert!(
        !out.text().contains("Check block assertion failed"),
        "60 days is beyond the 30-day check:\n{}",
        out.text()
    );
    w.assert_converged();
    let key = w.state_values("maskinporten_client_key.k");
    assert_eq!(key["expires_at"], expiry.as_str(), "state keeps the configured text");
    let client_id = key["client_id"].as_str().unwrap().to_string();
    let stored = sim.state()["keys"][&client_id][0].clone();
    assert_eq!(stored["exp"], Value::from(epoch(&expiry)), "Digdir got exp");

    // A key Terraform does not manage is listed too.
    let jwk = jwk_by_hand("by-hand");
    sim.out_of_band("991825827", "PUT", &format!("/api/v1/clients/{client_id}/jwks/by-hand"), Some(jwk));
    let listed = w.state_values("data.maskinporten_client_keys.all");
    assert_eq!(listed["keys"].as_array().map(Vec::len), Some(1), "read at the last apply");
    w.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color", "-input=false"]);
    let kids: Vec<Value> = w.state_values("data.maskinporten_client_keys.all")["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert_eq!(kids, [key["kid"].clone(), Value::from("by-hand")], "both keys listed, Digdir's order");

    // The check block alerts when a key expires within the window.
    w.write(&config(Some(&expiry), 90));
    let plan = w.ok(&["plan", "-no-color", "-input=false"]);
    assert!(plan.flat_text().contains("expires within 90 days"), "{}", plan.stdout);

    // Another expiry registers the key again.
    let later = days_ahead(80);
    w.write(&config(Some(&later), 30));
    assert_eq!(Workdir::planned_actions(&w.plan_json(&[]), "maskinporten_client_key.k"), ["delete", "create"]);
    w.apply();
    let stored =
        sim.state()["keys"][&client_id].as_array().unwrap().iter().find(|k| k["kid"] == key["kid"]).unwrap().clone();
    assert_eq!(stored["exp"], Value::from(epoch(&later)));
    w.assert_converged();
}

#[test]
fn an_expiry_beyond_a_year_or_in_the_past_is_refused_at_plan() {
    let sim = Sim::start();
    let w = Workdir::new(&sim, "1.15", "");
    std::fs::write(w.dir.path().join("k.pem"), public_key()).unwrap();
    for (expiry, why) in
        [(days_ahead(400), "more than a year ahead"), ("2020-01-01T00:00:00Z".to_string(), "lies in the past")]
    {
        w.write(&config(Some(&expiry), 30));
        let run = w.run(&["plan", "-no-color", "-input=false"]);
        assert_ne!(run.code, 0);
        let text = run.flat_text();
        assert!(text.contains("Unusable expires_at") && text.contains(why), "{text}");
        assert!(text.contains("expires_at = "), "points at the attribute: {text}");
    }
    w.write(&config(Some("next tuesday"), 30));
    let run = w.run(&["validate", "-no-color"]);
    assert!(run.flat_text().contains("Invalid expires_at"), "{}", run.text());
    assert!(sim.state()["keys"].as_object().is_none_or(|m| m.is_empty()), "nothing registered");
}
