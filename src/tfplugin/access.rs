//! Typed access to [`Value`]s, so resources read attributes as Rust types instead of matching
//! on the value tree: at validate/plan time as [`Tri`] (known / null / unknown), at apply and read
//! time as `Option<T>` (known or null). [`ObjectBuilder`] goes the other way, building a state
//! object that always carries every attribute of its schema.

use super::schema::Schema;
use super::value::{Number, Value};
use std::collections::BTreeMap;

/// A configuration value at validate/plan time.
#[derive(Clone, Debug, PartialEq)]
pub enum Tri<T> {
    Known(T),
    Null,
    Unknown,
}

impl<T> Tri<T> {
    /// The value when known; `None` when null or unknown.
    pub fn known(self) -> Option<T> {
        match self {
            Tri::Known(v) => Some(v),
            _ => None,
        }
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Tri::Unknown)
    }
}

static NULL: Value = Value::Null;

/// Accessors on object values. Missing attributes read as null.
pub trait ValueExt {
    fn attr(&self, name: &str) -> &Value;
    fn tri_str(&self, name: &str) -> Tri<&str>;
    fn tri_i64(&self, name: &str) -> Tri<i64>;
    fn tri_bool(&self, name: &str) -> Tri<bool>;
    /// The elements of a set or list of strings; `None` for an element that is unknown.
    fn tri_strs(&self, name: &str) -> Tri<Vec<Option<String>>>;
    fn opt_str(&self, name: &str) -> Option<String>;
    fn opt_i64(&self, name: &str) -> Option<i64>;
    fn opt_bool(&self, name: &str) -> Option<bool>;
    /// The known string elements of a set or list, sorted; `None` when null.
    fn opt_strs(&self, name: &str) -> Option<Vec<String>>;
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(Number::Int(i)) => Some(*i),
        Value::Number(Number::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
        Value::Number(Number::Big(s)) => s.parse().ok(),
        _ => None,
    }
}

fn tri<'a, T>(v: &'a Value, f: impl FnOnce(&'a Value) -> Option<T>) -> Tri<T> {
    match v {
        Value::Unknown(_) => Tri::Unknown,
        Value::Null => Tri::Null,
        other => f(other).map_or(Tri::Null, Tri::Known),
    }
}

impl ValueExt for Value {
    fn attr(&self, name: &str) -> &Value {
        self.get_attr(name).unwrap_or(&NULL)
    }
    fn tri_str(&self, name: &str) -> Tri<&str> {
        tri(self.attr(name), |v| match v {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        })
    }
    fn tri_i64(&self, name: &str) -> Tri<i64> {
        tri(self.attr(name), as_i64)
    }
    fn tri_bool(&self, name: &str) -> Tri<bool> {
        tri(self.attr(name), |v| match v {
            Value::Bool(b) => Some(*b),
            _ => None,
        })
    }
    fn tri_strs(&self, name: &str) -> Tri<Vec<Option<String>>> {
        tri(self.attr(name), |v| match v {
            Value::Set(items) | Value::List(items) => Some(
                items
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        })
    }
    fn opt_str(&self, name: &str) -> Option<String> {
        self.tri_str(name).known().map(str::to_string)
    }
    fn opt_i64(&self, name: &str) -> Option<i64> {
        self.tri_i64(name).known()
    }
    fn opt_bool(&self, name: &str) -> Option<bool> {
        self.tri_bool(name).known()
    }
    fn opt_strs(&self, name: &str) -> Option<Vec<String>> {
        let mut v: Vec<String> = self.tri_strs(name).known()?.into_iter().flatten().collect();
        v.sort();
        v.dedup();
        Some(v)
    }
}

/// A string value.
pub fn string(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

/// A set of strings; `None` becomes null.
pub fn string_set<I, S>(items: Option<I>) -> Value
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    match items {
        None => Value::Null,
        Some(i) => {
            let mut v: Vec<String> = i.into_iter().map(Into::into).collect();
            v.sort();
            v.dedup();
            Value::Set(v.into_iter().map(Value::String).collect())
        }
    }
}

/// Builds an object value with every attribute of a schema present (null unless set).
pub struct ObjectBuilder {
    map: BTreeMap<String, Value>,
}

impl ObjectBuilder {
    pub fn new(schema: &Schema) -> Self {
        ObjectBuilder { map: schema.attributes.iter().map(|a| (a.name.clone(), Value::Null)).collect() }
    }
    /// Start from an existing object (e.g. the planned state) and overwrite some attributes.
    pub fn from_value(schema: &Schema, base: &Value) -> Self {
        let mut b = Self::new(schema);
        if let Value::Object(m) = base {
            for (k, v) in m {
                if b.map.contains_key(k) {
                    b.map.insert(k.clone(), v.clone());
                }
            }
        }
        b
    }
    pub fn value(mut self, name: &str, v: Value) -> Self {
        self.map.insert(name.to_string(), v);
        self
    }
    pub fn str(self, name: &str, v: Option<impl Into<String>>) -> Self {
        self.value(name, v.map_or(Value::Null, |s| Value::String(s.into())))
    }
    pub fn bool(self, name: &str, v: Option<bool>) -> Self {
        self.value(name, v.map_or(Value::Null, Value::Bool))
    }
    pub fn int(self, name: &str, v: Option<i64>) -> Self {
        self.value(name, v.map_or(Value::Null, |i| Value::Number(Number::Int(i))))
    }
    pub fn strs<I, S>(self, name: &str, v: Option<I>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.value(name, string_set(v))
    }
    pub fn build(self) -> Value {
        Value::Object(self.map)
    }
}
