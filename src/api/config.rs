//! How to reach and authenticate to Digdir.

use super::error::ApiError;
use std::time::Duration;

/// A private key in PEM form, wiped from memory when dropped.
pub type KeyPem = zeroize::Zeroizing<String>;

/// The signing material of the administration client (docs/development/digdir-api.md, "Token
/// endpoint and the admin grant"). The key is wiped from memory when the configuration goes.
pub enum Signing {
    /// The enterprise certificate chain, leaf first, sent as `x5c`.
    X5c { chain_der: Vec<Vec<u8>>, key_pem: KeyPem },
    /// A key registered on the administration client, named by `kid`.
    Kid { kid: String, key_pem: KeyPem },
}

impl std::fmt::Debug for Signing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signing::X5c { chain_der, .. } => write!(f, "X5c {{ certificates: {}, key: <redacted> }}", chain_der.len()),
            Signing::Kid { kid, .. } => write!(f, "Kid {{ kid: {kid:?}, key: <redacted> }}"),
        }
    }
}

#[derive(Debug)]
pub struct ApiConfig {
    /// Base URL ending in `/api/v1`.
    pub api_url: url::Url,
    /// Maskinporten issuer, used verbatim as the grant's `aud`.
    pub issuer: String,
    /// `None`: discovered from the issuer's well-known document.
    pub token_endpoint: Option<url::Url>,
    pub client_id: String,
    pub signing: Signing,
    /// The admin scopes to request, when the configuration names them; `None`: learn per
    /// operation what Digdir granted (see [`super::admin_scopes`]).
    pub scopes: Option<Vec<String>>,
    pub request_timeout: Duration,
    pub max_retries: u32,
    pub max_concurrent_requests: usize,
    pub user_agent: String,
    /// Extra trusted roots (a PEM bundle), added to the system's: a TLS-inspecting proxy's CA,
    /// or a test server's.
    pub extra_roots_pem: Option<Vec<u8>>,
    /// Total time budget for the retries of one call.
    pub retry_deadline: Duration,
}

/// A URL as diagnostics may show it: without a user name or password.
pub fn shown(u: &url::Url) -> String {
    let mut u = u.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// Plain http only to this machine; anything else must be TLS.
pub fn check_scheme(u: &url::Url) -> Result<(), ApiError> {
    match u.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match u.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(ApiError::Config(format!(
                    "{} must use https (plain http is allowed only for loopback addresses)",
                    shown(u)
                )))
            }
        }
        s => Err(ApiError::Config(format!("{}: unsupported scheme {s:?}", shown(u)))),
    }
}

impl ApiConfig {
    /// Accept `https://api.samarbeid.digdir.no` or `…/api/v1` (digdirator's rule;
    /// docs/development/digdir-api.md, "Environments and URLs").
    pub fn normalise_api_url(s: &str) -> Result<url::Url, ApiError> {
        let mut u = url::Url::parse(s.trim()).map_err(|_| ApiError::Config("not a valid URL".into()))?;
        // A user name or password in the URL would travel in every diagnostic that names it.
        if !u.username().is_empty() || u.password().is_some() {
            return Err(ApiError::Config("the URL must not contain a user name or password".into()));
        }
        u.set_fragment(None);
        check_scheme(&u)?;
        let path = u.path().trim_end_matches('/').to_string();
        let path = if path.ends_with("/api/v1") { path } else { format!("{path}/api/v1") };
        u.set_path(&path);
        u.set_query(None);
        Ok(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_url_gets_api_v1_once() {
        for s in [
            "https://api.samarbeid.digdir.no",
            "https://api.samarbeid.digdir.no/",
            "https://api.samarbeid.digdir.no/api/v1/",
        ] {
            assert_eq!(ApiConfig::normalise_api_url(s).unwrap().as_str(), "https://api.samarbeid.digdir.no/api/v1");
        }
    }

    #[test]
    fn plain_http_only_for_loopback() {
        assert!(ApiConfig::normalise_api_url("http://127.0.0.1:8080").is_ok());
        assert!(ApiConfig::normalise_api_url("http://localhost:1").is_ok());
        assert!(ApiConfig::normalise_api_url("http://[::1]:1").is_ok());
        assert!(ApiConfig::normalise_api_url("http://api.samarbeid.digdir.no").is_err());
    }

    #[test]
    fn credentials_in_a_url_are_refused_and_never_echoed() {
        let e = ApiConfig::normalise_api_url("https://user:s3cret@api.samarbeid.digdir.no").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        let u = ApiConfig::normalise_api_url("https://api.samarbeid.digdir.no/#frag").unwrap();
        assert_eq!(u.as_str(), "https://api.samarbeid.digdir.no/api/v1");
    }
}
