//! Provider functions: `provider::maskinporten::orgno_valid(string)` and
//! `provider::maskinporten::jwk_thumbprint(string)`.

use super::{keys, orgno};
use crate::tfplugin::{Function, FunctionError, Param, Type, Value};

pub struct OrgnoValid;

impl Function for OrgnoValid {
    fn name(&self) -> &'static str {
        "orgno_valid"
    }
    fn summary(&self) -> &'static str {
        "Whether a string is a valid Norwegian organisation number"
    }
    fn description(&self) -> &'static str {
        "Returns true when the argument is nine digits whose last digit is the mod-11 check digit (weights 3 2 7 6 5 4 3 2), as Brønnøysund assigns them. Useful in variable validation blocks."
    }
    fn params(&self) -> Vec<Param> {
        vec![Param {
            name: "orgno",
            ty: Type::String,
            description: "The organisation number to check, e.g. \"991825827\".",
        }]
    }
    fn returns(&self) -> Type {
        Type::Bool
    }
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        Ok(Value::Bool(args.first().and_then(Value::as_str).is_some_and(orgno::mod11_valid)))
    }
}

pub struct JwkThumbprint;

impl Function for JwkThumbprint {
    fn name(&self) -> &'static str {
        "jwk_thumbprint"
    }
    fn summary(&self) -> &'static str {
        "The RFC 7638 thumbprint of a public key"
    }
    fn description(&self) -> &'static str {
        "Returns the RFC 7638 SHA-256 thumbprint (base64url) of an RSA public key given as a public key PEM, a certificate PEM or a public JWK — the identity `maskinporten_client_key` uses. Private keys are refused."
    }
    fn params(&self) -> Vec<Param> {
        vec![Param {
            name: "key",
            ty: Type::String,
            description: "Public key PEM, certificate PEM or public JWK (JSON).",
        }]
    }
    fn returns(&self) -> Type {
        Type::String
    }
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let text = args.first().and_then(Value::as_str).unwrap_or("");
        keys::parse(text)
            .map(|k| Value::String(k.thumbprint()))
            .map_err(|e| FunctionError { text: format!("the key is refused: {e}"), argument: Some(0) })
    }
}
