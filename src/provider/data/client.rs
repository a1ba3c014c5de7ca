//! Data source `maskinporten_client`: one client of the organisation, by client_id.

use crate::provider::{Shared, client};
use crate::tfplugin::{AttrPath, Attribute, DataSource, Diagnostics, Schema, Type, Value, ValueExt};
use async_trait::async_trait;
use std::sync::Arc;

pub struct ClientData(pub Arc<Shared>);

fn schema() -> Schema {
    let mut attrs: Vec<Attribute> = client::schema()
        .attributes
        .into_iter()
        .filter(|a| a.name != "client_id")
        .map(|a| Attribute::computed(&a.name, a.ty).describe(&a.description))
        .collect();
    attrs.insert(0, Attribute::required("client_id", Type::String).describe("The client id to read."));
    Schema::new("Reads one client of your organisation, active or deactivated.", attrs)
}

#[async_trait]
impl DataSource for ClientData {
    fn type_name(&self) -> &'static str {
        "maskinporten_client"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    async fn read(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let api = self.0.api.client(diags)?;
        let id = config.opt_str("client_id")?;
        match api.get_client(&id).await {
            Ok(Some(c)) => Some(client::state_of(c)),
            Ok(None) => {
                diags.attr_error(
                    AttrPath::attr("client_id"),
                    "Client not found",
                    format!("No client {id:?} is visible to your organisation."),
                );
                None
            }
            Err(e) => {
                self.0.api.report(diags, &e, &format!("read client {id}"), Some(AttrPath::attr("client_id")));
                None
            }
        }
    }
}
