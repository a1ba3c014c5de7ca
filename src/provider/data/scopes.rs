//! Data source `maskinporten_scopes`: the organisation's own scopes, or Digdir's public
//! catalogue (`/scopes/all`) with its filters.

use super::{b, list, object, object_list, s};
use crate::provider::Shared;
use crate::tfplugin::{Attribute, DataSource, Diagnostics, ObjectBuilder, Schema, Type, Value, ValueExt};
use async_trait::async_trait;
use std::sync::Arc;

pub struct ScopesData(pub Arc<Shared>);

fn fields() -> Vec<(&'static str, Type)> {
    vec![
        ("name", Type::String),
        ("prefix", Type::String),
        ("subscope", Type::String),
        ("description", Type::String),
        ("owner_orgno", Type::String),
        ("visibility", Type::String),
        ("active", Type::Bool),
        ("accessible_for_all", Type::Bool),
        ("delegation_source", Type::String),
        ("allowed_integration_types", Type::list(Type::String)),
        ("created", Type::String),
        ("last_updated", Type::String),
    ]
}

fn schema() -> Schema {
    Schema::new(
        "Lists scopes: by default those your organisation owns; with `catalogue = true`, Digdir's public scope catalogue, optionally filtered.",
        vec![
            Attribute::optional("catalogue", Type::Bool).describe(
                "Read the public catalogue (`GET /api/v1/scopes/all`) instead of your own scopes. Default false.",
            ),
            Attribute::optional("prefix", Type::String).describe("Catalogue filter: only scopes with this prefix."),
            Attribute::optional("integration_type", Type::String)
                .describe("Catalogue filter: only scopes usable by this integration type, e.g. `maskinporten`."),
            Attribute::optional("accessible_for_all", Type::Bool)
                .describe("Catalogue filter: only scopes any organisation may use without a grant."),
            Attribute::optional("delegated_sources", Type::Bool)
                .describe("Catalogue filter: only scopes with a delegation source (e.g. Altinn)."),
            Attribute::optional("include_inactive", Type::Bool).describe("Include deactivated scopes. Default false."),
            object_list("scopes", "The scopes found, with their Digdir timestamps.", &fields()),
        ],
    )
}

#[async_trait]
impl DataSource for ScopesData {
    fn type_name(&self) -> &'static str {
        "maskinporten_scopes"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    async fn read(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.0.api.client(diags)?;
        let inactive = config.opt_bool("include_inactive").unwrap_or(false);
        let result = if config.opt_bool("catalogue").unwrap_or(false) {
            let mut f: Vec<(&str, String)> = vec![("inactive", inactive.to_string())];
            for k in ["prefix", "integration_type"] {
                if let Some(v) = config.opt_str(k) {
                    f.push((k, v));
                }
            }
            for k in ["accessible_for_all", "delegated_sources"] {
                if let Some(v) = config.opt_bool(k) {
                    f.push((k, v.to_string()));
                }
            }
            client.list_all_scopes(&f).await
        } else {
            client.list_scopes(inactive).await
        };
        let scopes = self.0.api.ok(result, diags, "list scopes")?;
        let f = fields();
        let items = scopes
            .into_iter()
            .map(|x| {
                object(
                    &f,
                    vec![
                        ("name", s(x.name)),
                        ("prefix", s(x.prefix)),
                        ("subscope", s(x.subscope)),
                        ("description", s(x.description)),
                        ("owner_orgno", s(x.owner_orgno)),
                        ("visibility", s(x.visibility)),
                        ("active", b(x.active)),
                        ("accessible_for_all", b(x.accessible_for_all)),
                        ("delegation_source", s(x.delegation_source)),
                        ("allowed_integration_types", list(x.allowed_integration_types)),
                        ("created", s(x.created)),
                        ("last_updated", s(x.last_updated)),
                    ],
                )
            })
            .collect();
        Some(ObjectBuilder::new(&schema()).value("scopes", Value::List(items)).build())
    }
}
