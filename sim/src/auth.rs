//! Who may call what. An admin-API call carries a Bearer token issued by [`crate::token`]; the
//! token names the organisation and the admin scopes Maskinporten granted. Every operation
//! accepts exactly the scopes Digdir's own OpenAPI descriptions name for it ("Krever scope 'a'
//! eller 'b'"), compiled in from `tests/fixtures/digdir/digdir-admin-scopes.json`, except where
//! production is known to accept more, which that file records with its evidence
//! (`any_of_in_production`). Anything else is Digdir's 403, whose text does not say which scope
//! was missing (the simulator is never kinder than Digdir).

use crate::errors;
use crate::store::Store;
use axum::http::HeaderMap;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Digdir's per-operation admin scopes (see the module comment).
const TABLE: &str = include_str!("../../tests/fixtures/digdir/digdir-admin-scopes.json");

/// Every admin scope Digdir hands out for the self-service API, `idporten:dcr.supplier` included so
/// that supplier mode can be exercised (docs/development/digdir-api.md, "Admin scopes"). An
/// organisation started without a list of scopes gets all of them.
pub const ADMIN_SCOPES: &[&str] = &[
    "idporten:scopes.read",
    "idporten:scopes.write",
    "idporten:dcr.read",
    "idporten:dcr.write",
    "idporten:dcr.modify",
    "idporten:dcr.supplier",
];

/// The organisation and admin scopes behind a valid token, and the audience it was restricted
/// to (`None`: Digdir's API).
#[derive(Clone, Debug)]
pub struct Caller {
    pub org: String,
    pub scopes: Vec<String>,
    pub resource: Option<String>,
}

impl Caller {
    pub fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The scopes one operation (`"GET /api/v1/scopes"`) accepts; `None` for an operation Digdir's
/// description does not list. An empty list: no authentication needed.
pub fn accepted(operation: &str) -> Option<&'static [String]> {
    static PARSED: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    let table = PARSED.get_or_init(|| {
        let raw: HashMap<String, serde_json::Value> = serde_json::from_str(TABLE).unwrap_or_default();
        raw.into_iter()
            .map(|(op, v)| {
                let list = v.get("any_of_in_production").or_else(|| v.get("any_of"));
                let scopes = list
                    .and_then(|l| l.as_array())
                    .map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect())
                    .unwrap_or_default();
                (op, scopes)
            })
            .collect()
    });
    table.get(operation).map(Vec::as_slice)
}

/// The caller behind a Bearer token, or the 401 Digdir would answer.
pub fn authenticate(s: &Store, headers: &HeaderMap) -> Result<Caller, Response> {
    let token = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| errors::api(401, "Full authentication is required to access this resource"))?;
    let grant = s.lock().tokens.get(token).cloned().ok_or_else(|| errors::api(401, "Invalid access token"))?;
    if grant.expires < std::time::Instant::now() {
        return Err(errors::api(401, "Access token expired"));
    }
    Ok(Caller { org: grant.orgno, scopes: grant.scopes, resource: grant.resource })
}

/// Authenticate a call of one of Digdir's operations and require one of the scopes its
/// description names. An operation missing from the table is refused outright, so a route added
/// to the simulator without its entry cannot be kinder than Digdir.
pub fn require(s: &Store, headers: &HeaderMap, operation: &str) -> Result<Caller, Response> {
    let Some(scopes) = accepted(operation) else {
        return Err(errors::api(500, &format!("simulator: no admin scopes recorded for {operation}")));
    };
    let names: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let caller = with_scope(authenticate(s, headers)?, &names)?;
    // A token restricted to another audience (the merchant-data server's) is not for Digdir.
    if caller.resource.is_some() {
        return Err(errors::api(401, "The access token's audience is not this API"));
    }
    Ok(caller)
}

/// Authenticate a call of the merchant-data contract (ours, docs/merchant-data-api.md, and so
/// not in Digdir's table): one of `scopes`, in a token restricted to this server's audience —
/// the admin token for Digdir's API is refused, so it never needs to leave Digdir.
pub fn require_merchant(s: &Store, headers: &HeaderMap, scopes: &[&str]) -> Result<Caller, Response> {
    let caller = authenticate(s, headers)?;
    let audience = format!("{}/api/v1", s.base);
    if caller.resource.as_deref() != Some(audience.as_str()) {
        return Err(errors::api(401, &format!("A token for this server must be requested with resource={audience}")));
    }
    with_scope(caller, scopes)
}

fn with_scope(caller: Caller, scopes: &[&str]) -> Result<Caller, Response> {
    if scopes.iter().any(|n| caller.has(n)) {
        Ok(caller)
    } else {
        Err(errors::api(403, "Autentisert bruker/system har ikke korrekte rettigheter"))
    }
}

/// `scopes.read` → `idporten:scopes.read`; a full name is kept.
pub fn full_scope_name(s: &str) -> String {
    if s.contains(':') { s.to_string() } else { format!("idporten:{s}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_digdirs_with_the_production_exception() {
        assert_eq!(accepted("GET /api/v1/scopes/scope").unwrap(), ["idporten:scopes.read"]);
        assert_eq!(accepted("GET /api/v1/scopes").unwrap(), ["idporten:scopes.read", "idporten:scopes.write"]);
        assert_eq!(
            accepted("GET /api/v1/scopes/access").unwrap(),
            ["idporten:scopes.read", "idporten:scopes.write"],
            "production accepts scopes.write for reading grants"
        );
        assert_eq!(accepted("GET /api/v1/clients").unwrap(), ["idporten:dcr.read"]);
        assert_eq!(accepted("PUT /api/v1/clients/{id}").unwrap(), ["idporten:dcr.write"]);
        assert!(accepted("GET /api/v1/organizations/{orgnr}").unwrap().is_empty());
        assert!(accepted("GET /api/v1/nothing").is_none());
        assert_eq!(full_scope_name("dcr.read"), "idporten:dcr.read");
        assert_eq!(full_scope_name("idporten:dcr.read"), "idporten:dcr.read");
    }
}
