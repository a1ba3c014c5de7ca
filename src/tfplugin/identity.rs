//! Resource identity (protocol 6.9, Terraform ≥ 1.12): a small object of string attributes that
//! names a remote object, so `import { identity = {...} }` works and Terraform can track objects
//! across moves. Our identities are the parts of each import id, in order; older Terraform
//! versions never ask for them and ignore the fields.

use super::value::{self, Type, Value};
use crate::proto::tfplugin6 as pb;

/// Identity attributes of a resource type: (name, description), all strings, all required for
/// import. Each name is also a state attribute of the resource.
#[derive(Clone, Debug)]
pub struct Identity {
    pub attributes: Vec<(&'static str, &'static str)>,
}

impl Identity {
    pub fn new(attributes: &[(&'static str, &'static str)]) -> Self {
        Identity { attributes: attributes.to_vec() }
    }

    fn ty(&self) -> Type {
        Type::Object(self.attributes.iter().map(|(n, _)| (n.to_string(), Type::String)).collect())
    }

    pub(crate) fn to_proto(&self) -> pb::ResourceIdentitySchema {
        pb::ResourceIdentitySchema {
            version: 0,
            identity_attributes: self
                .attributes
                .iter()
                .map(|(n, d)| pb::resource_identity_schema::IdentityAttribute {
                    name: n.to_string(),
                    r#type: Type::String.to_json_bytes(),
                    required_for_import: true,
                    optional_for_import: false,
                    description: d.to_string(),
                })
                .collect(),
        }
    }

    /// The identity of a state, when every part is a known string.
    pub fn of(&self, state: &Value) -> Option<Value> {
        let mut m = std::collections::BTreeMap::new();
        for (n, _) in &self.attributes {
            match state.get_attr(n) {
                Some(Value::String(s)) => m.insert(n.to_string(), Value::String(s.clone())),
                _ => return None,
            };
        }
        Some(Value::Object(m))
    }

    /// The import id an identity stands for: its parts joined with commas.
    pub fn import_id(&self, identity: &Value) -> Option<String> {
        let parts: Option<Vec<&str>> =
            self.attributes.iter().map(|(n, _)| identity.get_attr(n).and_then(Value::as_str)).collect();
        parts.map(|p| p.join(","))
    }

    pub(crate) fn encode(&self, v: Option<Value>) -> Option<pb::ResourceIdentityData> {
        let msgpack = value::encode_msgpack(&v?, &self.ty()).ok()?;
        Some(pb::ResourceIdentityData { identity_data: Some(pb::DynamicValue { msgpack, json: vec![] }) })
    }

    pub(crate) fn decode(&self, d: Option<&pb::ResourceIdentityData>) -> Option<Value> {
        let dv = d?.identity_data.as_ref()?;
        let v = if !dv.msgpack.is_empty() {
            value::decode_msgpack(&dv.msgpack, &self.ty())
        } else {
            value::decode_json(&dv.json, &self.ty())
        };
        v.ok().filter(|v| !v.is_null())
    }
}
