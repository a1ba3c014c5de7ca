//! Data source `maskinporten_client_keys`: the keys registered on one client, whoever registered
//! them — to find the kid to import, and to alert on expiry with a `check` block (the
//! key-custody guide shows one).

use super::{object, object_list, s};
use crate::provider::{Shared, client_key, keys};
use crate::tfplugin::{AttrPath, Attribute, DataSource, Diagnostics, Schema, Type, Value, ValueExt};
use async_trait::async_trait;
use std::sync::Arc;

pub struct ClientKeysData(pub Arc<Shared>);

const FIELDS: &[(&str, Type)] = &[
    ("kid", Type::String),
    ("thumbprint", Type::String),
    ("alg", Type::String),
    ("expires_at", Type::String),
    ("created", Type::String),
];

fn schema() -> Schema {
    Schema::new(
        "The public keys registered on one of your clients (API field `jwks`), whoever registered them: \
         Terraform, another state, a colleague in Samarbeidsportalen or another tool.",
        vec![
            Attribute::required("client_id", Type::String).describe("The client whose keys to read."),
            object_list(
                "keys",
                "The registered keys, in Digdir's order: `kid` (the key id clients put in their grants' JWT header; \
                 `<client_id>,<kid>` imports it as a `maskinporten_client_key`), `thumbprint` (RFC 7638 SHA-256, the \
                 key's identity), `alg` (`RS256` or `RS512`), `expires_at` (RFC 3339, when Maskinporten stops \
                 accepting it; at most a year after it was registered) and `created` (as Digdir reports it). \
                 Empty when the client has no keys.",
                FIELDS,
            ),
        ],
    )
}

#[async_trait]
impl DataSource for ClientKeysData {
    fn type_name(&self) -> &'static str {
        "maskinporten_client_keys"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    async fn read(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let api = self.0.api.client(diags)?;
        let id = config.opt_str("client_id")?;
        let list = match api.get_jwks(&id).await {
            Ok(l) => l,
            Err(e) => {
                self.0.api.report(
                    diags,
                    &e,
                    &format!("read the keys of client {id}"),
                    Some(AttrPath::attr("client_id")),
                );
                return None;
            }
        };
        let keys: Vec<Value> = list
            .iter()
            .map(|k| {
                object(
                    FIELDS,
                    vec![
                        ("kid", s(k.kid.clone())),
                        (
                            "thumbprint",
                            Value::String(keys::thumbprint_of(
                                k.n.as_deref().unwrap_or(""),
                                k.e.as_deref().unwrap_or(""),
                            )),
                        ),
                        ("alg", s(Some(k.alg.clone().unwrap_or_else(|| "RS256".into())))),
                        ("expires_at", s(client_key::expires_at(k.exp))),
                        ("created", s(k.created.clone())),
                    ],
                )
            })
            .collect();
        let mut out = std::collections::BTreeMap::new();
        out.insert("client_id".to_string(), Value::String(id));
        out.insert("keys".to_string(), Value::List(keys));
        Some(Value::Object(out))
    }
}
