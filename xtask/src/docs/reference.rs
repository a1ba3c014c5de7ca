//! The generated reference: argument and attribute tables from a [`Schema`], and a function's
//! signature. The first column of every table row is the backticked attribute name, which
//! `tests/docs.rs` reads back to compare with the schema.

use terraform_provider_maskinporten::tfplugin::schema::{Mode, OnUpdate};
use terraform_provider_maskinporten::tfplugin::{Attribute, Function, Schema, Type};

/// A type as the reference names it: `string`, `set of string`, `list of object`.
pub fn type_name(ty: &Type) -> String {
    match ty {
        Type::String => "string".into(),
        Type::Number => "number".into(),
        Type::Bool => "bool".into(),
        Type::Dynamic => "dynamic".into(),
        Type::List(t) => format!("list of {}", type_name(t)),
        Type::Set(t) => format!("set of {}", type_name(t)),
        Type::Map(t) => format!("map of {}", type_name(t)),
        Type::Object(_) => "object".into(),
        Type::Tuple(_) => "tuple".into(),
    }
}

/// A type in Terraform's type-constraint syntax, for function signatures: `list(string)`.
fn constraint(ty: &Type) -> String {
    match ty {
        Type::String | Type::Number | Type::Bool => type_name(ty),
        Type::Dynamic => "any".into(),
        Type::List(t) => format!("list({})", constraint(t)),
        Type::Set(t) => format!("set({})", constraint(t)),
        Type::Map(t) => format!("map({})", constraint(t)),
        Type::Object(m) => {
            let fields: Vec<String> = m.iter().map(|(k, t)| format!("{k} = {}", constraint(t))).collect();
            format!("object({{ {} }})", fields.join(", "))
        }
        Type::Tuple(v) => format!("tuple([{}])", v.iter().map(constraint).collect::<Vec<_>>().join(", ")),
    }
}

/// The default a description states, from its sentence that starts with "Default":
/// "Default `30s`." → "`30s`", "Default: Digdir's (120)." → "Digdir's (120)",
/// "Defaults to your organisation; …" → "your organisation".
pub fn default_of(description: &str) -> Option<String> {
    description.split(". ").find_map(|sentence| {
        let rest = ["Defaults to ", "Default: ", "Default "].iter().find_map(|p| sentence.strip_prefix(p))?;
        let value = rest.split("; ").next().unwrap_or(rest).trim().trim_end_matches('.');
        (!value.is_empty()).then(|| value.to_string())
    })
}

/// Text safe in a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn description(a: &Attribute) -> String {
    match &a.deprecated {
        Some(m) => cell(&format!("**Deprecated:** {m} {}", a.description)),
        None => cell(&a.description),
    }
}

/// required / optional / optional, computed / computed, and the markers that apply.
fn kind(a: &Attribute, resource: bool) -> String {
    let mut k = match a.mode {
        Mode::Required => "required",
        Mode::Optional => "optional",
        Mode::OptionalComputed => "optional, computed",
        Mode::Computed => "computed",
    }
    .to_string();
    if a.sensitive {
        k.push_str(", sensitive");
    }
    if a.write_only {
        k.push_str(", write-only");
    }
    if resource && a.is_computed() && a.on_update == OnUpdate::Unknown {
        k.push_str(", known after apply on update");
    }
    if a.deprecated.is_some() {
        k.push_str(", deprecated");
    }
    k
}

/// The attribute's row of the argument table.
fn argument_row(a: &Attribute, resource: bool, provider: bool) -> String {
    let default = default_of(&a.description).unwrap_or_else(|| "—".into());
    let mut cols = vec![format!("`{}`", a.name), kind(a, resource), type_name(&a.ty)];
    if provider {
        cols.push(format!("`MASKINPORTEN_{}`", a.name.to_ascii_uppercase()));
    }
    cols.push(cell(&default));
    if resource {
        cols.push(if a.force_new { "yes" } else { "no" }.into());
    }
    cols.push(description(a));
    format!("| {} |", cols.join(" | "))
}

/// Element fields of object-typed (or list/set/map of object) attributes, as lists after the
/// tables: the schema gives their names and types, not descriptions.
fn nested(attrs: &[&Attribute]) -> String {
    let mut out = String::new();
    for a in attrs {
        let (fields, each) = match &a.ty {
            Type::Object(m) => (m, "is an object with"),
            Type::List(t) | Type::Set(t) | Type::Map(t) => match t.as_ref() {
                Type::Object(m) => (m, "holds objects with"),
                _ => continue,
            },
            _ => continue,
        };
        out.push_str(&format!("\n### Nested schema for `{}`\n\n`{}` {each}:\n\n", a.name, a.name));
        for (name, ty) in fields {
            out.push_str(&format!("- `{name}` ({})\n", type_name(ty)));
        }
    }
    out
}

/// "## Argument Reference" (required, then optional) and "## Attribute Reference" (computed
/// only). `resource` adds the forces-replacement column; `provider` the environment variable.
pub fn schema(schema: &Schema, resource: bool, provider: bool) -> String {
    let with =
        |modes: &[Mode]| -> Vec<&Attribute> { schema.attributes.iter().filter(|a| modes.contains(&a.mode)).collect() };
    let mut args = with(&[Mode::Required]);
    args.extend(with(&[Mode::Optional, Mode::OptionalComputed]));
    let computed = with(&[Mode::Computed]);
    let mut out = String::from("## Argument Reference\n\n");
    if args.is_empty() {
        out.push_str("No arguments.\n");
    } else {
        if provider {
            out.push_str(
                "Every argument can also be set with its environment variable; the provider block takes precedence.\n\n",
            );
        }
        if resource {
            out.push_str(
                "An *optional, computed* argument left out of the configuration takes its default.\n\
                 *Forces replacement*: a change plans a new object instead of an update in place.\n\n",
            );
        }
        let mut head = vec!["argument", "kind", "type"];
        if provider {
            head.push("environment variable");
        }
        head.push("default");
        if resource {
            head.push("forces replacement");
        }
        head.push("description");
        out.push_str(&format!("| {} |\n|{}\n", head.join(" | "), "---|".repeat(head.len())));
        for a in &args {
            out.push_str(&argument_row(a, resource, provider));
            out.push('\n');
        }
    }
    out.push_str(&nested(&args));
    if !computed.is_empty() {
        out.push_str("\n## Attribute Reference\n\nIn addition to the arguments, these attributes are exported:\n\n");
        out.push_str("| attribute | kind | type | description |\n|---|---|---|---|\n");
        for a in &computed {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                a.name,
                kind(a, resource),
                type_name(&a.ty),
                description(a)
            ));
        }
        out.push_str(&nested(&computed));
    }
    out
}

/// "## Signature", "## Arguments" and "## Return Type" of a provider function.
pub fn function(f: &dyn Function) -> String {
    let params = f.params();
    let sig: Vec<String> = params.iter().map(|p| format!("{} {}", p.name, constraint(&p.ty))).collect();
    let mut out = format!(
        "## Signature\n\n```text\n{}({}) {}\n```\n\n## Arguments\n\n",
        f.name(),
        sig.join(", "),
        constraint(&f.returns())
    );
    if params.is_empty() {
        out.push_str("None.\n");
    }
    for (i, p) in params.iter().enumerate() {
        out.push_str(&format!("{}. `{}` ({}) {}\n", i + 1, p.name, type_name(&p.ty), p.description));
    }
    out.push_str(&format!("\n## Return Type\n\nThe return type of `{}` is {}.\n", f.name(), type_name(&f.returns())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_the_description() {
        assert_eq!(default_of("Timeout. Default `30s`.").as_deref(), Some("`30s`"));
        assert_eq!(default_of("Lifetime; must be > 0. Default: Digdir's (120).").as_deref(), Some("Digdir's (120)"));
        assert_eq!(
            default_of("Owner. Defaults to your organisation; set it to x.").as_deref(),
            Some("your organisation")
        );
        assert_eq!(default_of("How often. Default 5.").as_deref(), Some("5"));
        assert_eq!(default_of("The default is derived from the id."), None);
    }

    #[test]
    fn types_read_as_words() {
        assert_eq!(type_name(&Type::set(Type::String)), "set of string");
        assert_eq!(type_name(&Type::list(Type::Object(Default::default()))), "list of object");
        assert_eq!(constraint(&Type::map(Type::Number)), "map(number)");
    }
}
