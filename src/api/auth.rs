//! The RFC 7523 JWT-bearer grant that turns the administration client's key into an admin
//! access token (docs/development/digdir-api.md, "Token endpoint and the admin grant"): RS256,
//! `x5c` or `kid`, `aud` = issuer, a lifetime of at most 120 s, a fresh `jti`, and no claims
//! beyond those Maskinporten documents. One token per audience is cached per process and
//! renewed shortly before it expires; which admin scopes it carries is decided per operation by
//! [`super::admin_scopes`]. No token is asked for before the first call that needs one, so a
//! command that calls nothing costs nothing.

use super::admin_scopes::{Knowledge, Need, Step};
use super::config::{ApiConfig, check_scheme};
use super::error::ApiError;
pub use super::grant::Secret;
use super::grant::sign_assertion;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Mutex;

#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    #[serde(default)]
    pub(crate) expires_in: Option<u64>,
    #[serde(default)]
    pub(crate) scope: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct TokenError {
    #[serde(default)]
    pub(crate) error: String,
    #[serde(default)]
    pub(crate) error_description: String,
}

#[derive(Deserialize)]
struct WellKnown {
    #[serde(default)]
    issuer: Option<String>,
    token_endpoint: String,
}

/// A cached admin token.
#[derive(Clone, Debug)]
pub struct Token {
    pub access_token: Secret,
    pub expires_at: Instant,
    /// The scopes asked for, and so granted (Maskinporten refuses a request for any other).
    pub scopes: BTreeSet<String>,
}

/// The cached tokens — the one for Digdir's API (`None`) and one per other audience — and what
/// this process learnt about the admin scopes.
struct State {
    tokens: std::collections::HashMap<Option<String>, Token>,
    knowledge: Knowledge,
    /// A refusal that another request cannot cure (bad key, unknown client, wrong audience):
    /// every later call gets the same answer instead of asking Maskinporten again.
    fatal: Option<ApiError>,
}

/// Token cache with single-flight renewal.
pub struct TokenSource {
    endpoint: tokio::sync::OnceCell<url::Url>,
    state: Mutex<State>,
    pub(crate) requests: std::sync::atomic::AtomicU64,
}

/// The MP-xxx code in Maskinporten's error description, if any.
pub(crate) fn mp_code(description: &str) -> Option<String> {
    let i = description.find("MP-")?;
    let digits: String = description[i + 3..].chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty()).then(|| format!("MP-{digits}"))
}

impl TokenSource {
    /// `configured`: the admin scopes the configuration names (`None`: learn them, see
    /// [`super::admin_scopes`]).
    pub fn new(known_endpoint: Option<url::Url>, configured: Option<Vec<String>>) -> Self {
        let endpoint = tokio::sync::OnceCell::new();
        if let Some(e) = known_endpoint {
            let _ = endpoint.set(e);
        }
        let state = State { tokens: Default::default(), knowledge: Knowledge::new(configured), fatal: None };
        TokenSource { endpoint, state: Mutex::new(state), requests: Default::default() }
    }

    pub(crate) async fn endpoint(&self, http: &reqwest::Client, cfg: &ApiConfig) -> Result<url::Url, ApiError> {
        self.endpoint
            .get_or_try_init(|| async {
                // The signed grant goes where the issuer's metadata says: never over plain http
                // to another machine.
                let issuer = url::Url::parse(&cfg.issuer)
                    .map_err(|e| ApiError::Config(format!("issuer {:?}: {e}", cfg.issuer)))?;
                check_scheme(&issuer)?;
                let base = cfg.issuer.trim_end_matches('/');
                let url = format!("{base}/.well-known/oauth-authorization-server");
                let transport = |e: reqwest::Error| ApiError::transport("GET", &url, e, false);
                let resp = http.get(&url).send().await.map_err(transport)?;
                let status = resp.status().as_u16();
                if !resp.status().is_success() {
                    return Err(ApiError::Http {
                        method: "GET".into(),
                        path: url.clone(),
                        status,
                        body: None,
                        correlation_id: None,
                        date: None,
                        raw: None,
                    });
                }
                let body = super::response::body_capped(resp).await.map_err(|e| e.into_api("GET", &url, false))?;
                let wk: WellKnown = serde_json::from_slice(&body).map_err(|e| ApiError::Decode {
                    method: "GET".into(),
                    path: url.clone(),
                    message: e.to_string(),
                })?;
                metadata_token_endpoint(&cfg.issuer, wk)
            })
            .await
            .cloned()
    }

    /// A token that meets `need`, asking Maskinporten only when the one held does not (see
    /// [`super::admin_scopes`]). `optional`: the call only adds information to a plan, so no
    /// scope is probed for it after a refusal. Single-flight: concurrent callers wait for one
    /// another and then find the token the first one obtained.
    /// `resource`: the audience of a token for another server than Digdir's API.
    pub async fn token_for(
        &self,
        http: &reqwest::Client,
        cfg: &ApiConfig,
        (need, optional): (Need, bool),
        resource: Option<&str>,
    ) -> Result<Token, ApiError> {
        let key = resource.map(str::to_string);
        let mut st = self.state.lock().await;
        loop {
            if let Some(e) = &st.fatal {
                return Err(e.clone());
            }
            let valid = st.tokens.get(&key).filter(|t| t.expires_at > Instant::now());
            let held = valid.map(|t| t.scopes.clone()).unwrap_or_default();
            match st.knowledge.plan(need, &held, optional) {
                Step::Ready => {
                    return valid.cloned().ok_or_else(|| ApiError::Config("no admin token held".into()));
                }
                Step::Missing { group, probed } => {
                    return Err(ApiError::ScopeNotGranted {
                        method: String::new(),
                        path: String::new(),
                        needed: group.iter().map(|s| s.to_string()).collect(),
                        refused: group
                            .iter()
                            .filter(|s| st.knowledge.refused().contains(**s))
                            .map(|s| s.to_string())
                            .collect(),
                        configured: st.knowledge.configured().map(|c| c.iter().cloned().collect()),
                        probed,
                    });
                }
                Step::Ask { scopes, probing } => match self.fetch(http, cfg, &scopes, resource).await {
                    Ok(t) => {
                        st.knowledge.issued(&scopes);
                        st.tokens.insert(key.clone(), t);
                    }
                    Err(ApiError::Token { ref error, .. }) if error == "invalid_scope" && probing.is_some() => {
                        st.knowledge.refused_probe(probing.as_deref().unwrap_or_default());
                    }
                    // Refusals that asking again cannot change: a client error of the token
                    // endpoint (not 429, "busy", which the caller retries), and a TLS certificate
                    // this machine does not trust. Every later call of this process gets the same
                    // answer without a new handshake.
                    Err(
                        e @ (ApiError::Token { status: 400..=428 | 430..=499, .. }
                        | ApiError::Transport { tls_refused: true, .. }),
                    ) => {
                        st.fatal = Some(e.clone());
                        return Err(e);
                    }
                    Err(e) => return Err(e),
                },
            }
        }
    }

    /// The admin scopes of the token for Digdir's API held now (to explain a 403).
    pub fn granted_scope(&self) -> Option<String> {
        let st = self.state.try_lock().ok()?;
        Some(st.tokens.get(&None)?.scopes.iter().cloned().collect::<Vec<_>>().join(" "))
    }

    /// Forget the cached token (after a 401).
    pub async fn invalidate(&self, rejected: &Secret) {
        let mut st = self.state.lock().await;
        st.tokens.retain(|_, t| t.access_token.expose() != rejected.expose());
    }

    async fn fetch(
        &self,
        http: &reqwest::Client,
        cfg: &ApiConfig,
        scopes: &BTreeSet<String>,
        resource: Option<&str>,
    ) -> Result<Token, ApiError> {
        let scope = scopes.iter().cloned().collect::<Vec<_>>().join(" ");
        let sign = || sign_assertion(cfg, &scope, resource, SystemTime::now());
        let started = Instant::now();
        let (endpoint, status, body) = self.send_grant(http, cfg, sign).await?;
        let result = token_from_response(status, &body, endpoint.path(), scopes, Instant::now());
        // `nth` counts this process's token requests and `pid` names the process: a process
        // should see at most one refusal for a scope (admin_scopes), and the tests check it here.
        let nth = self.requests.load(std::sync::atomic::Ordering::Relaxed);
        let outcome = match &result {
            Ok(_) => "issued".to_string(),
            Err(ApiError::Token { error, .. }) => error.clone(),
            Err(e) => e.to_string(),
        };
        tracing::debug!(
            method = "POST",
            path = endpoint.path(),
            status,
            nth,
            pid = std::process::id(),
            scope = %scope,
            outcome = %outcome,
            duration_ms = started.elapsed().as_millis() as u64,
            "token request"
        );
        result
    }

    /// Send a freshly signed grant to the token endpoint: where it went, and the status and body
    /// of the answer.
    ///
    /// Until this process has read the issuer's metadata, the grant goes to `<issuer>token` —
    /// where Maskinporten keeps its token endpoint (docs/development/digdir-api.md, "Environments
    /// and URLs") — while the metadata is read beside it, so that the first call of a process
    /// waits one round trip less. The metadata decides: if it names that same endpoint, the early
    /// answer counts; if it names another, the early grant is abandoned (or its answer dropped)
    /// and a new grant goes where it says; if it fails its checks, the call fails with that, and
    /// whatever the early grant brought is dropped. The early grant never leaves the configured
    /// issuer's own address, which is the grant's audience and where the metadata comes from, so
    /// it trusts nothing the metadata says.
    async fn send_grant(
        &self,
        http: &reqwest::Client,
        cfg: &ApiConfig,
        sign: impl Fn() -> Result<Secret, ApiError>,
    ) -> Result<(url::Url, u16, Vec<u8>), ApiError> {
        let send = |endpoint: url::Url, assertion: Secret| async move {
            self.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            super::grant::exchange(http, &endpoint, &assertion).await.map(|(status, body)| (endpoint, status, body))
        };
        if let Some(known) = self.endpoint.get() {
            return send(known.clone(), sign()?).await;
        }
        let Some(guess) = conventional_endpoint(&cfg.issuer) else {
            let named = self.endpoint(http, cfg).await?;
            return send(named, sign()?).await;
        };
        let metadata = self.endpoint(http, cfg);
        let early = send(guess.clone(), sign()?);
        tokio::pin!(metadata, early);
        let mut answered = None;
        // Both run; the metadata's answer decides, without waiting for an early grant it rejects.
        let named = loop {
            tokio::select! {
                named = &mut metadata => break named,
                answer = &mut early, if answered.is_none() => answered = Some(answer),
            }
        };
        let dropped = |why: &str| {
            tracing::debug!(path = guess.path(), answered = answered.is_some(), "early token request dropped: {why}")
        };
        let named = named.inspect_err(|_| dropped("the issuer's metadata failed"))?;
        if named != guess {
            dropped("the issuer's metadata names another token endpoint");
            return send(named, sign()?).await;
        }
        match answered {
            Some(answer) => answer,
            None => early.await,
        }
    }
}

/// Where Maskinporten keeps the token endpoint of an issuer: `<issuer>token`, the issuer's own
/// scheme, host and path (`https://maskinporten.no/` → `https://maskinporten.no/token`). `None`
/// for an issuer a grant may not be sent to (see [`check_scheme`]).
fn conventional_endpoint(issuer: &str) -> Option<url::Url> {
    let mut url = url::Url::parse(issuer).ok()?;
    check_scheme(&url).ok()?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    url.join("token").ok()
}

/// The token endpoint of an issuer's metadata (RFC 8414): the metadata must name the configured
/// issuer exactly (RFC 8414 §3.3), or a redirected discovery could send the signed grant elsewhere, and
/// the endpoint must be https (plain http only on this machine).
fn metadata_token_endpoint(issuer: &str, wk: WellKnown) -> Result<url::Url, ApiError> {
    if wk.issuer.as_deref() != Some(issuer) {
        return Err(ApiError::Config(format!(
            "the issuer's metadata names the issuer {:?}, not the configured {issuer:?} (RFC 8414 §3.3): check issuer",
            wk.issuer.unwrap_or_default()
        )));
    }
    let ep = url::Url::parse(&wk.token_endpoint)
        .map_err(|e| ApiError::Config(format!("token_endpoint {:?}: {e}", wk.token_endpoint)))?;
    check_scheme(&ep)?;
    Ok(ep)
}

/// A token endpoint's answer as a [`Token`] or the error Maskinporten gave. Pure, so that it can
/// be fuzzed: no answer, however malformed, may panic (a lifetime near `u64::MAX` once would
/// have overflowed `Instant`).
pub fn token_from_response(
    status: u16,
    body: &[u8],
    path: &str,
    scopes: &BTreeSet<String>,
    now: Instant,
) -> Result<Token, ApiError> {
    if !(200..300).contains(&status) {
        let body: TokenError = serde_json::from_slice(body).unwrap_or_default();
        return Err(ApiError::Token {
            status,
            mp_code: mp_code(&body.error_description),
            error: super::redact::scrub(&body.error),
            description: super::redact::scrub(&body.error_description),
        });
    }
    let body: TokenResponse = serde_json::from_slice(body).map_err(|e| ApiError::Decode {
        method: "POST".into(),
        path: path.into(),
        message: e.to_string(),
    })?;
    // Renew a little early: a tenth of the lifetime, at least 1 s, at most 30 s; a lifetime
    // beyond a day is treated as a day.
    let life = body.expires_in.unwrap_or(120).min(86_400);
    let margin = (life / 10).clamp(1, 30);
    Ok(Token {
        access_token: Secret::new(body.access_token),
        expires_at: now + Duration::from_secs(life.saturating_sub(margin)),
        scopes: scopes.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_token_lifetime_is_safe_and_errors_keep_the_mp_code() {
        let now = Instant::now();
        let none = &BTreeSet::new();
        let t =
            token_from_response(200, br#"{"access_token":"a","expires_in":18446744073709551615}"#, "/token", none, now)
                .unwrap();
        assert_eq!(t.expires_at - now, Duration::from_secs(86_400 - 30), "a day at most, renewed 30 s early");
        let t = token_from_response(200, br#"{"access_token":"a","expires_in":0}"#, "/token", none, now).unwrap();
        assert_eq!(t.expires_at, now, "a token without lifetime is renewed at once");
        let e = token_from_response(
            400,
            br#"{"error":"invalid_grant","error_description":"MP-121 expired"}"#,
            "/token",
            none,
            now,
        )
        .unwrap_err();
        assert!(matches!(e, ApiError::Token { ref mp_code, .. } if mp_code.as_deref() == Some("MP-121")), "{e:?}");
        assert!(matches!(token_from_response(200, b"<html>", "/token", none, now), Err(ApiError::Decode { .. })));
    }

    #[test]
    fn the_conventional_token_endpoint_is_the_issuers_own() {
        let at = |issuer: &str| conventional_endpoint(issuer).map(|u| u.to_string());
        assert_eq!(at("https://maskinporten.no/").as_deref(), Some("https://maskinporten.no/token"));
        assert_eq!(at("https://test.maskinporten.no").as_deref(), Some("https://test.maskinporten.no/token"));
        assert_eq!(at("http://127.0.0.1:8080/idp/").as_deref(), Some("http://127.0.0.1:8080/idp/token"));
        assert_eq!(at("https://x.no/idp?q=1#f").as_deref(), Some("https://x.no/idp/token"));
        assert_eq!(at("http://maskinporten.example.no/"), None, "never plain http to another machine");
        assert_eq!(at("not a url"), None);
    }

    #[test]
    fn mp_codes_are_read_from_descriptions() {
        assert_eq!(mp_code("MP-122 Certificate orgno mismatch (trace_id: x)").as_deref(), Some("MP-122"));
    }
}
