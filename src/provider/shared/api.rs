//! The configured API: the one [`ApiClient`] of this process (once Terraform has configured the
//! provider), the environment it talks to, the merchant-data server, and the conversion of API
//! failures into diagnostics through [`super::super::errors`].

use super::super::{config, contact, errors};
use crate::api::{ApiClient, ApiError};
use crate::tfplugin::{AttrPath, Diagnostic, Diagnostics, Value};
use std::sync::OnceLock;
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

pub struct Api {
    pub(in crate::provider) stop: CancellationToken,
    configured: OnceLock<Configured>,
    /// The environment named in the provider block or MASKINPORTEN_ENVIRONMENT, as seen at
    /// validate time (before configure), for checks whose strictness depends on it.
    validated_env: std::sync::Mutex<Option<String>>,
    /// Whether the merchant-data server answers the contract (asked once per process).
    contacts_probe: OnceCell<Result<bool, String>>,
}

pub(in crate::provider) struct Configured {
    pub client: ApiClient,
    pub environment: &'static str,
    pub merchant_data_url: Option<url::Url>,
}

impl Api {
    pub(super) fn new(stop: CancellationToken) -> Self {
        Api { stop, configured: OnceLock::new(), validated_env: Default::default(), contacts_probe: OnceCell::new() }
    }

    /// Once per process, from ConfigureProvider.
    pub(in crate::provider) fn configured(&self, c: Configured) {
        let _ = self.configured.set(c);
    }

    /// The environment the provider block names, seen by ValidateProviderConfig.
    pub(in crate::provider) fn validated(&self, config: &Value) {
        *self.validated_env.lock().unwrap_or_else(|p| p.into_inner()) = config::environment_name(config);
    }

    /// The API client, or an error diagnostic when the provider is not configured.
    pub fn client(&self, diags: &mut Diagnostics) -> Option<&ApiClient> {
        match self.configured.get() {
            Some(c) => Some(&c.client),
            None => {
                diags.error(
                    "Provider not configured",
                    "The maskinporten provider has no usable configuration. Check the provider block and the MASKINPORTEN_* environment variables.",
                );
                None
            }
        }
    }

    /// The client for plan-time checks; `None` (skip the checks) while the provider block still
    /// has values unknown until apply. Its calls never probe for an admin scope after a refusal
    /// (see [`crate::api::admin_scopes`]); a check it cannot make ends in [`Api::unchecked`].
    pub fn client_for_plan(&self) -> Option<ApiClient> {
        self.configured.get().map(|c| c.client.for_checks())
    }

    pub fn environment(&self) -> &'static str {
        self.configured.get().map_or("unknown", |c| c.environment)
    }

    /// Whether checks should be lenient for Digdir's TEST environment (synthetic orgnos).
    pub fn is_test_env(&self) -> bool {
        match self.configured.get() {
            Some(c) => c.environment == "test",
            None => {
                let seen = self.validated_env.lock().unwrap_or_else(|p| p.into_inner()).clone();
                seen.or_else(|| config::environment_name(&Value::Null)).as_deref() == Some("test")
            }
        }
    }

    /// Record an API failure as an error diagnostic. `what` names the operation in the user's
    /// words ("create scope demo:orders.read").
    pub fn report(&self, diags: &mut Diagnostics, err: &ApiError, what: &str, path: Option<AttrPath>) {
        errors::push_api(diags, err, what, self.environment(), path, self.configured.get().map(|c| &c.client), false);
    }

    /// The value, or `None` with the failure reported: how an RPC handler ends an API call it
    /// cannot go on without.
    pub fn ok<T>(&self, result: Result<T, ApiError>, diags: &mut Diagnostics, what: &str) -> Option<T> {
        result.map_err(|e| self.report(diags, &e, what, None)).ok()
    }

    /// As [`Api::report`], for a call that acted for another organisation (supplier mode).
    pub fn report_supplier(&self, diags: &mut Diagnostics, err: &ApiError, what: &str) {
        errors::push_api(diags, err, what, self.environment(), None, self.configured.get().map(|c| &c.client), true);
    }

    /// A plan-time check that failed: a warning when the admin token lacks the scope the check
    /// needs (the check is skipped and apply gives Digdir's answer), else the error `report`
    /// makes. `what` names the check ("check which scopes your organisation may use").
    pub fn unchecked(&self, diags: &mut Diagnostics, err: &ApiError, what: &str, path: Option<AttrPath>) {
        if matches!(err, ApiError::ScopeNotGranted { .. }) {
            let consequence = "The plan goes on without this check; Digdir checks it again when the change is applied.";
            self.warn(diags, err, what, consequence);
        } else {
            self.report(diags, err, what, path);
        }
    }

    /// An API failure that only costs the plan some information, as a warning.
    pub fn warn(&self, diags: &mut Diagnostics, err: &ApiError, what: &str, consequence: &str) {
        let client = self.configured.get().map(|c| &c.client);
        errors::push_api_warning(diags, err, what, self.environment(), client, consequence);
    }

    /// The merchant-data server, when configured and answering the contract; otherwise the
    /// diagnostic that explains Digdir has no such endpoint. `Ok(None)`: not configured yet.
    pub async fn merchant_data(&self) -> Result<Option<(&ApiClient, &url::Url)>, Diagnostic> {
        let Some(c) = self.configured.get() else { return Ok(None) };
        let Some(url) = c.merchant_data_url.as_ref() else { return Err(contact::unavailable(None)) };
        let available = self
            .contacts_probe
            .get_or_init(|| async { c.client.contacts_available(url).await.map_err(|e| e.to_string()) })
            .await;
        match available {
            Ok(true) => Ok(Some((&c.client, url))),
            Ok(false) => Err(contact::unavailable(Some(url.as_str()))),
            Err(e) => Err(Diagnostic::error("Merchant-data server unreachable", format!("{url}: {e}"))),
        }
    }
}
