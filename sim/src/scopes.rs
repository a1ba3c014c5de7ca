//! Scopes, prefixes and grants (docs/development/digdir-api.md, "Scopes",
//! "Organisations, prefixes and delegation sources" and "Grants"; every section cited in this file
//! is a heading of that page).

use crate::auth::require;
use crate::errors::{self, Answer, now_rfc3339};
use crate::store::{Access, Store};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

type Q = Query<HashMap<String, String>>;
const INTEGRATION_TYPES: &[&str] =
    &["ansattporten", "api_klient", "eformidling", "idporten", "idporten_saml2", "krr", "maskinporten"];

fn flag(q: &HashMap<String, String>, k: &str) -> bool {
    q.get(k).is_some_and(|v| v == "true")
}

/// Digdir answers some empty lists with an error instead of `[]` ("Errors").
fn list_or_quirk(s: &Store, items: Vec<Value>, what: &str, org: &str) -> Response {
    if items.is_empty() && s.empty_list_quirk {
        return errors::api(404, &format!("Organization {org} does not have any {what}"));
    }
    Json(Value::Array(items)).into_response()
}

/// Organisation numbers: nine digits, mod-11 check digit (weights 3 2 7 6 5 4 3 2).
pub fn orgno_valid(o: &str) -> bool {
    if o.len() != 9 || !o.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let d: Vec<u32> = o.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = [3, 2, 7, 6, 5, 4, 3, 2].iter().zip(&d).map(|(w, x)| w * x).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    check == d[8]
}

/// Validate a scope body and fill Digdir's defaults. Field errors → 400 ("Scopes").
fn normalise(mut body: Map<String, Value>, creating: bool) -> Result<Map<String, Value>, Response> {
    let mut errs = vec![];
    for f in ["prefix", "subscope", "description"] {
        if body.get(f).and_then(Value::as_str).is_none_or(str::is_empty) && (creating || f == "description") {
            errs.push((f, format!("{f} is required")));
        }
    }
    let enum_check = |f: &str, allowed: &[&str], errs: &mut Vec<(&'static str, String)>, name: &'static str| {
        if let Some(v) = body.get(f).filter(|v| !v.is_null())
            && !v.as_str().is_some_and(|s| allowed.contains(&s))
        {
            errs.push((name, format!("{f} must be one of {}", allowed.join(", "))));
        }
    };
    enum_check("token_type", &["SELF_CONTAINED", "OPAQUE"], &mut errs, "token_type");
    // INTERNAL is Digdir-internal; external organisations cannot use it ("Scopes" [U]).
    enum_check("visibility", &["PUBLIC", "PRIVATE"], &mut errs, "visibility");
    if let Some(types) = body.get("allowed_integration_types").and_then(Value::as_array)
        && types.iter().any(|t| !t.as_str().is_some_and(|t| INTEGRATION_TYPES.contains(&t)))
    {
        errs.push(("allowed_integration_types", "unknown integration type".into()));
    }
    for f in ["at_max_age", "authorization_max_lifetime"] {
        if body.get(f).is_some_and(|v| !v.is_null() && v.as_i64().is_none_or(|n| n < 0)) {
            errs.push(if f == "at_max_age" {
                ("at_max_age", "must be >= 0".into())
            } else {
                ("authorization_max_lifetime", "must be >= 0".into())
            });
        }
    }
    if !errs.is_empty() {
        return Err(errors::fields(400, "Scope", &errs));
    }
    let defaults = [
        ("token_type", json!("SELF_CONTAINED")),
        ("visibility", json!("PUBLIC")),
        ("requires_user_consent", json!(false)),
        ("requires_user_authentication", json!(false)),
        ("requires_pseudonymous_tokens", json!(false)),
        ("accessible_for_all", json!(false)),
        ("at_max_age", json!(0)),
        ("authorization_max_lifetime", json!(0)),
        ("allowed_integration_types", json!([])),
        // Present in live responses, not in the spec (fixture scopes-all-prod-excerpt.json).
        ("protected", json!(false)),
        ("supports_european_businesses", json!(false)),
    ];
    for (k, v) in defaults {
        if body.get(k).is_none_or(Value::is_null) {
            body.insert(k.into(), v);
        }
    }
    Ok(body)
}

pub async fn list(State(s): State<Arc<Store>>, h: HeaderMap, q: Q) -> Answer {
    let org = require(&s, &h, "GET /api/v1/scopes")?.org;
    let inactive = flag(&q, "inactive");
    let items: Vec<Value> = s
        .lock()
        .scopes
        .values()
        .filter(|x| x["owner_orgno"] == org.as_str() && (inactive || x["active"] == true))
        .map(|x| Value::Object(x.clone()))
        .collect();
    Ok(list_or_quirk(&s, items, "scopes", &org))
}

pub async fn get_one(State(s): State<Arc<Store>>, h: HeaderMap, q: Q) -> Answer {
    let org = require(&s, &h, "GET /api/v1/scopes/scope")?.org;
    let name = q.get("scope").cloned().unwrap_or_default();
    match s.lock().scopes.get(&name) {
        None => Err(errors::api(404, &format!("Scope {name} not found"))),
        Some(x) if s.hide_deactivated_on_get && x["active"] == false => {
            Err(errors::api(404, &format!("Scope {name} not found")))
        }
        Some(x) if x["owner_orgno"] != org.as_str() => Err(errors::forbidden()),
        Some(x) => Ok(Json(Value::Object(x.clone())).into_response()),
    }
}

pub async fn create(State(s): State<Arc<Store>>, h: HeaderMap, body: Option<Json<Value>>) -> Answer {
    let org = require(&s, &h, "POST /api/v1/scopes")?.org;
    let mut b = normalise(errors::body_object(body)?, true)?;
    let (prefix, subscope) =
        (b["prefix"].as_str().unwrap_or("").to_string(), b["subscope"].as_str().unwrap_or("").to_string());
    // "Den autentiserte organisasjonen vil bli eier" — only of its own prefixes ("Scopes" [I]).
    if !s.org(&org).is_some_and(|o| o.prefixes.contains(&prefix)) {
        return Err(errors::api(403, &format!("Organization {org} does not own prefix {prefix}")));
    }
    let name = format!("{prefix}:{subscope}");
    let mut d = s.lock();
    if let Some(existing) = d.scopes.get(&name) {
        // "Deaktiverte entiteter vil ikke reaktiveres ved POST og man får 409 Conflict" ("Scopes").
        let why = if existing["active"] == true { "already exists" } else { "is deactivated; reactivate it with PUT" };
        return Err(errors::api(409, &format!("Ressursen er ikke i riktig tilstand: scope {name} {why}")));
    }
    let now = now_rfc3339();
    b.insert("name".into(), json!(name));
    b.insert("owner_orgno".into(), json!(org));
    b.insert("active".into(), json!(true));
    b.insert("created".into(), json!(now));
    b.insert("last_updated".into(), json!(now));
    d.scopes.insert(name, b.clone());
    Ok(Json(Value::Object(b)).into_response())
}

pub async fn update(State(s): State<Arc<Store>>, h: HeaderMap, q: Q, body: Option<Json<Value>>) -> Answer {
    let org = require(&s, &h, "PUT /api/v1/scopes")?.org;
    let name = q.get("scope").cloned().unwrap_or_default();
    let mut b = normalise(errors::body_object(body)?, false)?;
    let mut d = s.lock();
    let Some(existing) = d.scopes.get(&name).cloned() else {
        return Err(errors::api(404, &format!("Scope {name} not found")));
    };
    if existing["owner_orgno"] != org.as_str() {
        return Err(errors::forbidden());
    }
    // "Selve scope-navnet kan ikke endres" ("Scopes").
    for f in ["prefix", "subscope"] {
        if b.get(f).is_some_and(|v| *v != existing[f]) {
            return Err(errors::fields(
                400,
                "Scope",
                &[(if f == "prefix" { "prefix" } else { "subscope" }, format!("{f} cannot be changed"))],
            ));
        }
        b.insert(f.into(), existing[f].clone());
    }
    // A PUT without `active` deactivates the scope (digdirator 8471dac; "Scopes" [I]).
    let active = b.get("active").and_then(Value::as_bool).unwrap_or(false);
    b.insert("active".into(), json!(active));
    b.insert("name".into(), json!(name));
    b.insert("owner_orgno".into(), json!(org));
    b.insert("created".into(), existing["created"].clone());
    b.insert("last_updated".into(), json!(now_rfc3339()));
    d.scopes.insert(name, b.clone());
    Ok(Json(Value::Object(b)).into_response())
}

pub async fn deactivate(State(s): State<Arc<Store>>, h: HeaderMap, q: Q) -> Answer {
    let org = require(&s, &h, "DELETE /api/v1/scopes")?.org;
    let name = q.get("scope").cloned().unwrap_or_default();
    let mut d = s.lock();
    let Some(x) = d.scopes.get_mut(&name) else { return Err(errors::api(404, &format!("Scope {name} not found"))) };
    if x["owner_orgno"] != org.as_str() {
        return Err(errors::forbidden());
    }
    // Soft delete; "Konsumenters tilgang beholdes": grants are kept ("Scopes").
    x.insert("active".into(), json!(false));
    x.insert("last_updated".into(), json!(now_rfc3339()));
    Ok(Json(Value::Object(x.clone())).into_response())
}

pub async fn catalogue(State(s): State<Arc<Store>>, q: Q) -> Response {
    let inactive = flag(&q, "inactive");
    let items: Vec<Value> = s
        .lock()
        .scopes
        .values()
        .filter(|x| x["visibility"] == "PUBLIC" && (inactive || x["active"] == true))
        .filter(|x| q.get("prefix").is_none_or(|p| x["prefix"] == p.as_str()))
        .filter(|x| !flag(&q, "accessible_for_all") || x["accessible_for_all"] == true)
        .filter(|x| !flag(&q, "delegated_sources") || x.get("delegation_source").is_some_and(|d| d.is_string()))
        .filter(|x| {
            q.get("integration_type").is_none_or(|t| {
                let types = x["allowed_integration_types"].as_array().cloned().unwrap_or_default();
                types.is_empty() || types.iter().any(|a| a.as_str().is_some_and(|a| a.eq_ignore_ascii_case(t)))
            })
        })
        .map(|x| Value::Object(x.clone()))
        .collect();
    Json(Value::Array(items)).into_response()
}

fn prefix_json(prefix: &str, orgno: &str) -> Value {
    json!({"prefix": prefix, "owner_orgno": orgno, "organization_name": Store::org_name(orgno), "active": true, "created": "2024-01-01T00:00:00Z", "last_updated": "2024-01-01T00:00:00Z"})
}

pub async fn prefixes(State(s): State<Arc<Store>>, h: HeaderMap) -> Answer {
    let org = require(&s, &h, "GET /api/v1/prefix")?.org;
    let items = s.org(&org).map(|o| o.prefixes.iter().map(|p| prefix_json(p, &org)).collect()).unwrap_or_default();
    Ok(list_or_quirk(&s, items, "prefixes", &org))
}

pub async fn all_prefixes(State(s): State<Arc<Store>>) -> Json<Value> {
    Json(Value::Array(s.orgs.iter().flat_map(|o| o.prefixes.iter().map(|p| prefix_json(p, &o.orgno))).collect()))
}

pub async fn delegation_sources() -> Json<Value> {
    Json(
        json!([{"name": "altinn", "issuer": "https://tt02.altinn.no/", "created": "2023-01-01T00:00:00Z", "last_updated": "2023-01-01T00:00:00Z"}]),
    )
}

pub async fn organization(Path(orgno): Path<String>) -> Response {
    if !orgno_valid(&orgno) {
        return errors::api(400, &format!("{orgno} is not a valid organization number"));
    }
    Json(json!({"orgnr": orgno, "name": Store::org_name(&orgno)})).into_response()
}

pub async fn list_access(State(s): State<Arc<Store>>, h: HeaderMap, q: Q) -> Answer {
    let org = require(&s, &h, "GET /api/v1/scopes/access")?.org;
    let inactive = flag(&q, "inactive");
    let items: Vec<Value> = s
        .lock()
        .accesses
        .iter()
        .filter(|a| a.owner == org && (inactive || a.active))
        .filter(|a| {
            q.get("scope").is_none_or(|x| *x == a.scope) && q.get("consumer_orgno").is_none_or(|x| *x == a.consumer)
        })
        .map(Access::to_json)
        .collect();
    Ok(list_or_quirk(&s, items, "scope accesses", &org))
}

pub async fn received_access(State(s): State<Arc<Store>>, h: HeaderMap, q: Q) -> Answer {
    let org = require(&s, &h, "GET /api/v1/scopes/access/all")?.org;
    let inactive = flag(&q, "inactive");
    let items: Vec<Value> =
        s.lock().accesses.iter().filter(|a| a.consumer == org && (inactive || a.active)).map(Access::to_json).collect();
    Ok(list_or_quirk(&s, items, "scope accesses", &org))
}

pub async fn grant(State(s): State<Arc<Store>>, h: HeaderMap, Path(consumer): Path<String>, q: Q) -> Answer {
    let org = require(&s, &h, "PUT /api/v1/scopes/access/{consumer_orgno}")?.org;
    let scope = q.get("scope").cloned().unwrap_or_default();
    // An invalid consumer orgno → 400 (digdirator treats it as "invalid consumer"; "Grants").
    if !orgno_valid(&consumer) {
        return Err(errors::fields(
            400,
            "ScopeAccess",
            &[("consumer_orgno", format!("{consumer} is not a valid organization number"))],
        ));
    }
    let mut d = s.lock();
    match d.scopes.get(&scope) {
        None => return Err(errors::api(404, &format!("Scope {scope} not found"))),
        Some(x) if x["owner_orgno"] != org.as_str() => return Err(errors::forbidden()),
        Some(_) => {}
    }
    let now = now_rfc3339();
    let access = match d.accesses.iter_mut().find(|a| a.scope == scope && a.consumer == consumer) {
        // Idempotent on an approved grant ("Grants" [U]); a revoked one is approved again.
        Some(a) => {
            if !(a.active && a.state == "APPROVED") {
                a.active = true;
                a.state = "APPROVED";
                a.last_updated = now;
            }
            a.clone()
        }
        None => {
            let a = Access {
                scope,
                owner: org,
                consumer,
                state: "APPROVED",
                active: true,
                created: now.clone(),
                last_updated: now,
            };
            d.accesses.push(a.clone());
            a
        }
    };
    Ok(Json(access.to_json()).into_response())
}

pub async fn revoke(State(s): State<Arc<Store>>, h: HeaderMap, Path(consumer): Path<String>, q: Q) -> Answer {
    let org = require(&s, &h, "DELETE /api/v1/scopes/access/{consumer_orgno}")?.org;
    let scope = q.get("scope").cloned().unwrap_or_default();
    let mut d = s.lock();
    match d.accesses.iter_mut().find(|a| a.scope == scope && a.consumer == consumer && a.owner == org) {
        None => Err(errors::api(404, &format!("No access to {scope} for {consumer}"))),
        Some(a) => {
            // Never deleted; revoked grants surface as DENIED with inactive=true ("Grants" [I]).
            a.active = false;
            a.state = "DENIED";
            a.last_updated = now_rfc3339();
            Ok(Json(a.to_json()).into_response())
        }
    }
}
