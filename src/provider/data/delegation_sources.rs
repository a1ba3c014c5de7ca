//! Data source `maskinporten_delegation_sources`: issuers a scope may name as its
//! `delegation_source` (e.g. Altinn).

use super::{object, object_list, s};
use crate::provider::Shared;
use crate::tfplugin::{DataSource, Diagnostics, ObjectBuilder, Schema, Type, Value};
use async_trait::async_trait;
use std::sync::Arc;

pub struct DelegationSourcesData(pub Arc<Shared>);

fn fields() -> Vec<(&'static str, Type)> {
    vec![("name", Type::String), ("issuer", Type::String), ("created", Type::String), ("last_updated", Type::String)]
}

fn schema() -> Schema {
    Schema::new(
        "Lists the delegation sources of the environment, such as Altinn; use an `issuer` as a scope's `delegation_source`.",
        vec![object_list("delegation_sources", "The delegation sources.", &fields())],
    )
}

#[async_trait]
impl DataSource for DelegationSourcesData {
    fn type_name(&self) -> &'static str {
        "maskinporten_delegation_sources"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    async fn read(&self, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let api = self.0.api.client(diags)?;
        let found = self.0.api.ok(api.list_delegation_sources().await, diags, "list delegation sources")?;
        let f = fields();
        let items = found
            .into_iter()
            .map(|d| {
                object(
                    &f,
                    vec![
                        ("name", s(d.name)),
                        ("issuer", s(d.issuer)),
                        ("created", s(d.created)),
                        ("last_updated", s(d.last_updated)),
                    ],
                )
            })
            .collect();
        Some(ObjectBuilder::new(&schema()).value("delegation_sources", Value::List(items)).build())
    }
}
