//! Digdir's error bodies, as docs/development/digdir-api.md describes them (every section cited in
//! this file is a heading of that page): `ApiErrorResponse` for the admin API ("Errors") and
//! OAuth-style errors for the token endpoint ("Token endpoint and the admin grant").

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_nanos(std::time::SystemTime::now()).to_string()
}

/// A request body that must be a JSON object, as every create and update takes; anything else is
/// Digdir's 400.
pub fn body_object(
    body: Option<Json<serde_json::Value>>,
) -> Result<serde_json::Map<String, serde_json::Value>, Response> {
    match body {
        Some(Json(serde_json::Value::Object(m))) => Ok(m),
        _ => Err(api(400, "Input ikke i korrekt format: a JSON object is required")),
    }
}

/// A new object's server-set fields: a fresh id under `id_key` (`client_id`, `id`), and
/// `created` and `last_updated` both now. Returns the id.
pub fn stamp_new(object: &mut serde_json::Map<String, serde_json::Value>, id_key: &str) -> String {
    let (id, now) = (uuid::Uuid::new_v4().to_string(), now_rfc3339());
    object.insert(id_key.into(), json!(id));
    object.insert("created".into(), json!(now));
    object.insert("last_updated".into(), json!(now));
    id
}

fn correlation_id() -> String {
    format!("{:032x}", fastrand::u128(..))
}

/// An `ApiErrorResponse` with a plain message.
pub fn api(status: u16, message: &str) -> Response {
    body(status, vec![], message.to_string())
}

/// Digdir's 403 for a missing admin scope or another organisation's object; its text does not
/// say which ("Errors").
pub fn forbidden() -> Response {
    api(403, "Autentisert bruker/system har ikke korrekte rettigheter")
}

/// An `ApiErrorResponse` with field errors; `error` and `error_description` are the
/// concatenation `", msg1, msg2"` as Digdir sends them ("Errors").
pub fn fields(status: u16, object: &str, errs: &[(&str, String)]) -> Response {
    let list = errs
        .iter()
        .map(|(f, m)| json!({"errorMessage": m, "isFieldError": true, "objectName": object, "fieldIdentifier": f}))
        .collect();
    let text: String = errs.iter().map(|(_, m)| format!(", {m}")).collect();
    body(status, list, text)
}

fn body(status: u16, errors: Vec<serde_json::Value>, text: String) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let b = json!({
        "status": status,
        "timestamp": now_rfc3339(),
        "correlation_id": correlation_id(),
        "errors": errors,
        "error": text,
        "error_description": text,
    });
    (code, Json(b)).into_response()
}

/// The OAuth error code of a token-endpoint refusal, carried on the response for the token log.
#[derive(Clone, Debug)]
pub struct OAuthError(pub String);

/// A token-endpoint error: HTTP 400 `{error, error_description}` with a trace id
/// ("Token endpoint and the admin grant").
pub fn oauth(error: &str, description: &str) -> Response {
    let d = format!("{description} (trace_id: {})", correlation_id());
    let mut r = (StatusCode::BAD_REQUEST, Json(json!({"error": error, "error_description": d}))).into_response();
    r.extensions_mut().insert(OAuthError(error.to_string()));
    r
}

/// What a handler answers: `Err` carries Digdir's error response, so handlers can use `?`.
pub type Answer = Result<Response, Response>;
