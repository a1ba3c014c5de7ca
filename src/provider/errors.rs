//! The one place where an API error becomes a Terraform diagnostic (design.md §2 principle 6).
//! Every API diagnostic names the operation, method, path, environment and correlation id, so a
//! user can hand it to Digdir's service desk as is.

use crate::api::ApiError;
use crate::tfplugin::{AttrPath, Diagnostic, Diagnostics};

/// Turn an API error into a diagnostic. `what` says what the provider was doing, in words a
/// user recognises ("create scope demo:orders.read").
pub fn api_diag(err: &ApiError, what: &str, environment: &str) -> Diagnostic {
    let summary = format!("Failed to {what}");
    let mut detail = match err {
        ApiError::Http { status: 401, .. } => format!(
            "{err}\n\nDigdir rejected the access token even after a fresh one was obtained. Check that the \
             administration client and the API URL belong to the same environment ({environment})."
        ),
        ApiError::Http { status: 403, .. } => format!(
            "{err}\n\nThe administration client lacks the rights for this operation, or the object belongs to \
             another organisation. Check the admin scopes Digdir granted the client and the owner of the object."
        ),
        ApiError::Token { .. } => format!(
            "{err}\n\nMaskinporten refused to issue an admin token. Check client_id, the signing key and \
             certificate, and that the scopes requested were granted to the administration client."
        ),
        ApiError::Cancelled => "Terraform asked the provider to stop before this finished.".to_string(),
        _ => err.to_string(),
    };
    detail.push_str(&format!("\n\nEnvironment: {environment}."));
    Diagnostic::error(summary, detail)
}

/// Push an API error onto `diags`, optionally at an attribute.
pub fn push_api(diags: &mut Diagnostics, err: &ApiError, what: &str, environment: &str, path: Option<AttrPath>) {
    let d = api_diag(err, what, environment);
    diags.push(match path {
        Some(p) => d.at(p),
        None => d,
    });
}
