//! The JWT-bearer grant (RFC 7523) a client signs to get a token from Maskinporten
//! (docs/development/digdir-api.md, "Token endpoint and the admin grant"): exactly the
//! documented claims, `aud` = issuer, a fresh `jti`, RS256 with `x5c` or `kid`, and at most
//! 120 s of life. Used for the administration client's own tokens ([`super::auth`]) and for the
//! tokens the provider fetches on behalf of other clients ([`super::client_token`]).

use super::config::{ApiConfig, Signing};
use super::error::ApiError;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// A secret string (access token, signed assertion) that never prints itself and is wiped from
/// memory when dropped.
#[derive(Clone)]
pub struct Secret(zeroize::Zeroizing<String>);

impl Secret {
    pub fn new(s: String) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Exactly the claims Maskinporten documents for a grant; extra claims get 400 "Invalid assertion".
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct GrantClaims {
    pub aud: String,
    pub iss: String,
    pub scope: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
    /// Only in grants on behalf of another organisation (delegation: docs/development/digdir-api.md,
    /// "Organisations, prefixes and delegation sources"); never for admin use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_org: Option<String>,
    /// An audience-restricted token (RFC 8707 resource indicator, which Maskinporten supports):
    /// only for the merchant-data server, so the admin token for Digdir's API never goes there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// Well below Maskinporten's 120 s maximum, leaving room for clock skew.
const GRANT_LIFETIME: u64 = 100;

/// Sign the admin client's grant assertion for `scopes` (space-separated), for Digdir's API or,
/// with `resource`, for that server alone.
pub fn sign_assertion(
    cfg: &ApiConfig,
    scopes: &str,
    resource: Option<&str>,
    now: SystemTime,
) -> Result<Secret, ApiError> {
    sign_grant_with(&cfg.issuer, &cfg.client_id, scopes, &cfg.signing, None, resource, now)
}

/// Sign a JWT-bearer grant for any client: `aud` = issuer, a fresh `jti`, at most 120 s.
pub fn sign_grant(
    issuer: &str,
    client_id: &str,
    scope: &str,
    signing: &Signing,
    consumer_org: Option<&str>,
    now: SystemTime,
) -> Result<Secret, ApiError> {
    sign_grant_with(issuer, client_id, scope, signing, consumer_org, None, now)
}

fn sign_grant_with(
    issuer: &str,
    client_id: &str,
    scope: &str,
    signing: &Signing,
    consumer_org: Option<&str>,
    resource: Option<&str>,
    now: SystemTime,
) -> Result<Secret, ApiError> {
    let iat = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let claims = GrantClaims {
        aud: issuer.to_string(),
        iss: client_id.to_string(),
        scope: scope.to_string(),
        iat,
        exp: iat + GRANT_LIFETIME,
        jti: uuid::Uuid::new_v4().to_string(),
        consumer_org: consumer_org.map(str::to_string),
        resource: resource.map(str::to_string),
    };
    let mut header = Header::new(Algorithm::RS256);
    let key_pem = match signing {
        Signing::X5c { chain_der, key_pem } => {
            // Standard base64 (not URL-safe) DER, leaf first, as a JSON array (MP-123 otherwise).
            header.x5c = Some(chain_der.iter().map(|d| base64::engine::general_purpose::STANDARD.encode(d)).collect());
            key_pem
        }
        Signing::Kid { kid, key_pem } => {
            header.kid = Some(kid.clone());
            key_pem
        }
    };
    let key = EncodingKey::from_rsa_pem(key_pem.as_bytes())
        .map_err(|_| ApiError::Config("the private key is not an RSA private key in PEM form".into()))?;
    jsonwebtoken::encode(&header, &claims, &key)
        .map(Secret::new)
        .map_err(|e| ApiError::Config(format!("could not sign the grant: {}", e.kind_name())))
}

/// Send a signed grant to Maskinporten's token endpoint: the status and the (capped) body of
/// the answer, for the caller to read as a token or as Maskinporten's error.
pub(crate) async fn exchange(
    http: &reqwest::Client,
    endpoint: &url::Url,
    assertion: &Secret,
) -> Result<(u16, Vec<u8>), ApiError> {
    let resp = http
        .post(endpoint.clone())
        .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion.expose())])
        .send()
        .await
        .map_err(|e| ApiError::transport("POST", endpoint.path(), e, false))?;
    let status = resp.status().as_u16();
    let body = super::response::body_capped(resp).await.map_err(|e| e.into_api("POST", endpoint.path(), false))?;
    Ok((status, body))
}

trait KindName {
    fn kind_name(&self) -> String;
}
impl KindName for jsonwebtoken::errors::Error {
    fn kind_name(&self) -> String {
        format!("{:?}", self.kind()).chars().take(80).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn config() -> ApiConfig {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["x".into()]).unwrap().self_signed(&key).unwrap();
        ApiConfig {
            api_url: url::Url::parse("http://127.0.0.1/api/v1").unwrap(),
            issuer: "https://test.maskinporten.no/".into(),
            token_endpoint: None,
            client_id: "admin-client".into(),
            signing: Signing::X5c { chain_der: vec![cert.der().to_vec()], key_pem: key.serialize_pem().into() },
            scopes: None,
            request_timeout: Duration::from_secs(5),
            max_retries: 0,
            max_concurrent_requests: 1,
            user_agent: "t".into(),
            extra_roots_pem: None,
            retry_deadline: Duration::from_secs(1),
        }
    }

    #[test]
    fn assertion_has_exactly_the_documented_claims() {
        let cfg = config();
        let jwt = sign_assertion(&cfg, "idporten:scopes.read idporten:scopes.write", None, SystemTime::now()).unwrap();
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header: serde_json::Value = serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        let keys: Vec<&String> = claims.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["aud", "exp", "iat", "iss", "jti", "scope"]);
        assert_eq!(claims["aud"], "https://test.maskinporten.no/");
        assert_eq!(claims["scope"], "idporten:scopes.read idporten:scopes.write");
        assert!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap() <= 120);
        assert_eq!(header["alg"], "RS256");
        let x5c = header["x5c"].as_array().expect("x5c is an array");
        assert!(base64::engine::general_purpose::STANDARD.decode(x5c[0].as_str().unwrap()).is_ok(), "standard base64");
        let again =
            sign_assertion(&cfg, "idporten:scopes.read idporten:scopes.write", None, SystemTime::now()).unwrap();
        assert_ne!(jwt.expose(), again.expose(), "fresh jti");
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("eyJ.secret".into());
        assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
    }
}
