//! The one place where an API error becomes a Terraform diagnostic (ARCHITECTURE.md, "Principles":
//! errors). Every API diagnostic names the operation, method, path, environment and correlation id,
//! so a user can hand it to Digdir's service desk as is.

use crate::api::ApiError;
use crate::tfplugin::{AttrPath, Diagnostic, Diagnostics};

/// Turn an API error into a diagnostic. `what` says what the provider was doing, in words a
/// user recognises ("create scope demo:orders.read").
pub fn api_diag(
    err: &ApiError,
    what: &str,
    environment: &str,
    client: Option<&crate::api::ApiClient>,
    supplier_request: bool,
) -> Diagnostic {
    let summary = format!("Failed to {what}");
    let mut detail = match err {
        ApiError::Token { .. } => match super::explain::token(err) {
            Some(why) => format!("Maskinporten refused to issue an admin token: {err}\n\n{why}"),
            None => format!(
                "Maskinporten refused to issue an admin token: {err}\n\nCheck client_id, the signing key and certificate, and the scopes requested."
            ),
        },
        ApiError::Cancelled => "Terraform asked the provider to stop before this finished.".to_string(),
        _ => match super::explain::api(err, client, supplier_request) {
            Some(why) => format!("{err}\n\n{why}"),
            None => err.to_string(),
        },
    };
    detail.push_str(&format!("\n\nEnvironment: {environment}."));
    Diagnostic::error(summary, detail)
}

/// Push an API error onto `diags`, optionally at an attribute.
/// `supplier_request`: the failed call registered or changed a client for another organisation.
pub fn push_api(
    diags: &mut Diagnostics,
    err: &ApiError,
    what: &str,
    environment: &str,
    path: Option<AttrPath>,
    client: Option<&crate::api::ApiClient>,
    supplier_request: bool,
) {
    let d = api_diag(err, what, environment, client, supplier_request);
    diags.push(match path {
        Some(p) => d.at(p),
        None => d,
    });
}

/// As [`push_api`], as a warning: for a lookup that only adds information to a plan, whose
/// failure must not fail it. `consequence` says what the user sees instead.
pub fn push_api_warning(
    diags: &mut Diagnostics,
    err: &ApiError,
    what: &str,
    environment: &str,
    client: Option<&crate::api::ApiClient>,
    consequence: &str,
) {
    let d = api_diag(err, what, environment, client, false);
    diags.push(Diagnostic::warning(format!("Could not {what}"), format!("{consequence}\n\n{}", d.detail)));
}
