//! Clients (integrations) (docs/development/digdir-api.md, "Clients"; every section cited in this
//! file is a heading of that page); their keys are in [`crate::keys`].

use crate::auth::require;
use crate::errors::{self, Answer, now_rfc3339};
use crate::store::Store;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

type Q = Query<HashMap<String, String>>;
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// May `org` put `scope` on a client: its own scope, an APPROVED grant, `accessible_for_all`, or
/// (for suppliers) a delegation-source scope ("Clients").
fn scope_usable(d: &crate::store::Data, org: &str, scope: &str, supplier: bool) -> bool {
    let Some(s) = d.scopes.get(scope).filter(|s| s["active"] == true) else { return false };
    s["owner_orgno"] == org
        || s["accessible_for_all"] == true
        || (supplier && s.get("delegation_source").is_some_and(Value::is_string))
        || d.accesses.iter().any(|a| a.scope == scope && a.consumer == org && a.active && a.state == "APPROVED")
}

/// Validate a client body ("Clients") and fill Digdir's defaults.
fn normalise(
    s: &Store,
    org: &str,
    mut b: Map<String, Value>,
    existing: Option<&Map<String, Value>>,
) -> Result<Map<String, Value>, Response> {
    let mut errs: Vec<(&str, String)> = vec![];
    let it = b.get("integration_type").and_then(Value::as_str).unwrap_or("").to_string();
    if !["ansattporten", "api_klient", "eformidling", "idporten", "idporten_saml2", "krr", "maskinporten"]
        .contains(&it.as_str())
    {
        errs.push(("integration_type", "integration_type is required and must be a known type".into()));
    }
    if let Some(e) = existing
        && e["integration_type"] != it.as_str()
    {
        errs.push(("integration_type", "integration_type cannot be changed".into()));
    }
    for (f, allowed) in [
        ("application_type", &["web", "browser", "native"][..]),
        ("token_endpoint_auth_method", &["client_secret_post", "client_secret_basic", "private_key_jwt", "none"][..]),
    ] {
        if let Some(v) = b.get(f).filter(|v| !v.is_null())
            && !v.as_str().is_some_and(|v| allowed.contains(&v))
        {
            errs.push((
                if f == "application_type" { "application_type" } else { "token_endpoint_auth_method" },
                format!("{f} must be one of {}", allowed.join(", ")),
            ));
        }
    }
    // Since 2025-07 a lifetime of 0 is refused; omit it for the default ("Clients").
    for f in ["access_token_lifetime", "authorization_lifetime", "refresh_token_lifetime"] {
        if b.get(f).is_some_and(|v| !v.is_null() && v.as_i64().is_none_or(|n| n <= 0)) {
            errs.push((
                match f {
                    "access_token_lifetime" => "access_token_lifetime",
                    "authorization_lifetime" => "authorization_lifetime",
                    _ => "refresh_token_lifetime",
                },
                format!("{f} must be greater than 0"),
            ));
        }
    }
    let client_orgno = b
        .get("client_orgno")
        .and_then(Value::as_str)
        .map(String::from)
        .or_else(|| existing.and_then(|e| e["client_orgno"].as_str().map(String::from)))
        .unwrap_or_else(|| org.to_string());
    let supplier = client_orgno != org;
    let scopes: Vec<String> = b
        .get("scopes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default();
    // Registering a client without scopes was rejected ("Clients" [I]).
    if scopes.is_empty() && it == "maskinporten" {
        errs.push(("scopes", "a Maskinporten client needs at least one scope".into()));
    }
    {
        let d = s.lock();
        for sc in &scopes {
            if !scope_usable(&d, &client_orgno, sc, supplier) {
                errs.push(("scopes", format!("Organization {client_orgno} does not have access to scope {sc}")));
            }
        }
    }
    if !errs.is_empty() {
        return Err(errors::fields(400, "Client", &errs));
    }
    let defaults = [
        ("application_type", json!("web")),
        ("token_endpoint_auth_method", json!("private_key_jwt")),
        ("grant_types", json!([JWT_BEARER])),
        ("access_token_lifetime", json!(120)),
        ("authorization_lifetime", json!(7200)),
        ("refresh_token_lifetime", json!(600)),
        ("refresh_token_usage", json!("ONETIME")),
        ("active", json!(true)),
    ];
    for (k, v) in defaults {
        if b.get(k).is_none_or(Value::is_null) {
            b.insert(k.into(), v);
        }
    }
    b.insert("client_orgno".into(), json!(client_orgno));
    if supplier {
        b.insert("supplier_orgno".into(), json!(org));
    } else {
        b.remove("supplier_orgno");
    }
    for f in ["created", "last_updated", "jwks", "client_secret"] {
        b.remove(f);
    }
    Ok(b)
}

pub fn owned<'a>(d: &'a mut crate::store::Data, org: &str, id: &str) -> Result<&'a mut Map<String, Value>, Response> {
    match d.clients.get_mut(id) {
        None => Err(errors::api(404, &format!("Client {id} not found"))),
        Some(c) if c["owner_orgno"] != org => Err(errors::forbidden()),
        Some(c) => Ok(c),
    }
}

fn served(c: &Map<String, Value>) -> Value {
    let mut c = c.clone();
    c.remove("owner_orgno");
    Value::Object(c)
}

/// A client response carries `jwks`, the read-only view of its registered keys (absent when
/// it has none; "Clients").
fn with_jwks(mut c: Value, d: &crate::store::Data) -> Value {
    let keys = c["client_id"].as_str().and_then(|id| d.keys.get(id)).filter(|k| !k.is_empty()).cloned();
    if let (Some(keys), Some(m)) = (keys, c.as_object_mut()) {
        m.insert("jwks".into(), json!({ "keys": keys }));
    }
    c
}

pub async fn list(State(s): State<Arc<Store>>, h: HeaderMap, q: Q) -> Answer {
    let org = require(&s, &h, "GET /api/v1/clients")?.org;
    let inactive = q.get("inactive").is_some_and(|v| v == "true");
    let d = s.lock();
    let items: Vec<Value> = d
        .clients
        .values()
        .filter(|c| c["owner_orgno"] == org.as_str() && (inactive || c["active"] == true))
        .map(|c| with_jwks(served(c), &d))
        .collect();
    Ok(Json(Value::Array(items)).into_response())
}

pub async fn create(State(s): State<Arc<Store>>, h: HeaderMap, body: Option<Json<Value>>) -> Answer {
    let caller = require(&s, &h, "POST /api/v1/clients")?;
    let org = caller.org.clone();
    let b = errors::body_object(body)?;
    // A supplier registers for another organisation with idporten:dcr.supplier ("Admin scopes").
    if b.get("client_orgno").and_then(Value::as_str).is_some_and(|c| c != org) && !caller.has("idporten:dcr.supplier") {
        return Err(errors::forbidden());
    }
    let mut c = normalise(&s, &org, b, None)?;
    let id = errors::stamp_new(&mut c, "client_id");
    c.insert("jwks_uri".into(), json!(format!("/clients/{id}/jwks")));
    c.insert("owner_orgno".into(), json!(org));
    let mut d = s.lock();
    d.changed.insert(id.clone(), std::time::Instant::now());
    d.clients.insert(id, c.clone());
    Ok(Json(served(&c)).into_response())
}

pub async fn get_one(State(s): State<Arc<Store>>, h: HeaderMap, Path(id): Path<String>) -> Answer {
    let org = require(&s, &h, "GET /api/v1/clients/{id}")?.org;
    let mut d = s.lock();
    let c = owned(&mut d, &org, &id)?;
    if s.hide_deactivated_on_get && c["active"] == false {
        return Err(errors::api(404, &format!("Client {id} not found")));
    }
    Ok(Json(served(c)).into_response())
}

pub async fn update(
    State(s): State<Arc<Store>>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Answer {
    let org = require(&s, &h, "PUT /api/v1/clients/{id}")?.org;
    let b = errors::body_object(body)?;
    let existing = owned(&mut s.lock(), &org, &id)?.clone();
    let mut c = normalise(&s, &org, b, Some(&existing))?;
    for k in ["client_id", "created", "jwks_uri", "owner_orgno"] {
        c.insert(k.into(), existing[k].clone());
    }
    c.insert("last_updated".into(), json!(now_rfc3339()));
    let mut d = s.lock();
    d.changed.insert(id.clone(), std::time::Instant::now());
    d.clients.insert(id, c.clone());
    Ok(Json(served(&c)).into_response())
}

pub async fn deactivate(State(s): State<Arc<Store>>, h: HeaderMap, Path(id): Path<String>) -> Answer {
    let org = require(&s, &h, "DELETE /api/v1/clients/{id}")?.org;
    // Never hard-deleted ("Clients"); the answer is an empty 200.
    owned(&mut s.lock(), &org, &id)?.insert("active".into(), json!(false));
    Ok(axum::http::StatusCode::OK.into_response())
}

/// A client as Digdir holds one registered before 2025 ("Clients", "Keys"): lifetimes it never
/// set read back as `0` (which a PUT may no longer send), and one key registered before `use`
/// became required, without `use` and `alg`. For tests of what the provider sends back.
pub fn seed_legacy(s: &Store, orgno: &str, scopes: &[&str], key: (String, String)) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let c = json!({
        "client_id": id, "client_name": "legacy-integration", "description": "Registered in 2023",
        "client_orgno": orgno, "owner_orgno": orgno, "active": true, "integration_type": "maskinporten",
        "application_type": "web", "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": [JWT_BEARER], "scopes": scopes, "access_token_lifetime": 0,
        "authorization_lifetime": 0, "refresh_token_lifetime": 0, "refresh_token_usage": "ONETIME",
        "created": "2023-03-01T10:20:43.354+01:00", "last_updated": "2023-03-01T10:20:43.354+01:00",
        "jwks_uri": format!("/clients/{id}/jwks"),
    });
    let legacy_key = json!({"kty": "RSA", "kid": format!("legacy-{}", &id[..8]), "n": key.0, "e": key.1,
        "exp": 4_102_444_800i64, "created": "2023-03-01T10:20:43.354+01:00", "last_updated": "2023-03-01T10:20:43.354+01:00"});
    let mut d = s.lock();
    if let Value::Object(m) = c {
        d.clients.insert(id.clone(), m);
    }
    d.keys.insert(id.clone(), vec![legacy_key]);
    id
}
