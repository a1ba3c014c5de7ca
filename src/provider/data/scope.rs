//! Data source `maskinporten_scope`: one scope of the organisation, by name.

use crate::provider::Shared;
use crate::provider::scope;
use crate::provider::scope_name::ScopeName;
use crate::tfplugin::{AttrPath, Attribute, DataSource, Diagnostics, Schema, Tri, Type, Value, ValueExt};
use async_trait::async_trait;
use std::sync::Arc;

pub struct ScopeData {
    shared: Arc<Shared>,
}

impl ScopeData {
    pub fn new(shared: Arc<Shared>) -> Arc<Self> {
        Arc::new(ScopeData { shared })
    }
}

/// The resource's attributes, all computed, with `name` as the one argument.
fn schema() -> Schema {
    let mut attrs: Vec<Attribute> = scope::schema()
        .attributes
        .into_iter()
        .filter(|a| a.name != "name")
        .map(|a| Attribute::computed(&a.name, a.ty).describe(&a.description))
        .collect();
    attrs.insert(
        0,
        Attribute::required("name", Type::String)
            .describe("Full scope name `<prefix>:<subscope>` of a scope your organisation owns."),
    );
    Schema::new("Reads one scope your organisation owns, active or deactivated.", attrs)
}

#[async_trait]
impl DataSource for ScopeData {
    fn type_name(&self) -> &'static str {
        "maskinporten_scope"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Tri::Known(name) = config.tri_str("name") {
            ScopeName::check(name, AttrPath::attr("name"), diags);
        }
    }

    async fn read(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.api.client(diags)?;
        let name = config.opt_str("name")?;
        match client.get_scope(&name).await {
            Ok(Some(s)) => Some(scope::state_of(s)),
            Ok(None) => {
                diags.attr_error(
                    AttrPath::attr("name"),
                    "Scope not found",
                    format!("No scope named {name:?} is visible to your organisation."),
                );
                None
            }
            Err(e) => {
                self.shared.api.report(diags, &e, &format!("read scope {name}"), Some(AttrPath::attr("name")));
                None
            }
        }
    }
}
