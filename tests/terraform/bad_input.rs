//! Bad input, table-driven: every case gets a clear message pointing at its attribute, at
//! validate or plan time, and the simulator sees no write (non-negotiable 5).

use crate::harness::{Sim, Workdir};
use base64::Engine;
use serde_json::Value;

const SCOPE: &str =
    "resource \"maskinporten_scope\" \"ok\" {\n  prefix = \"demo\"\n  subscope = \"ok\"\n  description = \"ok\"\n}\n";
const CLIENT: &str = "resource \"maskinporten_client\" \"ok\" {\n  client_name = \"ok\"\n  description = \"ok\"\n  scopes = [\"demo:ok\"]\n}\n";

/// A scope with one attribute replaced (or added).
fn scope(attr: &str) -> String {
    let name = attr.split('=').next().unwrap_or("").trim();
    let mut lines: Vec<String> = ["prefix = \"demo\"", "subscope = \"x\"", "description = \"x\""]
        .iter()
        .filter(|l| !l.starts_with(name))
        .map(|l| format!("  {l}"))
        .collect();
    lines.push(format!("  {attr}"));
    format!("resource \"maskinporten_scope\" \"x\" {{\n{}\n}}\n", lines.join("\n"))
}

fn block(kind: &str, body: &str) -> String {
    format!("resource \"{kind}\" \"x\" {{\n{body}\n}}\n")
}

fn key(body: &str) -> String {
    format!(
        "{CLIENT}{}",
        block("maskinporten_client_key", &format!("  client_id = maskinporten_client.ok.client_id\n{body}"))
    )
}

/// (configuration, expected summary fragment, attribute the diagnostic must point at)
fn cases() -> Vec<(String, &'static str, &'static str)> {
    let small_jwk = format!(
        r#"{{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"{}\"}}"#,
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xc1u8; 128])
    );
    let ec = rcgen::KeyPair::generate().unwrap().public_key_pem().replace('\n', "\\n");
    let private = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap().serialize_pem().replace('\n', "\\n");
    let public = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap().public_key_pem().replace('\n', "\\n");
    vec![
        (scope("prefix = \"Demo\""), "Invalid prefix", "prefix"),
        (scope("prefix = \"demo:\""), "Invalid prefix", "prefix"),
        (scope("prefix = \"someoneelse\""), "Prefix not owned", "prefix"),
        (scope("subscope = \"Orders Read\""), "Invalid subscope", "subscope"),
        (scope("subscope = \"/orders\""), "Invalid subscope", "subscope"),
        (scope("subscope = \"a//b\""), "Invalid subscope", "subscope"),
        (scope("subscope = \"\""), "Invalid subscope", "subscope"),
        (scope("description = \"\""), "Empty description", "description"),
        (scope("long_description = \"\""), "Empty long_description", "long_description"),
        (scope("token_type = \"JWT\""), "Invalid token_type", "token_type"),
        (scope("visibility = \"INTERNAL\""), "Invalid visibility", "visibility"),
        (scope("allowed_integration_types = [\"sms\"]"), "Invalid integration type", "allowed_integration_types"),
        (scope("at_max_age = -1"), "Invalid at_max_age", "at_max_age"),
        (scope("authorization_max_lifetime = -5"), "Invalid authorization_max_lifetime", "authorization_max_lifetime"),
        (scope("delegation_source = \"http://altinn.no\""), "Invalid delegation_source", "delegation_source"),
        (
            scope("enforced_aud_for_access_token = \"\""),
            "Empty enforced_aud_for_access_token",
            "enforced_aud_for_access_token",
        ),
        (
            format!(
                "{SCOPE}{}",
                block("maskinporten_scope_access", "  scope = \"demo:ok\"\n  consumer_orgno = \"12345\"")
            ),
            "Invalid organisation number",
            "consumer_orgno",
        ),
        (
            format!(
                "{SCOPE}{}",
                block("maskinporten_scope_access", "  scope = \"demo:ok\"\n  consumer_orgno = \"abcdefghi\"")
            ),
            "Invalid organisation number",
            "consumer_orgno",
        ),
        (
            format!(
                "{SCOPE}{}",
                block("maskinporten_scope_access", "  scope = \"demo:ok\"\n  consumer_orgno = \"../scopes\"")
            ),
            "Invalid organisation number",
            "consumer_orgno",
        ),
        (
            block("maskinporten_scope_access", "  scope = \"noprefix\"\n  consumer_orgno = \"889640782\""),
            "Invalid scope name",
            "scope",
        ),
        (
            block("maskinporten_scope_access", "  scope = \"demo: x\"\n  consumer_orgno = \"889640782\""),
            "Invalid scope name",
            "scope",
        ),
        (
            block("maskinporten_scope_consumers", "  scope = \"demo:ok\"\n  consumers = [\"1\"]"),
            "Invalid organisation number",
            "consumers",
        ),
        (block("maskinporten_scope_consumers", "  scope = \"x\"\n  consumers = []"), "Invalid scope name", "scope"),
        (
            block(
                "maskinporten_client",
                "  client_name = \"c\"\n  description = \"d\"\n  scopes = [\"demo:ok\"]\n  access_token_lifetime = 0",
            ),
            "Invalid access_token_lifetime",
            "access_token_lifetime",
        ),
        (
            block(
                "maskinporten_client",
                "  client_name = \"c\"\n  description = \"d\"\n  scopes = [\"demo:ok\"]\n  authorization_lifetime = -1",
            ),
            "Invalid authorization_lifetime",
            "authorization_lifetime",
        ),
        (
            block("maskinporten_client", "  client_name = \"c\"\n  description = \"d\"\n  scopes = []"),
            "No scopes",
            "scopes",
        ),
        (
            block("maskinporten_client", "  client_name = \"c\"\n  description = \"d\"\n  scopes = [\"orders\"]"),
            "Invalid scope name",
            "scopes",
        ),
        (
            block("maskinporten_client", "  client_name = \"\"\n  description = \"d\"\n  scopes = [\"demo:ok\"]"),
            "Empty client_name",
            "client_name",
        ),
        (
            block("maskinporten_client", "  client_name = \"c\"\n  description = \"\"\n  scopes = [\"demo:ok\"]"),
            "Empty description",
            "description",
        ),
        (
            block(
                "maskinporten_client",
                "  client_name = \"c\"\n  description = \"d\"\n  scopes = [\"demo:ok\"]\n  client_orgno = \"123\"",
            ),
            "Invalid organisation number",
            "client_orgno",
        ),
        (key("  key = \"hello\""), "Unusable key material", "key"),
        (key(&format!("  key = \"{private}\"")), "Unusable key material", "key"),
        (key(&format!("  key = \"{ec}\"")), "Unusable key material", "key"),
        (key(&format!("  key = \"{small_jwk}\"")), "Unusable key material", "key"),
        (key(&format!("  key = \"{public}\"\n  alg = \"HS256\"")), "Invalid alg", "alg"),
        (key(&format!("  key = \"{public}\"\n  kid = \"my kid!\"")), "Invalid kid", "kid"),
        (key(&format!("  key = \"{public}\"\n  kid = \"\"")), "Invalid kid", "kid"),
        (
            block("maskinporten_contact", "  kind = \"sms\"\n  prefix = \"demo\"\n  email = \"a@b.no\""),
            "Invalid kind",
            "kind",
        ),
        (
            block(
                "maskinporten_contact",
                "  kind = \"notification\"\n  prefix = \"demo\"\n  client_id = \"x\"\n  email = \"a@b.no\"",
            ),
            "Give client_id or prefix",
            "client_id",
        ),
        (
            block("maskinporten_contact", "  kind = \"notification\"\n  email = \"a@b.no\""),
            "Give client_id or prefix",
            "maskinporten_contact",
        ),
        (
            block("maskinporten_contact", "  kind = \"notification\"\n  prefix = \"demo\"\n  email = \"nobody\""),
            "Invalid e-mail address",
            "email",
        ),
        (
            block(
                "maskinporten_contact",
                "  kind = \"notification\"\n  prefix = \"demo\"\n  email = \"a@b.no\"\n  phone = \"12\"",
            ),
            "Invalid phone number",
            "phone",
        ),
        (
            block("maskinporten_contact", "  kind = \"invoice\"\n  prefix = \"demo\""),
            "Missing invoice_email",
            "maskinporten_contact",
        ),
        (
            block(
                "maskinporten_contact",
                "  kind = \"notification\"\n  prefix = \"demo\"\n  email = \"a@b.no\"\n  reference = \"PO\"",
            ),
            "reference is for invoice contacts",
            "reference",
        ),
        (
            "data \"maskinporten_organization\" \"x\" {\n  orgno = \"12\"\n}\n".to_string(),
            "Invalid organisation number",
            "orgno",
        ),
    ]
}

/// Diagnostics of `terraform plan -json` (which validates first).
fn diagnostics(out: &str) -> Vec<Value> {
    out.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "diagnostic")
        .map(|v| v["diagnostic"].clone())
        .collect()
}

#[test]
fn forty_and_more_bad_configurations_are_explained_at_their_attribute() {
    let sim = Sim::start();
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let w = Workdir::new(&sim, "1.15", "");
    let mut failures = vec![];
    for (i, (cfg, summary, attr)) in cases.iter().enumerate() {
        w.write(cfg);
        let r = w.run(&["plan", "-json", "-input=false"]);
        failures.extend(explained(i, &r, summary, attr));
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    let writes: Vec<_> = sim.requests().into_iter().filter(|q| q["method"] != "GET" && q["path"] != "/token").collect();
    assert!(writes.is_empty(), "the simulator saw writes: {writes:?}");
}

/// What is wrong with case `i`'s run: it must fail with an error whose summary contains
/// `summary`, whose snippet is the line of `attr`, and whose detail says something.
fn explained(i: usize, r: &crate::harness::Run, summary: &str, attr: &str) -> Vec<String> {
    let mut failures = vec![];
    let diags = diagnostics(&r.stdout);
    let hit = diags.iter().find(|d| d["severity"] == "error" && d["summary"].as_str().unwrap_or("").contains(summary));
    match hit {
        None => failures.push(format!(
            "case {i} ({summary}): exit {} diagnostics {:?}",
            r.code,
            diags.iter().map(|d| d["summary"].clone()).collect::<Vec<_>>()
        )),
        Some(d) => {
            // The line Terraform points at must be the attribute's own assignment, not merely a
            // line that mentions its name (a resource type may contain it).
            // (A case naming a resource type expects the block itself: the attribute is absent.)
            let code = d["snippet"]["code"].as_str().unwrap_or("").trim_start();
            let at_attr = if attr.starts_with("maskinporten_") {
                code.starts_with(&format!("resource \"{attr}\"")) || code.starts_with(&format!("data \"{attr}\""))
            } else {
                code.strip_prefix(attr).is_some_and(|rest| rest.trim_start().starts_with('='))
            };
            if !at_attr {
                failures.push(format!("case {i} ({summary}): points at {code:?}, not {attr} = …"));
            }
            if d["detail"].as_str().unwrap_or("").len() < 20 {
                failures.push(format!("case {i} ({summary}): detail too thin: {}", d["detail"]));
            }
        }
    }
    if r.code == 0 {
        failures.push(format!("case {i} ({summary}): plan succeeded"));
    }
    failures
}

/// The PKCS#12 settings of the provider block: a missing file, a wrong password, a file that
/// is not PKCS#12, both the file and PEM, and a password without a file. The password is never
/// repeated in a diagnostic.
#[test]
fn bad_pkcs12_settings_are_explained_at_their_attribute() {
    let sim = Sim::start();
    let mut w = Workdir::new(&sim, "1.15", "");
    w.env_remove("MASKINPORTEN_PRIVATE_KEY_PEM");
    w.env_remove("MASKINPORTEN_CERTIFICATE_CHAIN_PEM");
    let dir = w.dir.path().display().to_string();
    let p12 = format!("{dir}/virksomhetssertifikat.p12");
    crate::p12::write_org_p12(&sim, "991825827", std::path::Path::new(&p12));
    let cases = [
        (
            format!("pkcs12_file = \"{dir}/missing.p12\"\n  pkcs12_password = \"Hemmelig-991\""),
            "Unreadable PKCS#12 file",
            "pkcs12_file",
        ),
        (
            format!("pkcs12_file = \"{p12}\"\n  pkcs12_password = \"Hemmelig-991\""),
            "Wrong PKCS#12 password",
            "pkcs12_password",
        ),
        (
            format!("pkcs12_file = \"{dir}/main.tf\"\n  pkcs12_password = \"Hemmelig-991\""),
            "Invalid PKCS#12 file",
            "pkcs12_file",
        ),
        (format!("pkcs12_file = \"{p12}\"\n  private_key_pem = \"x\""), "Conflicting signing material", "pkcs12_file"),
        ("pkcs12_password = \"Hemmelig-991\"".to_string(), "pkcs12_password without pkcs12_file", "pkcs12_password"),
    ];
    let mut failures = vec![];
    for (i, (body, summary, attr)) in cases.iter().enumerate() {
        w.write_raw(&format!(
            "terraform {{\n  required_providers {{\n    maskinporten = {{ source = \"digdir/maskinporten\" }}\n  }}\n}}\n\nprovider \"maskinporten\" {{\n  {body}\n}}\n\n{SCOPE}"
        ));
        let r = w.run(&["plan", "-json", "-input=false"]);
        failures.extend(explained(i, &r, summary, attr));
        // Terraform's snippet quotes the configuration line; the provider's words must not.
        let words: Vec<String> =
            diagnostics(&r.stdout).iter().map(|d| format!("{} {}", d["summary"], d["detail"])).collect();
        if words.iter().any(|t| t.contains("Hemmelig-991")) {
            failures.push(format!("case {i} ({summary}): a diagnostic repeats the password"));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    assert!(sim.requests().is_empty(), "nothing reached the simulator: {:?}", sim.requests());
}

/// Durations and counts that would once have panicked inside an RPC (an `Instant` overflow, a
/// semaphore with more permits than it can hold) are diagnostics at their attribute.
#[test]
fn huge_durations_and_counts_are_explained_at_their_attribute() {
    let sim = Sim::start();
    let w = Workdir::new(&sim, "1.15", "");
    let provider = |body: &str| {
        format!(
            "terraform {{\n  required_providers {{\n    maskinporten = {{ source = \"digdir/maskinporten\" }}\n  }}\n}}\n\nprovider \"maskinporten\" {{\n  {body}\n}}\n\n{SCOPE}"
        )
    };
    let token = "ephemeral \"maskinporten_access_token\" \"t\" {\n  client_id = \"x\"\n  kid = \"k\"\n  private_key_pem = \"-----BEGIN PRIVATE KEY-----\"\n  scopes = [\"demo:x\"]\n  propagation_timeout = \"99999999999y\"\n}\n";
    let cases = [
        (provider("request_timeout = \"99999999999y\""), "request_timeout too long", "request_timeout"),
        (
            provider("max_concurrent_requests = 9223372036854775807"),
            "Invalid max_concurrent_requests",
            "max_concurrent_requests",
        ),
        (provider("max_retries = -1"), "Invalid max_retries", "max_retries"),
        (
            provider(&format!("}}\n\n{token}\nlocals {{\n  x = 1")),
            "propagation_timeout too long",
            "propagation_timeout",
        ),
    ];
    let mut failures = vec![];
    for (i, (cfg, summary, attr)) in cases.iter().enumerate() {
        w.write_raw(cfg);
        let r = w.run(&["plan", "-json", "-input=false"]);
        failures.extend(explained(i, &r, summary, attr));
        if r.stderr.contains("panicked") || r.stdout.contains("internal error") {
            failures.push(format!("case {i}: a panic"));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
