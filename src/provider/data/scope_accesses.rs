//! Data sources `maskinporten_scope_accesses_granted` (grants made by us, on one scope or all of
//! ours) and `maskinporten_scope_accesses_received` (grants to us, REQUESTED ones included).

use super::{object, object_list, s};
use crate::api::ScopeAccess;
use crate::provider::Shared;
use crate::provider::scope_name::ScopeName;
use crate::tfplugin::{
    AttrPath, Attribute, DataSource, Diagnostics, ObjectBuilder, Schema, Tri, Type, Value, ValueExt,
};
use async_trait::async_trait;
use std::sync::Arc;

fn fields() -> Vec<(&'static str, Type)> {
    vec![
        ("scope", Type::String),
        ("owner_orgno", Type::String),
        ("owner_organization_name", Type::String),
        ("consumer_orgno", Type::String),
        ("consumer_organization_name", Type::String),
        ("state", Type::String),
        ("created", Type::String),
        ("last_updated", Type::String),
    ]
}

fn items(list: Vec<ScopeAccess>) -> Value {
    let f = fields();
    Value::List(
        list.into_iter()
            .map(|a| {
                object(
                    &f,
                    vec![
                        ("scope", s(a.scope)),
                        ("owner_orgno", s(a.owner_orgno)),
                        ("owner_organization_name", s(a.owner_organization_name)),
                        ("consumer_orgno", s(a.consumer_orgno)),
                        ("consumer_organization_name", s(a.consumer_organization_name)),
                        ("state", s(a.state)),
                        ("created", s(a.created)),
                        ("last_updated", s(a.last_updated)),
                    ],
                )
            })
            .collect(),
    )
}

pub struct GrantedData(pub Arc<Shared>);

fn granted_schema() -> Schema {
    Schema::new(
        "Lists the access your organisation has granted to consumers, on one scope or on all your scopes.",
        vec![
            Attribute::optional("scope", Type::String)
                .describe("Only grants on this scope. Default: every scope you own."),
            object_list(
                "accesses",
                "The grants, with state (`APPROVED`, `REQUESTED`, `DENIED`) and consumer names.",
                &fields(),
            ),
        ],
    )
}

#[async_trait]
impl DataSource for GrantedData {
    fn type_name(&self) -> &'static str {
        "maskinporten_scope_accesses_granted"
    }
    fn schema(&self) -> Schema {
        granted_schema()
    }
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Tri::Known(scope) = config.tri_str("scope") {
            ScopeName::check(scope, AttrPath::attr("scope"), diags);
        }
    }
    async fn read(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let api = self.0.api.client(diags)?;
        let scopes = match config.opt_str("scope") {
            Some(one) => vec![one],
            None => {
                let all = self.0.api.ok(api.list_scopes(false).await, diags, "list scopes")?;
                all.into_iter().filter_map(|x| x.name).collect()
            }
        };
        let mut all = vec![];
        for sc in scopes {
            all.extend(self.0.api.ok(api.list_accesses(&sc, false).await, diags, &format!("list grants of {sc}"))?);
        }
        Some(ObjectBuilder::new(&granted_schema()).value("accesses", items(all)).build())
    }
}

pub struct ReceivedData(pub Arc<Shared>);

fn received_schema() -> Schema {
    Schema::new(
        "Lists the access other organisations have given yours, including requests not yet approved (`REQUESTED`).",
        vec![object_list("accesses", "The grants, with state and owner names.", &fields())],
    )
}

#[async_trait]
impl DataSource for ReceivedData {
    fn type_name(&self) -> &'static str {
        "maskinporten_scope_accesses_received"
    }
    fn schema(&self) -> Schema {
        received_schema()
    }
    async fn read(&self, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let api = self.0.api.client(diags)?;
        self.0
            .api
            .ok(api.list_received_accesses().await, diags, "list grants to your organisation")
            .map(|l| ObjectBuilder::new(&received_schema()).value("accesses", items(l)).build())
    }
}
