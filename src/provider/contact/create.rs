//! The create of `maskinporten_contact`, reconciled through [`crate::provider::create`]. Contacts
//! have no unique name, so what a lost create made is found as the clients' is: the owner's
//! contacts are listed before the create, and afterwards exactly one new contact matching what was
//! sent is ours.

use crate::api::{ApiClient, ApiError, Contact};
use crate::provider::Shared;
use crate::provider::create::{Creation, Found, one_new, reconciled};
use crate::provider::shared::settle;
use crate::tfplugin::Diagnostics;
use async_trait::async_trait;
use std::collections::BTreeSet;

struct ContactCreate<'a> {
    api: &'a ApiClient,
    base: &'a url::Url,
    body: &'a Contact,
    before: BTreeSet<String>,
}

/// Create `body` at the merchant-data server `base`.
pub async fn create(
    shared: &Shared,
    api: &ApiClient,
    base: &url::Url,
    body: &Contact,
    diags: &mut Diagnostics,
) -> Option<Contact> {
    let listed = api.list_contacts(base, body).await;
    let before = shared.api.ok(listed, diags, "list contacts before creating one")?;
    let before = before.into_iter().filter_map(|c| c.id).collect();
    reconciled(shared, &ContactCreate { api, base, body, before }, diags).await
}

fn same_request(c: &Contact, sent: &Contact) -> bool {
    (&c.kind, &c.name, &c.email, &c.phone, &c.invoice_email, &c.address, &c.reference)
        == (&sent.kind, &sent.name, &sent.email, &sent.phone, &sent.invoice_email, &sent.address, &sent.reference)
}

#[async_trait]
impl Creation for ContactCreate<'_> {
    type Made = Contact;

    fn what(&self) -> String {
        let kind = self.body.kind.as_deref().unwrap_or("contact");
        match (&self.body.client_id, &self.body.prefix) {
            (Some(c), _) => format!("create the {kind} contact of client {c}"),
            (None, Some(p)) => format!("create the {kind} contact of prefix {p}"),
            (None, None) => format!("create the {kind} contact"),
        }
    }

    async fn send(&self) -> Result<Contact, ApiError> {
        self.api.create_contact(self.base, self.body).await
    }

    async fn find(&self) -> Result<Found<Contact>, ApiError> {
        let new_matching = || async {
            let list = self.api.list_contacts(self.base, self.body).await?;
            let new = list.into_iter().filter(|c| c.id.as_ref().is_some_and(|id| !self.before.contains(id)));
            Ok(new.filter(|c| same_request(c, self.body)).collect::<Vec<_>>())
        };
        let new = settle(new_matching, Vec::is_empty).await?;
        Ok(one_new(new, |c| c.id.clone(), "contacts"))
    }
}
