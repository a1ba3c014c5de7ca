//! Schemas: what a provider, resource or data source accepts, written once and used three ways —
//! sent to Terraform (GetProviderSchema), driving the generic plan/apply rules in
//! [`super::lifecycle`], and checked against the documentation pages by tests.

use super::value::Type;
use crate::proto::tfplugin6 as pb;
use std::collections::BTreeMap;

/// Who sets an attribute: the user, the provider, or either.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    /// The user may set it; when they don't, the provider fills it in (a default or the API's value).
    OptionalComputed,
    /// Only the provider sets it.
    Computed,
}

/// How a computed attribute without a configured value plans on an in-place update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnUpdate {
    /// It keeps its prior value (the common case: ids, names, owner).
    KeepPrior,
    /// It may change on any update, so it plans as "known after apply".
    Unknown,
}

#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub mode: Mode,
    pub sensitive: bool,
    /// Never stored in plan or state (Terraform ≥ 1.11); read from config at apply.
    pub write_only: bool,
    /// A change plans a replacement instead of an in-place update.
    pub force_new: bool,
    pub on_update: OnUpdate,
    pub deprecated: Option<String>,
}

impl Attribute {
    fn new(name: &str, ty: Type, mode: Mode) -> Self {
        Attribute {
            name: name.to_string(),
            ty,
            description: String::new(),
            mode,
            sensitive: false,
            write_only: false,
            force_new: false,
            on_update: OnUpdate::KeepPrior,
            deprecated: None,
        }
    }
    pub fn required(name: &str, ty: Type) -> Self {
        Self::new(name, ty, Mode::Required)
    }
    pub fn optional(name: &str, ty: Type) -> Self {
        Self::new(name, ty, Mode::Optional)
    }
    pub fn optional_computed(name: &str, ty: Type) -> Self {
        Self::new(name, ty, Mode::OptionalComputed)
    }
    pub fn computed(name: &str, ty: Type) -> Self {
        Self::new(name, ty, Mode::Computed)
    }
    /// The user documentation of this attribute: full sentences, the API field, replacement.
    pub fn describe(mut self, text: &str) -> Self {
        self.description = text.to_string();
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn unknown_on_update(mut self) -> Self {
        self.on_update = OnUpdate::Unknown;
        self
    }
    pub fn deprecated(mut self, message: &str) -> Self {
        self.deprecated = Some(message.to_string());
        self
    }
    pub fn is_computed(&self) -> bool {
        matches!(self.mode, Mode::Computed | Mode::OptionalComputed)
    }
    /// Whether the user may write it in configuration.
    pub fn is_configurable(&self) -> bool {
        !matches!(self.mode, Mode::Computed)
    }

    fn to_proto(&self) -> pb::schema::Attribute {
        pb::schema::Attribute {
            name: self.name.clone(),
            r#type: self.ty.to_json_bytes(),
            nested_type: None,
            description: self.description.clone(),
            required: self.mode == Mode::Required,
            optional: matches!(self.mode, Mode::Optional | Mode::OptionalComputed),
            computed: self.is_computed(),
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: self.deprecated.is_some(),
            write_only: self.write_only,
            deprecation_message: self.deprecated.clone().unwrap_or_default(),
        }
    }
}

/// The schema of a provider, resource or data source: a flat list of attributes (nested data is
/// expressed with object-typed attributes, which keeps plans simple and Terraform ≥ 1.11 friendly).
#[derive(Clone, Debug)]
pub struct Schema {
    pub version: i64,
    pub description: String,
    pub attributes: Vec<Attribute>,
}

impl Schema {
    pub fn new(description: &str, attributes: Vec<Attribute>) -> Self {
        Schema { version: 0, description: description.to_string(), attributes }
    }
    pub fn with_version(mut self, version: i64) -> Self {
        self.version = version;
        self
    }
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
    /// The object type of a value conforming to this schema.
    pub fn value_type(&self) -> Type {
        Type::Object(self.attributes.iter().map(|a| (a.name.clone(), a.ty.clone())).collect::<BTreeMap<_, _>>())
    }
    pub(crate) fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(pb::schema::Block {
                version: self.version,
                attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
                block_types: vec![],
                description: self.description.clone(),
                description_kind: pb::StringKind::Markdown as i32,
                deprecated: false,
                deprecation_message: String::new(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_computed_sets_both_flags() {
        let a = Attribute::optional_computed("x", Type::String).describe("X.").to_proto();
        assert!(a.optional && a.computed && !a.required);
        assert_eq!(a.r#type, b"\"string\"".to_vec());
    }

    #[test]
    fn value_type_lists_every_attribute() {
        let s = Schema::new("", vec![Attribute::required("a", Type::String), Attribute::computed("b", Type::Bool)]);
        let Type::Object(m) = s.value_type() else { panic!("object") };
        assert_eq!(m.len(), 2);
    }
}
