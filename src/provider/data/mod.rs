//! Data sources: read-only views of Digdir's API. Timestamps (`created`, `last_updated`) appear
//! here only, never in resources, because their format varies and would make plans unstable.

pub mod client;
pub mod client_keys;
pub mod clients;
pub mod delegation_sources;
pub mod organization;
pub mod prefixes;
pub mod scope;
pub mod scope_accesses;
pub mod scopes;

use crate::tfplugin::{Attribute, Type, Value};
use std::collections::BTreeMap;

/// A computed list of objects with the given string/bool/number/list fields, documented.
pub fn object_list(name: &str, description: &str, fields: &[(&str, Type)]) -> Attribute {
    let ty = Type::Object(fields.iter().map(|(n, t)| (n.to_string(), t.clone())).collect::<BTreeMap<_, _>>());
    Attribute::computed(name, Type::list(ty)).describe(description)
}

/// Build one object of an [`object_list`] from (field, value) pairs; missing fields are null.
pub fn object(fields: &[(&str, Type)], values: Vec<(&str, Value)>) -> Value {
    let mut m: BTreeMap<String, Value> = fields.iter().map(|(n, _)| (n.to_string(), Value::Null)).collect();
    for (k, v) in values {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

pub fn s(v: Option<String>) -> Value {
    v.map_or(Value::Null, Value::String)
}

pub fn b(v: Option<bool>) -> Value {
    v.map_or(Value::Null, Value::Bool)
}

pub fn list(v: Option<Vec<String>>) -> Value {
    v.map_or(Value::Null, |v| Value::List(v.into_iter().map(Value::String).collect()))
}
