//! Access tokens for an ordinary Maskinporten client (not the admin client): the same RFC 7523
//! grant, signed with the client's key (`kid`). Changes to clients and keys reach Maskinporten's
//! runtime "0-2 minutter" later (docs/development/digdir-api.md, "Quirks"), so MP-100 (client not
//! found), MP-200 (scope not on client), MP-250 (no access) and an unknown kid are retried until
//! `wait` runs out.

use super::auth::{TokenError, TokenResponse, mp_code};
use super::client::ApiClient;
use super::config::Signing;
use super::error::ApiError;
use super::grant::{Secret, sign_grant};
use std::time::{Duration, Instant, SystemTime};

/// What a client asks for.
pub struct ClientGrant {
    pub client_id: String,
    pub signing: Signing,
    pub scopes: Vec<String>,
    pub consumer_org: Option<String>,
}

/// An issued token.
pub struct ClientToken {
    pub access_token: Secret,
    pub expires_in: u64,
    pub scope: Option<String>,
}

fn propagating(e: &ApiError) -> bool {
    match e {
        ApiError::Token { mp_code, description, .. } => {
            matches!(mp_code.as_deref(), Some("MP-100" | "MP-200" | "MP-250"))
                || description.contains("Unknown key identifier")
        }
        _ => false,
    }
}

impl ApiClient {
    /// Obtain a client's token, waiting out Maskinporten's propagation delay for at most `wait`.
    pub async fn client_token(&self, grant: &ClientGrant, wait: Duration) -> Result<ClientToken, ApiError> {
        // A wait beyond what the clock can add is as good as a day (validation bounds it anyway).
        let deadline = Instant::now().checked_add(wait).unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400));
        let mut pause = Duration::from_millis(500);
        loop {
            match self.client_token_once(grant).await {
                Err(e) if propagating(&e) && Instant::now() + pause < deadline => {
                    tracing::debug!(error = %e, wait_ms = pause.as_millis() as u64, "client token not yet available; waiting for propagation");
                    tokio::select! {
                        _ = self.cancelled() => return Err(ApiError::Cancelled),
                        _ = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(Duration::from_secs(10));
                }
                r => return r,
            }
        }
    }

    async fn client_token_once(&self, grant: &ClientGrant) -> Result<ClientToken, ApiError> {
        let cfg = self.config();
        let endpoint = self.token_endpoint().await?;
        let assertion = sign_grant(
            &cfg.issuer,
            &grant.client_id,
            &grant.scopes.join(" "),
            &grant.signing,
            grant.consumer_org.as_deref(),
            SystemTime::now(),
        )?;
        let (status, bytes) = super::grant::exchange(self.http(), &endpoint, &assertion).await?;
        tracing::debug!(method = "POST", path = endpoint.path(), status, "client token request");
        if !(200..300).contains(&status) {
            let body: TokenError = serde_json::from_slice(&bytes).unwrap_or_default();
            return Err(ApiError::Token {
                status,
                mp_code: mp_code(&body.error_description),
                error: super::redact::scrub(&body.error),
                description: super::redact::scrub(&body.error_description),
            });
        }
        let body: TokenResponse = serde_json::from_slice(&bytes).map_err(|e| ApiError::Decode {
            method: "POST".into(),
            path: endpoint.path().into(),
            message: e.to_string(),
        })?;
        Ok(ClientToken {
            access_token: Secret::new(body.access_token),
            expires_in: body.expires_in.unwrap_or(120),
            scope: body.scope,
        })
    }
}
