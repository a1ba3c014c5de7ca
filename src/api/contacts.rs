//! Merchant-data contacts on the contract of `docs/merchant-data-api.md`, served at a separate base
//! URL (`merchant_data_url`). Digdir's public API has no such endpoint
//! (docs/development/digdir-api.md, "Merchant data"); a server without it answers 404 on
//! `/contacts`.

use super::admin_scopes::Need;
use super::client::{ApiClient, Request};
use super::error::ApiError;
use serde::{Deserialize, Serialize};

/// A notification point or invoice contact.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Contact {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_orgno: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
}

fn id_segment(id: &str) -> Result<&str, ApiError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(id)
    } else {
        Err(ApiError::Config(format!("{id:?} is not a contact id")))
    }
}

fn body(c: &Contact) -> serde_json::Value {
    let mut c = c.clone();
    c.id = None;
    c.owner_orgno = None;
    c.created = None;
    c.last_updated = None;
    serde_json::to_value(c).unwrap_or_default()
}

/// Changing a contact of a client needs dcr.write; of the API-provider side (a prefix),
/// scopes.write (docs/merchant-data-api.md).
fn write_need(for_client: bool) -> Need {
    if for_client { Need::CLIENTS_WRITE } else { Need::SCOPES_WRITE }
}

impl ApiClient {
    /// Whether `base` serves the contract: a bare list without a filter is a 400 there, and a
    /// 404 from a server that does not implement it.
    pub async fn contacts_available(&self, base: &url::Url) -> Result<bool, ApiError> {
        match self.execute::<serde_json::Value>(Request::get("/contacts", Need::CONTACTS_READ).at(base.clone())).await {
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) if e.status() == Some(400) => Ok(true),
            Err(e) => Err(e),
            Ok(_) => Ok(true),
        }
    }

    /// The contacts of one owner — a client (`client_id`) or the API-provider side (`prefix`) —
    /// deactivated ones included.
    pub async fn list_contacts(&self, base: &url::Url, owner: &Contact) -> Result<Vec<Contact>, ApiError> {
        let req = Request::get("/contacts", Need::CONTACTS_READ).at(base.clone()).query("inactive", "true");
        let req = match (&owner.client_id, &owner.prefix) {
            (Some(c), _) => req.query("client_id", c.clone()),
            (None, Some(p)) => req.query("prefix", p.clone()),
            (None, None) => return Err(ApiError::Config("a contact belongs to a client or a prefix".into())),
        };
        self.list(req).await
    }

    pub async fn get_contact(&self, base: &url::Url, id: &str) -> Result<Option<Contact>, ApiError> {
        let path = format!("/contacts/{}", id_segment(id)?);
        self.lookup(Request::get(&path, Need::CONTACTS_READ).at(base.clone())).await
    }

    pub async fn create_contact(&self, base: &url::Url, c: &Contact) -> Result<Contact, ApiError> {
        let req = Request::post("/contacts", write_need(c.client_id.is_some()));
        self.fetch(req.at(base.clone()).json(body(c))).await
    }

    pub async fn update_contact(&self, base: &url::Url, id: &str, c: &Contact) -> Result<Contact, ApiError> {
        let path = format!("/contacts/{}", id_segment(id)?);
        let req = Request::put(&path, write_need(c.client_id.is_some()));
        self.fetch(req.at(base.clone()).json(body(c))).await
    }

    /// `for_client`: the contact belongs to a client (not to the API-provider side).
    pub async fn deactivate_contact(&self, base: &url::Url, id: &str, for_client: bool) -> Result<(), ApiError> {
        let path = format!("/contacts/{}", id_segment(id)?);
        let req = Request::delete(&path, write_need(for_client));
        self.send(req.at(base.clone())).await
    }
}
