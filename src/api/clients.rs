//! Client (integration) and key endpoints (docs/development/digdir-api.md, "Clients" and "Keys";
//! the sections cited below by heading alone are headings of that page). POST is not idempotent —
//! repeated POSTs make duplicates — so callers persist `client_id` at once and never blindly repeat
//! a create (`Request::post` is not retried).

use super::admin_scopes::Need;
use super::client::{ApiClient, Request};
use super::error::ApiError;
use super::types::{Client, Jwk, Jwks};

/// Lifetime fields that Digdir refuses as 0 since 2025-07 but still *answers* 0 for
/// clients registered before ("Clients"): never sent back as 0, left out for Digdir's default.
const LIFETIMES: &[&str] = &["access_token_lifetime", "authorization_lifetime", "refresh_token_lifetime"];

/// A client id as a path segment: no `/`, `?`, `#` or `..` can reach the path.
fn id_segment(id: &str) -> Result<&str, ApiError> {
    if !id.is_empty()
        && id != "."
        && id != ".."
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    {
        Ok(id)
    } else {
        Err(ApiError::Config(format!("{id:?} is not a client id")))
    }
}

/// What a client body may carry back to Digdir: not the fields the server owns ("Clients": remove
/// created/last_updated on PUT; jwks, jwks_uri, client_secret and onbehalfof are read-only), and
/// no lifetime of 0.
fn writable(c: &mut Client) {
    c.created = None;
    c.last_updated = None;
    c.jwks_uri = None;
    for f in ["jwks", "client_secret", "onbehalfof"] {
        c.extra.remove(f);
    }
    c.access_token_lifetime = c.access_token_lifetime.filter(|n| *n > 0);
    c.authorization_lifetime = c.authorization_lifetime.filter(|n| *n > 0);
    for f in LIFETIMES {
        if c.extra.get(*f).is_some_and(|v| v.as_i64().is_none_or(|n| n <= 0)) {
            c.extra.remove(*f);
        }
    }
}

/// A key as it may be sent: keys registered before 2025-05-22 come back without `use` (now
/// required) and some without `alg`, so both are filled in (okdata `_jwk_ensure_use_sig`); the
/// timestamps are Digdir's own.
fn sendable(mut k: Jwk) -> Jwk {
    k.key_use.get_or_insert_with(|| "sig".into());
    k.alg.get_or_insert_with(|| "RS256".into());
    k.created = None;
    k.last_updated = None;
    k
}

/// A kid as a path segment: letters, digits and `. _ -` (Digdir's rule for kids, "Keys").
fn kid_segment(kid: &str) -> Result<&str, ApiError> {
    if !kid.is_empty()
        && kid != "."
        && kid != ".."
        && kid.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        Ok(kid)
    } else {
        Err(ApiError::Config(format!("{kid:?} is not a kid")))
    }
}

impl ApiClient {
    pub async fn list_clients(&self, inactive: bool) -> Result<Vec<Client>, ApiError> {
        self.list(Request::get("/clients", Need::CLIENTS_READ).query("inactive", inactive.to_string())).await
    }

    /// The client list taken before creating `c` (to tell a lost create from none), with the
    /// create's write token fetched beside the list instead of after it.
    pub async fn list_clients_before_create(&self, c: &Client) -> Result<Vec<Client>, ApiError> {
        self.prepare_token(Need::CLIENTS_READ).await;
        let (list, ()) = tokio::join!(self.list_clients(true), self.prepare_token(create_need(c)));
        list
    }

    /// One client; `None` when Digdir does not know it. A deactivated client may read as 404
    /// ("Clients" [U]), so a 404 is checked against the list that includes deactivated clients.
    pub async fn get_client(&self, id: &str) -> Result<Option<Client>, ApiError> {
        match self.lookup(Request::get(&format!("/clients/{}", id_segment(id)?), Need::CLIENTS_READ)).await? {
            Some(c) => Ok(Some(c)),
            None => Ok(self.list_clients(true).await?.into_iter().find(|c| c.client_id.as_deref() == Some(id))),
        }
    }

    /// Create a client. Never retried: a lost answer must be reconciled by the caller. A client
    /// for another organisation (`client_orgno` set) is a supplier's and needs dcr.supplier.
    pub async fn create_client(&self, c: &Client) -> Result<Client, ApiError> {
        let mut c = c.clone();
        writable(&mut c);
        c.client_id = None;
        let need = create_need(&c);
        self.fetch(Request::post("/clients", need).json(serde_json::to_value(&c).unwrap_or_default())).await
    }

    /// GET → change → PUT of the whole registration, keeping fields the change does not touch.
    pub async fn merge_update_client(&self, id: &str, change: impl FnOnce(&mut Client)) -> Result<Client, ApiError> {
        let path = format!("/clients/{}", id_segment(id)?);
        let mut c =
            self.get_client(id).await?.ok_or_else(|| ApiError::not_found("GET", &path, format!("client {id}")))?;
        change(&mut c);
        writable(&mut c);
        let body = serde_json::to_value(&c).unwrap_or_default();
        self.fetch(Request::put(&path, Need::CLIENTS_WRITE).json(body)).await
    }

    /// Deactivate (Digdir's DELETE; an empty 200).
    pub async fn deactivate_client(&self, id: &str) -> Result<(), ApiError> {
        let req = Request::delete(&format!("/clients/{}", id_segment(id)?), Need::CLIENTS_WRITE);
        self.send(req).await
    }

    /// The client's registered keys; none reads as empty (Digdir may answer 404, "Keys").
    pub async fn get_jwks(&self, id: &str) -> Result<Vec<Jwk>, ApiError> {
        let req = Request::get(&format!("/clients/{}/jwks", id_segment(id)?), Need::CLIENTS_READ);
        Ok(self.lookup::<Jwks>(req).await?.map(|j| j.keys).unwrap_or_default())
    }

    /// Replace the whole key set (POST replaces, "Keys"): the fallback where Digdir does not serve
    /// the per-key operations, since a set written while another writer adds a key drops it.
    pub async fn replace_jwks(&self, id: &str, keys: &[Jwk]) -> Result<Vec<Jwk>, ApiError> {
        let keys: Vec<Jwk> = keys.iter().cloned().map(sendable).collect();
        let path = format!("/clients/{}/jwks", id_segment(id)?);
        // Idempotent in effect (the same set twice is the same set), so safe to retry.
        let req = Request::post(&path, Need::KEYS_WRITE).json(serde_json::json!({ "keys": keys })).idempotent();
        Ok(self.execute::<Jwks>(req).await?.map(|j| j.keys).unwrap_or_default())
    }

    /// Remove every key (the only way to reach an empty set on the whole-set path, "Keys").
    pub async fn delete_jwks(&self, id: &str) -> Result<(), ApiError> {
        let req = Request::delete(&format!("/clients/{}/jwks", id_segment(id)?), Need::KEYS_WRITE);
        self.send(req).await
    }

    /// Add one key, or replace the key of its kid, leaving every other key alone
    /// (`PUT /clients/{id}/jwks/{kid}`, "legg til eller oppdater en enkelt nøkkel", "Keys").
    /// Idempotent, so a lost answer is simply asked again. Returns the key as Digdir stored it
    /// (with `exp`), or `None` for an empty answer.
    pub async fn put_key(&self, id: &str, key: &Jwk) -> Result<Option<Jwk>, ApiError> {
        let kid = key.kid.as_deref().unwrap_or_default();
        let path = format!("/clients/{}/jwks/{}", id_segment(id)?, kid_segment(kid)?);
        let body = serde_json::to_value(sendable(key.clone())).unwrap_or_default();
        self.execute::<Jwk>(Request::put(&path, Need::KEYS_WRITE).json(body)).await
    }

    /// Remove one key by kid, leaving every other key alone (`DELETE /clients/{id}/jwks/{kid}`).
    pub async fn delete_key(&self, id: &str, kid: &str) -> Result<(), ApiError> {
        let path = format!("/clients/{}/jwks/{}", id_segment(id)?, kid_segment(kid)?);
        self.send(Request::delete(&path, Need::KEYS_WRITE)).await
    }
}

/// A client for another organisation (`client_orgno` set) is a supplier's and needs
/// dcr.supplier besides dcr.write.
fn create_need(c: &Client) -> Need {
    if c.client_orgno.is_some() { Need::SUPPLIER_WRITE } else { Need::CLIENTS_WRITE }
}
