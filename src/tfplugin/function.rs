//! Provider functions (`provider::<name>::<function>(...)`, Terraform ≥ 1.8): pure computations
//! on their arguments, called without provider configuration.

use super::diag::Diagnostics;
use super::value::{self, Type, Value};
use crate::proto::tfplugin6 as pb;
use std::collections::HashMap;
use std::sync::Arc;

/// One parameter of a function.
pub struct Param {
    pub name: &'static str,
    pub ty: Type,
    pub description: &'static str,
}

/// Why a call failed; `argument` points Terraform at the offending argument (0-based).
pub struct FunctionError {
    pub text: String,
    pub argument: Option<i64>,
}

pub trait Function: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn summary(&self) -> &'static str;
    fn description(&self) -> &'static str;
    fn params(&self) -> Vec<Param>;
    fn returns(&self) -> Type;
    /// Compute the result from known, non-null arguments.
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}

pub(crate) fn to_proto(f: &dyn Function) -> pb::Function {
    pb::Function {
        parameters: f
            .params()
            .into_iter()
            .map(|p| pb::function::Parameter {
                name: p.name.to_string(),
                r#type: p.ty.to_json_bytes(),
                allow_null_value: false,
                allow_unknown_values: false,
                description: p.description.to_string(),
                description_kind: pb::StringKind::Markdown as i32,
            })
            .collect(),
        variadic_parameter: None,
        r#return: Some(pb::function::Return { r#type: f.returns().to_json_bytes() }),
        summary: f.summary().to_string(),
        description: f.description().to_string(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecation_message: String::new(),
    }
}

/// Decode the arguments, call, and encode the result.
pub(crate) fn call(f: &dyn Function, args: &[pb::DynamicValue]) -> pb::call_function::Response {
    let fail = |text: String, argument: Option<i64>| pb::call_function::Response {
        result: None,
        error: Some(pb::FunctionError { text, function_argument: argument }),
    };
    let params = f.params();
    if args.len() != params.len() {
        return fail(format!("{} takes {} argument(s), got {}", f.name(), params.len(), args.len()), None);
    }
    let mut decoded = Vec::with_capacity(args.len());
    for (i, (dv, p)) in args.iter().zip(&params).enumerate() {
        let v = if !dv.msgpack.is_empty() {
            value::decode_msgpack(&dv.msgpack, &p.ty)
        } else {
            value::decode_json(&dv.json, &p.ty)
        };
        match v {
            Ok(v) => decoded.push(v),
            Err(e) => return fail(format!("argument {}: {e}", p.name), Some(i as i64)),
        }
    }
    match f.call(&decoded) {
        Ok(result) => match value::encode_msgpack(&result, &f.returns()) {
            Ok(msgpack) => {
                pb::call_function::Response { result: Some(pb::DynamicValue { msgpack, json: vec![] }), error: None }
            }
            Err(e) => fail(format!("provider bug: {e}"), None),
        },
        Err(e) => fail(e.text, e.argument),
    }
}

/// GetFunctions: every function's signature.
pub(crate) fn list(functions: &HashMap<String, Arc<dyn Function>>) -> pb::get_functions::Response {
    let functions = functions.iter().map(|(k, f)| (k.clone(), to_proto(f.as_ref()))).collect();
    pb::get_functions::Response { functions, diagnostics: vec![] }
}

/// CallFunction by name; an unknown name is a function error, not a crash.
pub(crate) fn call_by_name(
    functions: &HashMap<String, Arc<dyn Function>>,
    req: &pb::call_function::Request,
) -> pb::call_function::Response {
    match functions.get(&req.name) {
        Some(f) => call(f.as_ref(), &req.arguments),
        None => pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError { text: format!("unknown function {}", req.name), function_argument: None }),
        },
    }
}

/// The answer when the call itself failed (a panic caught by the guard).
pub(crate) fn failed(d: Diagnostics) -> pb::call_function::Response {
    let text = d.iter().map(|x| x.summary.clone()).collect::<Vec<_>>().join("; ");
    pb::call_function::Response { result: None, error: Some(pb::FunctionError { text, function_argument: None }) }
}
