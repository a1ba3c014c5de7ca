//! The create of `maskinporten_client`, reconciled through [`crate::provider::create`]. Client
//! names are not unique at Digdir, so what a lost create made is found by comparing the client
//! list with a snapshot taken before the first create of this process: exactly one new client
//! matching what was sent is ours; several are listed with the import command; none, for the
//! whole reconcile window, means nothing was made. Every attempt is compared with the same
//! snapshot, so a first attempt that shows up late beside a second one is reported, not kept.

use crate::api::{ApiClient, ApiError, Client};
use crate::provider::Shared;
use crate::provider::create::{Creation, Found, one_new, reconciled};
use crate::provider::shared::settle;
use crate::tfplugin::Diagnostics;
use async_trait::async_trait;
use std::collections::BTreeSet;

struct ClientCreate<'a> {
    shared: &'a Shared,
    api: &'a ApiClient,
    body: &'a Client,
    before: BTreeSet<String>,
}

/// Register `body`; the client Digdir made, or `None` with diagnostics.
pub async fn create(shared: &Shared, api: &ApiClient, body: &Client, diags: &mut Diagnostics) -> Option<Client> {
    let before = shared.writes.clients_before_create(api, body).await;
    let before = shared.api.ok(before, diags, "list clients before creating one")?;
    let made = reconciled(shared, &ClientCreate { shared, api, body, before }, diags).await?;
    if let Some(id) = &made.client_id {
        shared.writes.client_created(id).await;
    }
    Some(made)
}

fn same_request(c: &Client, sent: &Client) -> bool {
    let set = |v: &Option<Vec<String>>| v.clone().unwrap_or_default().into_iter().collect::<BTreeSet<_>>();
    c.client_name == sent.client_name
        && c.description == sent.description
        && c.integration_type == sent.integration_type
        && set(&c.scopes) == set(&sent.scopes)
}

#[async_trait]
impl Creation for ClientCreate<'_> {
    type Made = Client;

    fn what(&self) -> String {
        let name = self.body.client_name.as_deref().unwrap_or_default();
        match &self.body.client_orgno {
            Some(customer) => format!("create client {name} for customer {customer}"),
            None => format!("create client {name}"),
        }
    }

    async fn send(&self) -> Result<Client, ApiError> {
        let created = self.api.create_client(self.body).await;
        self.shared.reads.clients_changed();
        created
    }

    /// Read the client list until it shows a new client matching what was sent, or for the
    /// whole reconcile window: the list may lag behind the write.
    async fn find(&self) -> Result<Found<Client>, ApiError> {
        let new_matching = || async {
            let list = self.api.list_clients(false).await?;
            let new = list.into_iter().filter(|c| same_request(c, self.body));
            Ok(new.filter(|c| c.client_id.as_ref().is_some_and(|id| !self.before.contains(id))).collect::<Vec<_>>())
        };
        let new = settle(new_matching, Vec::is_empty).await?;
        Ok(one_new(new, |c| c.client_id.clone(), "clients"))
    }

    fn report(&self, shared: &Shared, diags: &mut Diagnostics, err: &ApiError, what: &str) {
        match &self.body.client_orgno {
            Some(_) => shared.api.report_supplier(diags, err, what),
            None => shared.api.report(diags, err, what, None),
        }
    }
}
