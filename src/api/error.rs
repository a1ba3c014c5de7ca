//! API errors, keeping what a user needs to act: status, Digdir's explanation, correlation id.

use serde::Deserialize;
use std::time::SystemTime;

/// One field error of an [`ApiErrorResponse`] (camelCase on the wire;
/// docs/development/digdir-api.md, "Errors").
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ApiFieldError {
    #[serde(rename = "errorMessage", default)]
    pub error_message: Option<String>,
    #[serde(rename = "isFieldError", default)]
    pub is_field_error: Option<bool>,
    #[serde(rename = "objectName", default)]
    pub object_name: Option<String>,
    #[serde(rename = "fieldIdentifier", default)]
    pub field_identifier: Option<String>,
}

/// Digdir's error body (2025+), tolerant of the older `{error, error_description}` form.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ApiErrorResponse {
    #[serde(default)]
    pub status: Option<i64>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub errors: Vec<ApiFieldError>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

impl ApiErrorResponse {
    /// The human explanation: field errors when present, else the description; anything shaped
    /// like a token or a key blanked (super::redact::scrub).
    pub fn explanation(&self) -> String {
        super::redact::scrub(&self.raw_explanation())
    }

    fn raw_explanation(&self) -> String {
        let fields: Vec<String> = self
            .errors
            .iter()
            .filter_map(|e| {
                let m = e.error_message.clone()?;
                Some(match &e.field_identifier {
                    Some(f) if !f.is_empty() => format!("{f}: {m}"),
                    _ => m,
                })
            })
            .collect();
        if !fields.is_empty() {
            return fields.join("; ");
        }
        let d = self.error_description.clone().or_else(|| self.error.clone()).unwrap_or_default();
        d.trim_start_matches(", ").to_string()
    }
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{method} {path} returned HTTP {status}{}{}", explain(body, raw), cid(correlation_id))]
    Http {
        method: String,
        path: String,
        status: u16,
        body: Option<ApiErrorResponse>,
        correlation_id: Option<String>,
        /// The response `Date`, for diagnosing clock skew.
        date: Option<SystemTime>,
        raw: Option<String>,
    },
    #[error("Maskinporten's token endpoint returned HTTP {status}: {error}: {description}")]
    Token { status: u16, error: String, description: String, mp_code: Option<String> },
    #[error("{method} {path} failed: {message}{}", if *maybe_committed { " (the request may have reached Digdir)" } else { "" })]
    Transport {
        method: String,
        path: String,
        message: String,
        maybe_committed: bool,
        /// The TLS handshake was refused (untrusted or invalid certificate): nothing was sent,
        /// and repeating cannot help.
        tls_refused: bool,
    },
    #[error("{method} {path} timed out")]
    Timeout { method: String, path: String },
    /// The operation needs an admin scope this process cannot use: refused by Maskinporten
    /// (`refused`), missing from the configured `scopes`, or (for a plan-time check, `probed`
    /// false) not asked for after an earlier refusal. Nothing was sent to Digdir's API.
    #[error("{method} {path} needs the admin scope {}", needed.join(" or "))]
    ScopeNotGranted {
        method: String,
        path: String,
        needed: Vec<String>,
        refused: Vec<String>,
        configured: Option<Vec<String>>,
        probed: bool,
    },
    #[error("cancelled: Terraform asked the provider to stop")]
    Cancelled,
    #[error("configuration: {0}")]
    Config(String),
    #[error("{method} {path}: unexpected response: {message}")]
    Decode { method: String, path: String, message: String },
    /// An object a change starts from is not there (a read found nothing to change). Digdir's
    /// own 404 answers stay [`ApiError::Http`], with their body.
    #[error("{method} {path}: {what} not found")]
    NotFound { method: String, path: String, what: String },
}

impl ApiError {
    /// A transport failure in words a user can act on: reqwest's own message ("error sending
    /// request") and every cause under it ("invalid peer certificate: UnknownIssuer",
    /// "Connection refused"), without the URL (the diagnostic names method and path). Nothing
    /// secret reaches these messages: they describe connections, never bodies.
    pub(crate) fn transport(method: &str, path: &str, e: reqwest::Error, maybe_committed: bool) -> ApiError {
        let tls_refused = tls_refused(&e);
        let e = e.without_url();
        let mut message = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            let part = c.to_string();
            if !message.contains(&part) {
                message = format!("{message}: {part}");
            }
            cause = c.source();
        }
        ApiError::Transport {
            method: method.to_string(),
            path: path.to_string(),
            message,
            maybe_committed: maybe_committed && !tls_refused,
            tls_refused,
        }
    }
}

/// Whether the TLS handshake itself failed (an untrusted or invalid certificate, no common
/// protocol): retrying cannot help, and the explanation points at `ca_bundle_file`.
fn tls_refused(e: &reqwest::Error) -> bool {
    // rustls's error arrives wrapped in io::Errors (twice, through hyper), whose `source` skips
    // the wrapped error itself: look inside each with `get_ref`.
    fn is_rustls(mut e: &(dyn std::error::Error + 'static)) -> bool {
        loop {
            if e.is::<rustls::Error>() {
                return true;
            }
            match e.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
                Some(inner) => e = inner,
                None => return false,
            }
        }
    }
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if is_rustls(c) {
            return true;
        }
        cause = c.source();
    }
    false
}

fn explain(body: &Option<ApiErrorResponse>, raw: &Option<String>) -> String {
    match (body.as_ref().map(ApiErrorResponse::explanation), raw) {
        (Some(e), _) if !e.is_empty() => format!(": {e}"),
        (_, Some(r)) if !r.is_empty() => format!(": {r}"),
        _ => String::new(),
    }
}

fn cid(c: &Option<String>) -> String {
    c.as_ref().map(|c| format!(" (correlation_id {c})")).unwrap_or_default()
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Http { status, .. } | ApiError::Token { status, .. } => Some(*status),
            _ => None,
        }
    }
    pub(crate) fn not_found(method: &str, path: &str, what: String) -> ApiError {
        ApiError::NotFound { method: method.into(), path: path.into(), what }
    }
    /// Digdir answered 404, or the object a change starts from was not found.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::NotFound { .. }) || self.status() == Some(404)
    }
    /// Digdir answers some list endpoints with an error instead of `[]`
    /// (docs/development/digdir-api.md, "Errors").
    pub fn is_does_not_have_any(&self) -> bool {
        match self {
            ApiError::Http { body: Some(b), .. } => [&b.error_description, &b.error]
                .iter()
                .any(|s| s.as_deref().is_some_and(|s| s.contains("does not have any"))),
            ApiError::Http { raw: Some(r), .. } => r.contains("does not have any"),
            _ => false,
        }
    }
    /// Whether a write may have taken effect although it failed: the answer was lost (transport
    /// error after sending, timeout) or the server failed (5xx). Such a create is reconciled by
    /// reading, never repeated blindly (ARCHITECTURE.md, "Rules every resource follows").
    pub fn may_have_committed(&self) -> bool {
        matches!(self, ApiError::Transport { maybe_committed: true, .. } | ApiError::Timeout { .. })
            || self.status().is_some_and(|s| s >= 500)
    }

    /// An HTTP error answer as tests need one, without the response's date or correlation id.
    #[cfg(test)]
    pub(crate) fn http_for_test(
        method: &str,
        path: &str,
        status: u16,
        body: Option<ApiErrorResponse>,
        raw: Option<&str>,
    ) -> ApiError {
        let (method, path, raw) = (method.into(), path.into(), raw.map(str::to_string));
        ApiError::Http { method, path, status, body, correlation_id: None, date: None, raw }
    }

    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            ApiError::Http { correlation_id, .. } => correlation_id.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_2025_body_and_explains_field_errors() {
        let b: ApiErrorResponse = serde_json::from_str(r#"{"status":400,"timestamp":"2025-07-02T08:30:00.000000000Z","correlation_id":"0123456789abcdef0123456789abcdef","errors":[{"errorMessage":"error 1","isFieldError":true,"objectName":"Client","fieldIdentifier":"scopes"},{"errorMessage":"error 2","isFieldError":true,"objectName":"Client","fieldIdentifier":"client_name"}],"error":", error 1, error 2","error_description":", error 1, error 2"}"#).unwrap();
        assert_eq!(b.explanation(), "scopes: error 1; client_name: error 2");
        assert_eq!(b.correlation_id.as_deref(), Some("0123456789abcdef0123456789abcdef"));
    }

    #[test]
    fn parses_the_old_oauth_shape() {
        let b: ApiErrorResponse = serde_json::from_str(
            r#"{"error":"invalid_request","error_description":"Organization 1 does not have any scopes"}"#,
        )
        .unwrap();
        let e = ApiError::http_for_test("GET", "/scopes", 404, Some(b), None);
        assert!(e.is_does_not_have_any());
        assert!(e.to_string().contains("does not have any scopes"));
    }

    fn http(body: Option<ApiErrorResponse>, raw: Option<&str>) -> ApiError {
        ApiError::http_for_test("GET", "/scopes", 400, body, raw)
    }

    /// The message explains with Digdir's words when there are any: the parsed body, else the raw
    /// text, else nothing (never a dangling colon); a field error without a field name is the
    /// message alone.
    #[test]
    fn the_message_says_what_digdir_said_and_nothing_empty() {
        let unnamed: ApiErrorResponse =
            serde_json::from_str(r#"{"errors":[{"errorMessage":"too long","fieldIdentifier":""}]}"#).unwrap();
        assert_eq!(unnamed.explanation(), "too long");
        let empty = ApiErrorResponse::default();
        assert_eq!(
            http(Some(empty.clone()), Some("plain text")).to_string(),
            "GET /scopes returned HTTP 400: plain text"
        );
        assert_eq!(http(Some(empty), Some("")).to_string(), "GET /scopes returned HTTP 400");
        assert_eq!(http(None, None).to_string(), "GET /scopes returned HTTP 400");
        assert_eq!(http(Some(unnamed), Some("raw")).to_string(), "GET /scopes returned HTTP 400: too long");
    }
}
