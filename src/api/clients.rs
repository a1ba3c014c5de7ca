//! Client (integration) and key endpoints (maskinporten-api.md §3.4, §4). POST is not
//! idempotent — repeated POSTs make duplicates — so callers persist `client_id` at once and never
//! blindly repeat a create (`Request::post` is not retried).

use super::client::{ApiClient, Request};
use super::error::ApiError;
use super::types::{Client, Jwk, Jwks};

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

/// Fields the server owns and does not accept back (§4.1: remove created/last_updated on PUT).
fn strip_server_fields(c: &mut Client) {
    c.created = None;
    c.last_updated = None;
    c.jwks_uri = None;
    c.extra.remove("jwks");
    c.extra.remove("client_secret");
    c.extra.remove("onbehalfof");
}

impl ApiClient {
    pub async fn list_clients(&self, inactive: bool) -> Result<Vec<Client>, ApiError> {
        self.list(Request::get("/clients").query("inactive", inactive.to_string())).await
    }

    /// One client; `None` when Digdir does not know it. A deactivated client may read as 404
    /// (§4.1 [U]), so a 404 is checked against the list that includes deactivated clients.
    pub async fn get_client(&self, id: &str) -> Result<Option<Client>, ApiError> {
        match self.execute(Request::get(&format!("/clients/{}", id_segment(id)?))).await {
            Err(e) if e.is_not_found() => {
                Ok(self.list_clients(true).await?.into_iter().find(|c| c.client_id.as_deref() == Some(id)))
            }
            r => r,
        }
    }

    /// Create a client. Never retried: a lost answer must be reconciled by the caller.
    pub async fn create_client(&self, c: &Client) -> Result<Client, ApiError> {
        let mut c = c.clone();
        strip_server_fields(&mut c);
        c.client_id = None;
        let r = self.execute(Request::post("/clients").json(serde_json::to_value(&c).unwrap_or_default())).await?;
        r.ok_or_else(|| ApiError::Decode {
            method: "POST".into(),
            path: "/clients".into(),
            message: "empty response body".into(),
        })
    }

    /// GET → change → PUT of the whole registration, keeping fields the change does not touch.
    pub async fn merge_update_client(&self, id: &str, change: impl FnOnce(&mut Client)) -> Result<Client, ApiError> {
        let path = format!("/clients/{}", id_segment(id)?);
        let mut c = self.get_client(id).await?.ok_or_else(|| ApiError::Http {
            method: "GET".into(),
            path: path.clone(),
            status: 404,
            body: None,
            correlation_id: None,
            date: None,
            raw: Some(format!("client {id} not found")),
        })?;
        change(&mut c);
        strip_server_fields(&mut c);
        let r = self.execute(Request::put(&path).json(serde_json::to_value(&c).unwrap_or_default())).await?;
        r.ok_or_else(|| ApiError::Decode { method: "PUT".into(), path, message: "empty response body".into() })
    }

    /// Deactivate (Digdir's DELETE; an empty 200).
    pub async fn deactivate_client(&self, id: &str) -> Result<(), ApiError> {
        self.execute::<serde_json::Value>(Request::delete(&format!("/clients/{}", id_segment(id)?))).await.map(|_| ())
    }

    /// The client's registered keys; none reads as empty (Digdir may answer 404, §6.2).
    pub async fn get_jwks(&self, id: &str) -> Result<Vec<Jwk>, ApiError> {
        match self.execute::<Jwks>(Request::get(&format!("/clients/{}/jwks", id_segment(id)?))).await {
            Ok(j) => Ok(j.map(|j| j.keys).unwrap_or_default()),
            Err(e) if e.is_not_found() => Ok(vec![]),
            Err(e) => Err(e),
        }
    }

    /// Replace the whole key set (POST replaces, §4.2). Keys registered before 2025-05-22 come
    /// back without `use`, which is now required: it is added here so a round trip succeeds.
    pub async fn replace_jwks(&self, id: &str, keys: &[Jwk]) -> Result<Vec<Jwk>, ApiError> {
        let keys: Vec<Jwk> = keys
            .iter()
            .cloned()
            .map(|mut k| {
                k.key_use.get_or_insert_with(|| "sig".into());
                k.created = None;
                k.last_updated = None;
                k
            })
            .collect();
        let path = format!("/clients/{}/jwks", id_segment(id)?);
        // Idempotent in effect (the same set twice is the same set), so safe to retry.
        let r =
            self.execute::<Jwks>(Request::post(&path).json(serde_json::json!({ "keys": keys })).idempotent()).await?;
        Ok(r.map(|j| j.keys).unwrap_or_default())
    }

    /// Remove every key (the only way to reach an empty set, §4.2).
    pub async fn delete_jwks(&self, id: &str) -> Result<(), ApiError> {
        self.execute::<serde_json::Value>(Request::delete(&format!("/clients/{}/jwks", id_segment(id)?)))
            .await
            .map(|_| ())
    }
}
