//! Helpers every RPC handler of [`super::server`] uses: decoding and encoding DynamicValues
//! against a schema, unknown type names, and the panic guard.

use super::diag::{Diagnostic, Diagnostics};
use super::schema::Schema;
use super::value::{self, Value};
use crate::proto::tfplugin6 as pb;
use std::future::Future;

pub(crate) fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostic::error(format!("Unknown {kind} type {name}"), "This provider does not implement it.").into()
}

/// Decode a DynamicValue of the given schema; absent means null.
pub(crate) fn decode(dv: Option<&pb::DynamicValue>, schema: &Schema) -> Result<Value, Diagnostics> {
    let ty = schema.value_type();
    let res = match dv {
        Some(d) if !d.msgpack.is_empty() => value::decode_msgpack(&d.msgpack, &ty),
        Some(d) if !d.json.is_empty() => value::decode_json(&d.json, &ty),
        _ => return Ok(Value::Null),
    };
    res.map_err(|e| Diagnostic::error("Invalid value from Terraform", e.to_string()).into())
}

pub(crate) fn encode(v: &Value, schema: &Schema) -> Result<pb::DynamicValue, Diagnostics> {
    let msgpack = value::encode_msgpack(v, &schema.value_type())
        .map_err(|e| Diagnostics::from(Diagnostic::error("Provider bug: could not encode a value", e.to_string())))?;
    Ok(pb::DynamicValue { msgpack, json: vec![] })
}

/// Run a handler on its own task so that a panic inside it is caught and reported as a
/// diagnostic (ARCHITECTURE.md, "Principles": never panic in an RPC).
pub(crate) async fn guarded<T, F>(fut: F, on_error: impl FnOnce(Diagnostics) -> T) -> T
where
    F: Future<Output = Result<T, Diagnostics>> + Send + 'static,
    T: Send + 'static,
{
    match tokio::spawn(fut).await {
        Ok(Ok(v)) => v,
        Ok(Err(d)) => on_error(d),
        Err(e) => {
            tracing::error!(error = %e, "RPC handler panicked");
            on_error(
                Diagnostic::error(
                    "Provider internal error",
                    format!("The provider failed unexpectedly ({e}). Please report this."),
                )
                .into(),
            )
        }
    }
}
