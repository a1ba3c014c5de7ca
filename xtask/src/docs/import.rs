//! The three ways to import a resource, from its example `import.sh` and its identity:
//! `terraform import`, an `import` block by id (Terraform ≥ 1.5) and one by identity
//! (Terraform ≥ 1.12).

use std::collections::BTreeMap;
use terraform_provider_maskinporten::tfplugin::{Identity, Value};

/// Import ids whose parts are split at the last comma, as the resource's `import` does
/// (`src/provider/scope_access.rs`: scope names may contain commas, organisation numbers never).
/// Every other id with several parts is split at its first commas (`client_key`:
/// `<client_id>,<kid>`); an id of one part is the whole id.
const SPLIT_AT_LAST_COMMA: &[&str] = &["maskinporten_scope_access"];

/// The identity values an import id stands for, in the identity's order.
fn identity_values(type_name: &str, identity: &Identity, id: &str) -> Result<Vec<(String, String)>, String> {
    let n = identity.attributes.len();
    let parts: Vec<&str> = if SPLIT_AT_LAST_COMMA.contains(&type_name) {
        let mut p: Vec<&str> = id.rsplitn(n, ',').collect();
        p.reverse();
        p
    } else {
        id.splitn(n, ',').collect()
    };
    if parts.len() != n || parts.iter().any(|p| p.is_empty()) {
        return Err(format!("id {id:?} does not have the {n} part(s) of the identity"));
    }
    let values: Vec<(String, String)> =
        identity.attributes.iter().zip(parts).map(|((name, _), v)| (name.to_string(), v.to_string())).collect();
    // The identity must stand for the same id again, as the provider joins it.
    let object =
        Value::Object(values.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<BTreeMap<_, _>>());
    match identity.import_id(&object) {
        Some(back) if back == id => Ok(values),
        other => Err(format!("identity {values:?} stands for id {other:?}, not {id:?}")),
    }
}

/// The import section's body for a resource, from its `import.sh` (comments, then one
/// `terraform import <address> <id>` line).
pub fn forms(type_name: &str, identity: Option<&Identity>, import_sh: &str) -> Result<String, String> {
    let line = import_sh
        .lines()
        .find(|l| l.trim_start().starts_with("terraform import "))
        .ok_or("no `terraform import <address> <id>` line")?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let [_, _, address, id] = words[..] else {
        return Err(format!("expected `terraform import <address> <id>`: {line}"));
    };
    if !address.starts_with(&format!("{type_name}.")) {
        return Err(format!("the address {address} is not a {type_name}"));
    }
    let identity = identity.ok_or(format!("{type_name} has no resource identity"))?;
    let values = identity_values(type_name, identity, id)?;
    let width = values.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let fields: String = values.iter().map(|(k, v)| format!("    {k:width$} = \"{v}\"\n")).collect();
    let described: String = identity.attributes.iter().map(|(name, d)| format!("- `{name}` (string) {d}\n")).collect();
    Ok(format!(
        "With the `terraform import` command:

```shell
{sh}
```

With an `import` block by id (Terraform 1.5 or later):

```terraform
import {{
  to = {address}
  id = \"{id}\"
}}
```

With an `import` block by identity (Terraform 1.12 or later), whose attributes are

{described}
```terraform
import {{
  to = {address}
  identity = {{
{fields}  }}
}}
```
",
        sh = import_sh.trim_end(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_id_splits_at_the_last_comma() {
        let id = Identity::new(&[("scope", "s"), ("consumer_orgno", "c")]);
        let v = identity_values("maskinporten_scope_access", &id, "demo:a,b,889640782").unwrap();
        assert_eq!(v[0].1, "demo:a,b");
        assert_eq!(v[1].1, "889640782");
        let v = identity_values("maskinporten_client_key", &id, "abc,kid,2").unwrap();
        assert_eq!((v[0].1.as_str(), v[1].1.as_str()), ("abc", "kid,2"));
        assert!(identity_values("maskinporten_client_key", &id, "abc").is_err());
    }
}
