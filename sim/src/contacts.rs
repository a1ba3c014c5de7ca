//! The merchant-data contract of `docs/merchant-data-api.md` (not Digdir's API: Digdir has no such
//! endpoint: docs/development/digdir-api.md, "Merchant data"). Contacts attach to a client or to
//! the API-provider side (a prefix) of the caller's organisation; DELETE deactivates.

use crate::auth::require_merchant as require;
use crate::errors::{self, Answer, now_rfc3339};
use crate::store::Store;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

const READ: &[&str] = &["idporten:dcr.read", "idporten:scopes.read", "idporten:dcr.write", "idporten:scopes.write"];
const WRITE: &[&str] = &["idporten:dcr.write", "idporten:scopes.write"];
const FIELDS: &[&str] =
    &["kind", "client_id", "prefix", "name", "email", "phone", "invoice_email", "address", "reference", "active"];

fn email_ok(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
}

/// E.164 (`+` and 8–15 digits) or a Norwegian number: 8 digits, spaces allowed.
fn phone_ok(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    match digits.strip_prefix('+') {
        Some(rest) => (8..=15).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit()),
        None => digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()),
    }
}

fn str_of<'a>(b: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    b.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Validate a contact body for `org`; returns the stored form.
fn validate(
    s: &Store,
    org: &str,
    body: Map<String, Value>,
    existing: Option<&Map<String, Value>>,
) -> Result<Map<String, Value>, Response> {
    let mut c: Map<String, Value> = body.into_iter().filter(|(k, _)| FIELDS.contains(&k.as_str())).collect();
    let mut errs: Vec<(&str, String)> = vec![];
    let kind = str_of(&c, "kind").unwrap_or("").to_string();
    if kind != "notification" && kind != "invoice" {
        errs.push(("kind", "kind must be notification or invoice".into()));
    }
    match (str_of(&c, "client_id"), str_of(&c, "prefix")) {
        (Some(id), None) => {
            let d = s.lock();
            match d.clients.get(id) {
                None => {
                    return Err(errors::fields(
                        400,
                        "Contact",
                        &[("client_id", format!("client {id} does not exist"))],
                    ));
                }
                Some(cl) if cl["owner_orgno"] != org => {
                    return Err(errors::api(403, "Autentisert bruker/system har ikke korrekte rettigheter"));
                }
                Some(_) => {}
            }
        }
        (None, Some(p)) => {
            if !s.org(org).is_some_and(|o| o.prefixes.iter().any(|x| x == p)) {
                return Err(errors::api(403, &format!("Organization {org} does not own prefix {p}")));
            }
        }
        _ => errs.push(("client_id", "exactly one of client_id and prefix is required".into())),
    }
    if let Some(e) = existing {
        for f in ["kind", "client_id", "prefix"] {
            if c.get(f).unwrap_or(&Value::Null) != e.get(f).unwrap_or(&Value::Null) {
                errs.push((
                    if f == "kind" {
                        "kind"
                    } else if f == "prefix" {
                        "prefix"
                    } else {
                        "client_id"
                    },
                    format!("{f} cannot be changed"),
                ));
            }
        }
    }
    for f in ["email", "invoice_email"] {
        if let Some(v) = str_of(&c, f)
            && !email_ok(v)
        {
            errs.push((
                if f == "email" { "email" } else { "invoice_email" },
                format!("{v:?} is not an e-mail address"),
            ));
        }
    }
    if let Some(p) = str_of(&c, "phone")
        && !phone_ok(p)
    {
        errs.push(("phone", format!("{p:?} is neither E.164 nor a Norwegian phone number")));
    }
    if kind == "notification" && str_of(&c, "email").is_none() {
        errs.push(("email", "a notification contact needs an e-mail address".into()));
    }
    if kind == "invoice" && str_of(&c, "invoice_email").is_none() {
        errs.push(("invoice_email", "an invoice contact needs invoice_email".into()));
    }
    if !errs.is_empty() {
        return Err(errors::fields(400, "Contact", &errs));
    }
    let active = c.get("active").and_then(Value::as_bool).unwrap_or(true);
    c.insert("active".into(), json!(active));
    c.insert("owner_orgno".into(), json!(org));
    Ok(c)
}

pub async fn list(State(s): State<Arc<Store>>, h: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Answer {
    let org = require(&s, &h, READ)?.org;
    let (client, prefix) = (q.get("client_id"), q.get("prefix"));
    if client.is_none() == prefix.is_none() {
        return Err(errors::fields(400, "Contact", &[("client_id", "give client_id or prefix".into())]));
    }
    let inactive = q.get("inactive").is_some_and(|v| v == "true");
    let items: Vec<Value> = s
        .lock()
        .contacts
        .values()
        .filter(|c| c.get("owner_orgno") == Some(&json!(org)) && (inactive || c.get("active") == Some(&json!(true))))
        .filter(|c| {
            // A contact has one owner: the other field is absent, never to be indexed into.
            let is = |field: &str, want: &String| c.get(field) == Some(&json!(want));
            client.is_none_or(|id| is("client_id", id)) && prefix.is_none_or(|p| is("prefix", p))
        })
        .map(|c| Value::Object(c.clone()))
        .collect();
    Ok(Json(Value::Array(items)).into_response())
}

pub async fn create(State(s): State<Arc<Store>>, h: HeaderMap, body: Option<Json<Value>>) -> Answer {
    let org = require(&s, &h, WRITE)?.org;
    let b = errors::body_object(body)?;
    let mut c = validate(&s, &org, b, None)?;
    let id = errors::stamp_new(&mut c, "id");
    s.lock().contacts.insert(id, c.clone());
    Ok(Json(Value::Object(c)).into_response())
}

fn owned(s: &Store, org: &str, id: &str) -> Result<Map<String, Value>, Response> {
    match s.lock().contacts.get(id) {
        None => Err(errors::api(404, &format!("Contact {id} not found"))),
        Some(c) if c["owner_orgno"] != org => Err(errors::forbidden()),
        Some(c) => Ok(c.clone()),
    }
}

pub async fn get_one(State(s): State<Arc<Store>>, h: HeaderMap, Path(id): Path<String>) -> Answer {
    let org = require(&s, &h, READ)?.org;
    Ok(Json(Value::Object(owned(&s, &org, &id)?)).into_response())
}

pub async fn update(
    State(s): State<Arc<Store>>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Answer {
    let org = require(&s, &h, WRITE)?.org;
    let existing = owned(&s, &org, &id)?;
    let b = errors::body_object(body)?;
    let mut c = validate(&s, &org, b, Some(&existing))?;
    for k in ["id", "created"] {
        c.insert(k.into(), existing[k].clone());
    }
    c.insert("last_updated".into(), json!(now_rfc3339()));
    s.lock().contacts.insert(id, c.clone());
    Ok(Json(Value::Object(c)).into_response())
}

pub async fn deactivate(State(s): State<Arc<Store>>, h: HeaderMap, Path(id): Path<String>) -> Answer {
    let org = require(&s, &h, WRITE)?.org;
    owned(&s, &org, &id)?;
    let mut d = s.lock();
    let Some(c) = d.contacts.get_mut(&id) else { return Err(errors::api(404, "gone")) };
    c.insert("active".into(), json!(false));
    c.insert("last_updated".into(), json!(now_rfc3339()));
    Ok(Json(Value::Object(c.clone())).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_emails() {
        for ok in ["+4799999999", "99 99 99 99", "+47 22 22 22 22", "12345678"] {
            assert!(phone_ok(ok), "{ok}");
        }
        for bad in ["123", "+47abc", "999999999", ""] {
            assert!(!phone_ok(bad), "{bad}");
        }
        assert!(email_ok("ops@example.no") && !email_ok("ops@") && !email_ok("a b@c.no"));
    }
}
