//! Data source `maskinporten_clients`: every client of the organisation.

use super::{b, list, object, object_list, s};
use crate::provider::Shared;
use crate::tfplugin::{Attribute, DataSource, Diagnostics, ObjectBuilder, Schema, Type, Value, ValueExt};
use async_trait::async_trait;
use std::sync::Arc;

pub struct ClientsData(pub Arc<Shared>);

fn fields() -> Vec<(&'static str, Type)> {
    vec![
        ("client_id", Type::String),
        ("client_name", Type::String),
        ("description", Type::String),
        ("integration_type", Type::String),
        ("client_orgno", Type::String),
        ("supplier_orgno", Type::String),
        ("scopes", Type::list(Type::String)),
        ("active", Type::Bool),
        ("created", Type::String),
        ("last_updated", Type::String),
    ]
}

fn schema() -> Schema {
    Schema::new(
        "Lists your organisation's clients of every integration type.",
        vec![
            Attribute::optional("include_inactive", Type::Bool).describe("Include deactivated clients. Default false."),
            object_list("clients", "The clients, with their Digdir timestamps.", &fields()),
        ],
    )
}

#[async_trait]
impl DataSource for ClientsData {
    fn type_name(&self) -> &'static str {
        "maskinporten_clients"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    async fn read(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let api = self.0.api.client(diags)?;
        let list_ = self.0.api.ok(
            api.list_clients(config.opt_bool("include_inactive").unwrap_or(false)).await,
            diags,
            "list clients",
        )?;
        let f = fields();
        let items = list_
            .into_iter()
            .map(|c| {
                object(
                    &f,
                    vec![
                        ("client_id", s(c.client_id)),
                        ("client_name", s(c.client_name)),
                        ("description", s(c.description)),
                        ("integration_type", s(c.integration_type)),
                        ("client_orgno", s(c.client_orgno)),
                        ("supplier_orgno", s(c.supplier_orgno)),
                        ("scopes", list(c.scopes)),
                        ("active", b(c.active)),
                        ("created", s(c.created)),
                        ("last_updated", s(c.last_updated)),
                    ],
                )
            })
            .collect();
        Some(ObjectBuilder::new(&schema()).value("clients", Value::List(items)).build())
    }
}
