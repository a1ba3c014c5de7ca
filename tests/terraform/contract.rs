//! Every request the simulator received, checked against Digdir's own contract: the request
//! types of Digdir's OpenAPI description (`tests/fixtures/digdir/digdir-openapi-types.json`,
//! extracted from Digdir's 2025 web client; provenance in that folder's README). The simulator
//! is lenient about unknown fields, as a Spring service may be; Digdir's types are the
//! authority on what the provider should send. Run on every simulator a test started (see
//! `Sim`'s `Drop` in the harness), so every end-to-end test is also a contract test.
//!
//! A violation: an operation Digdir's API lacks; a body field the request type lacks; a field
//! the type marks read-only; an enum value Digdir lacks; a private JWK member; a client lifetime
//! of 0 (refused since 2025-07, docs/development/digdir-api.md, "Clients").

use serde_json::{Map, Value};
use std::sync::OnceLock;

fn types() -> &'static Value {
    static TYPES: OnceLock<Value> = OnceLock::new();
    TYPES.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/digdir/digdir-openapi-types.json");
        serde_json::from_str(&std::fs::read_to_string(path).expect("the OpenAPI types fixture")).expect("JSON")
    })
}

/// Fields real answers carry that Digdir's types lack, which the provider may echo back:
/// `protected` and `supports_european_businesses` on scopes (live catalogue fixture), and the
/// multilingual `description#<lang>` / `long_description#<lang>` ("not included in swagger",
/// Digdir's own web client).
fn known_extra(schema: &str, field: &str) -> bool {
    schema == "Scope_ScopeExternal"
        && (["protected", "supports_european_businesses"].contains(&field)
            || field.starts_with("description#")
            || field.starts_with("long_description#"))
}

/// The operation template (`PUT /api/v1/clients/{id}`) a concrete request matches.
fn operation(method: &str, path: &str) -> Option<(&'static str, &'static Value)> {
    let ops = types()["operations"].as_object()?;
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    ops.iter().find_map(|(key, op)| {
        let (m, template) = key.split_once(' ')?;
        let t: Vec<&str> = template.split('/').collect();
        let fits = m == method
            && t.len() == segs.len()
            && t.iter().zip(&segs).all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s);
        fits.then_some((key.as_str(), op))
    })
}

fn check_object(schema_name: &str, body: &Map<String, Value>, at: &str, out: &mut Vec<String>) {
    let Some(schema) = types()["schemas"][schema_name].as_object() else {
        out.push(format!("{at}: no schema {schema_name} in the fixture"));
        return;
    };
    for (field, value) in body {
        let Some(spec) = schema.get(field) else {
            if !known_extra(schema_name, field) {
                out.push(format!("{at}: field {field:?} is not in Digdir's {schema_name}"));
            }
            continue;
        };
        if spec["readonly"] == true {
            out.push(format!("{at}: field {field:?} is read-only in Digdir's {schema_name}"));
        }
        if let Some(allowed) = spec["enum"].as_array() {
            let values: Vec<&Value> = match value {
                Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            for v in values.into_iter().filter(|v| !v.is_null()) {
                if !allowed.contains(v) {
                    out.push(format!("{at}: {field} = {v} is not one of Digdir's {allowed:?}"));
                }
            }
        }
        if let Some(child) = spec["ref"].as_str() {
            let items: Vec<&Value> = match value {
                Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            for (i, item) in items.into_iter().enumerate() {
                if let Some(obj) = item.as_object() {
                    check_object(child, obj, &format!("{at}.{field}[{i}]"), out);
                }
            }
        }
    }
    if schema_name == "JsonWebKey" {
        for m in ["d", "p", "q", "dp", "dq", "qi"] {
            if body.contains_key(m) {
                out.push(format!("{at}: private JWK member {m:?} sent"));
            }
        }
    }
    if schema_name.ends_with("ClientRequest") {
        for f in ["access_token_lifetime", "authorization_lifetime", "refresh_token_lifetime"] {
            if body.get(f).is_some_and(|v| v.as_i64() == Some(0)) {
                out.push(format!("{at}: {f} = 0, which Digdir refuses since 2025-07"));
            }
        }
    }
}

/// The violations in one logged request (`{method, path, query, body, status}` from the
/// simulator's log).
pub fn violations(req: &Value) -> Vec<String> {
    let (method, path) = (req["method"].as_str().unwrap_or(""), req["path"].as_str().unwrap_or(""));
    // Not Digdir's: the token endpoint and its metadata, and the merchant-data contract, which is
    // this project's own proposal (docs/merchant-data-api.md).
    if !path.starts_with("/api/") || path.starts_with("/api/v1/contacts") {
        return vec![];
    }
    let at = format!("{method} {path}");
    let Some((_, op)) = operation(method, path) else {
        return vec![format!("{at}: Digdir's API has no such operation")];
    };
    let mut out = vec![];
    match (&req["body"], op["request"].as_str()) {
        (Value::Null, _) => {}
        (Value::Object(body), Some(schema)) => check_object(schema, body, &at, &mut out),
        (body, None) => out.push(format!("{at}: Digdir's operation takes no JSON body, got {body}")),
        (body, Some(schema)) => out.push(format!("{at}: expected a {schema} object, got {body}")),
    }
    out
}

/// Every violation in a request log.
pub fn check_log(requests: &[Value]) -> Vec<String> {
    requests.iter().flat_map(violations).collect()
}

#[test]
fn the_checker_catches_what_digdir_would_refuse() {
    let req = |method: &str, path: &str, body: Value| serde_json::json!({"method": method, "path": path, "body": body});
    let ok = req("PUT", "/api/v1/clients/abc", serde_json::json!({"client_name": "x", "access_token_lifetime": 120}));
    assert_eq!(violations(&ok), Vec::<String>::new());
    let cases = [
        (req("PUT", "/api/v1/clients/abc", serde_json::json!({"client_nmae": "x"})), "not in Digdir's"),
        (req("PUT", "/api/v1/clients/abc", serde_json::json!({"access_token_lifetime": 0})), "refuses"),
        (req("POST", "/api/v1/scopes", serde_json::json!({"created": "2025-01-01"})), "read-only"),
        (req("POST", "/api/v1/scopes", serde_json::json!({"visibility": "SECRET"})), "not one of"),
        (
            req("POST", "/api/v1/clients/abc/jwks", serde_json::json!({"keys": [{"kty": "RSA", "d": "x"}]})),
            "private JWK",
        ),
        (req("PUT", "/api/v1/clients/abc/jwks/k1", serde_json::json!({"use": "enc"})), "not one of"),
        (req("GET", "/api/v1/nothing", Value::Null), "no such operation"),
    ];
    for (r, expected) in cases {
        let v = violations(&r);
        assert!(v.iter().any(|x| x.contains(expected)), "{r}: {v:?}");
    }
    let echoed = req("PUT", "/api/v1/scopes", serde_json::json!({"protected": false, "description#en": "x"}));
    assert_eq!(violations(&echoed), Vec::<String>::new(), "real answers' extra fields may be echoed");
}
