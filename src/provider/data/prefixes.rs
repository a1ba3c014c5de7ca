//! Data source `maskinporten_prefixes`: the scope prefixes Digdir assigned to the organisation.

use super::{b, object, object_list, s};
use crate::provider::Shared;
use crate::tfplugin::{DataSource, Diagnostics, ObjectBuilder, Schema, Type, Value};
use async_trait::async_trait;
use std::sync::Arc;

pub struct PrefixesData(pub Arc<Shared>);

fn fields() -> Vec<(&'static str, Type)> {
    vec![
        ("prefix", Type::String),
        ("owner_orgno", Type::String),
        ("organization_name", Type::String),
        ("active", Type::Bool),
    ]
}

fn schema() -> Schema {
    Schema::new(
        "Lists the scope prefixes Digdir assigned to your organisation; scopes can only be created under these.",
        vec![object_list(
            "prefixes",
            "The prefixes assigned to your organisation, with the organisation name.",
            &fields(),
        )],
    )
}

#[async_trait]
impl DataSource for PrefixesData {
    fn type_name(&self) -> &'static str {
        "maskinporten_prefixes"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    async fn read(&self, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let api = self.0.api.client(diags)?;
        let found = self.0.api.ok(api.list_prefixes().await, diags, "list prefixes")?;
        let f = fields();
        let items = found
            .into_iter()
            .map(|p| {
                object(
                    &f,
                    vec![
                        ("prefix", s(p.prefix)),
                        ("owner_orgno", s(p.owner_orgno)),
                        ("organization_name", s(p.organization_name)),
                        ("active", b(p.active)),
                    ],
                )
            })
            .collect();
        Some(ObjectBuilder::new(&schema()).value("prefixes", Value::List(items)).build())
    }
}
