//! Terraform values and the DynamicValue codec (docs/development/plugin-protocol.md,
//! "Values on the wire"): msgpack with unknowns (any msgpack ext; ext 12 carries refinements),
//! numbers as int, float or decimal string; JSON for raw state. Decoding never panics on arbitrary
//! input: depth is bounded and nothing is pre-allocated from lengths the input claims.

use std::collections::BTreeMap;

const MAX_DEPTH: usize = 64;

/// A cty type as Terraform writes it in schemas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
    /// A decimal that fits neither i64 nor f64 exactly, kept verbatim.
    Big(String),
}

/// What Terraform knows about an unknown value (ext 12 payload).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Refinements {
    pub not_null: Option<bool>,
    pub string_prefix: Option<String>,
}

/// A Terraform value, with known / null / unknown explicit.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Unknown(Refinements),
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Tuple(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    /// The value of a `dynamic` attribute with its concrete type.
    Dynamic(Type, Box<Value>),
}

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("at {path}: expected {expected}, found {found}")]
    Mismatch { path: String, expected: String, found: String },
    #[error("at {path}: {message}")]
    Invalid { path: String, message: String },
}

/// A value of the wrong type, named by its kind only ("String", "Bool", "Map"): the value itself
/// may be a secret (a sensitive attribute), so it is never echoed into a diagnostic.
fn mismatch(path: &str, expected: impl Into<String>, found: impl std::fmt::Debug) -> CodecError {
    let debug = format!("{found:?}");
    let kind = debug.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().filter(|k| !k.is_empty());
    CodecError::Mismatch {
        path: if path.is_empty() { ".".into() } else { path.into() },
        expected: expected.into(),
        found: format!("a {} value", kind.unwrap_or("different")),
    }
}

fn invalid(path: &str, message: impl Into<String>) -> CodecError {
    CodecError::Invalid { path: if path.is_empty() { ".".into() } else { path.into() }, message: message.into() }
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::Dynamic => json!("dynamic"),
            Type::List(t) => json!(["list", t.to_json()]),
            Type::Set(t) => json!(["set", t.to_json()]),
            Type::Map(t) => json!(["map", t.to_json()]),
            Type::Object(m) => {
                json!(["object", m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect::<serde_json::Map<_, _>>()])
            }
            Type::Tuple(v) => json!(["tuple", v.iter().map(Type::to_json).collect::<Vec<_>>()]),
        }
    }
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }
    pub fn from_json(v: &serde_json::Value) -> Result<Type, CodecError> {
        Self::from_json_at(v, 0)
    }
    fn from_json_at(v: &serde_json::Value, depth: usize) -> Result<Type, CodecError> {
        use serde_json::Value as J;
        if depth > MAX_DEPTH {
            return Err(invalid("type", "nested too deeply"));
        }
        let bad = || invalid("type", format!("not a cty type: {}", v.to_string().chars().take(60).collect::<String>()));
        match v {
            J::String(s) => match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            J::Array(a) if a.len() >= 2 => {
                let kind = a[0].as_str().ok_or_else(bad)?;
                let inner = || Type::from_json_at(&a[1], depth + 1).map(Box::new);
                match kind {
                    "list" => Ok(Type::List(inner()?)),
                    "set" => Ok(Type::Set(inner()?)),
                    "map" => Ok(Type::Map(inner()?)),
                    "object" => {
                        let m = a[1].as_object().ok_or_else(bad)?;
                        let mut out = BTreeMap::new();
                        for (k, t) in m {
                            out.insert(k.clone(), Type::from_json_at(t, depth + 1)?);
                        }
                        Ok(Type::Object(out))
                    }
                    "tuple" => {
                        let items = a[1].as_array().ok_or_else(bad)?;
                        items
                            .iter()
                            .map(|t| Type::from_json_at(t, depth + 1))
                            .collect::<Result<_, _>>()
                            .map(Type::Tuple)
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }
}

impl Value {
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }
    pub fn null_for(_ty: &Type) -> Value {
        Value::Null
    }
    pub fn is_known(&self) -> bool {
        !matches!(self, Value::Unknown(_))
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_fully_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.iter().all(Value::is_fully_known),
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_fully_known),
            Value::Dynamic(_, v) => v.is_fully_known(),
            _ => true,
        }
    }
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.get(name),
            _ => None,
        }
    }
    /// Set an attribute of an object (nothing happens to other values).
    pub fn set_attr(&mut self, name: &str, v: Value) {
        if let Value::Object(m) = self {
            m.insert(name.to_string(), v);
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

mod codec;
pub use codec::{decode_json, decode_msgpack, encode_json, encode_msgpack};

#[cfg(test)]
mod tests;
