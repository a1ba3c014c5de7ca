//! [`ApiClient::execute`]: one API call with the admin token, a bound on requests in flight,
//! timeouts, retries only where repeating is safe, and typed errors.
//!
//! Retry policy (ARCHITECTURE.md, "Reliability"): 500, 502, 503, 504 and transport errors are retried for
//! idempotent requests (GET, PUT, DELETE) with capped exponential backoff and full jitter,
//! honouring `Retry-After`, within `retry_deadline`; a 429 is retried for every request, since
//! it was refused unhandled. Other 4xx, and a TLS handshake refused over the certificate, are
//! never retried, except that the first 401 renews the token and retries once. A POST is never
//! repeated after it may have been handled. Terraform's StopProvider cancels waits, backoffs
//! and reads — never a write in flight.

use super::admin_scopes::Need;
use super::auth::TokenSource;
use super::config::ApiConfig;
use super::error::{ApiError, ApiErrorResponse};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// One request, relative to the API base URL.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: http::Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<serde_json::Value>,
    pub idempotent: bool,
    /// The admin scopes the operation needs, as Digdir describes it; [`Need::NONE`]: sent
    /// without a token.
    pub need: Need,
    /// Another base URL than the configured API (the merchant-data server).
    pub base: Option<url::Url>,
}

impl Request {
    fn new(method: http::Method, path: &str, idempotent: bool, need: Need) -> Self {
        Request { method, path: path.to_string(), query: vec![], body: None, idempotent, need, base: None }
    }
    pub fn get(path: &str, need: Need) -> Self {
        Self::new(http::Method::GET, path, true, need)
    }
    pub fn post(path: &str, need: Need) -> Self {
        Self::new(http::Method::POST, path, false, need)
    }
    pub fn put(path: &str, need: Need) -> Self {
        Self::new(http::Method::PUT, path, true, need)
    }
    pub fn delete(path: &str, need: Need) -> Self {
        Self::new(http::Method::DELETE, path, true, need)
    }
    pub fn query(mut self, k: &str, v: impl Into<String>) -> Self {
        self.query.push((k.to_string(), v.into()));
        self
    }
    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }
    /// Mark a POST whose repetition is harmless (it replaces a whole set), so it may be retried.
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }
    /// Send to another base URL (ending in `/api/v1`), with a token whose audience is that
    /// server (never the admin token for Digdir's API).
    pub fn at(mut self, base: url::Url) -> Self {
        self.base = Some(base);
        self
    }
    fn is_write(&self) -> bool {
        self.method != http::Method::GET
    }
}

struct Inner {
    cfg: ApiConfig,
    http: reqwest::Client,
    tokens: TokenSource,
    limit: Semaphore,
    cancel: CancellationToken,
}

/// The Maskinporten self-service API client. Cheap to clone.
#[derive(Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
    /// Calls made through this handle only add information to a plan (see [`ApiClient::for_checks`]).
    optional: bool,
}

enum Attempt {
    Done(Option<bytes_body::Body>),
    Retry { after: Option<Duration>, err: ApiError, free: bool },
    Fail(ApiError),
}

mod bytes_body {
    /// A successful response body (possibly empty).
    pub struct Body(pub Vec<u8>);
}

fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    retry_after_value(h.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?, SystemTime::now())
}

/// A `Retry-After` value (seconds or an HTTP date) as a wait from `now`. Capped at a day, so no
/// value a server sends can overflow the deadline arithmetic; a wait beyond the retry deadline
/// ends the retries anyway.
pub fn retry_after_value(v: &str, now: SystemTime) -> Option<Duration> {
    const CAP: Duration = Duration::from_secs(86_400);
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs).min(CAP));
    }
    let at = httpdate(v)?;
    at.duration_since(now).ok().map(|d| d.min(CAP))
}

/// The typed error for a non-2xx answer: Digdir's `ApiErrorResponse` when the body is one, else
/// the start of the body (or where a redirect pointed), with status, correlation id and `Date`.
/// Pure, so that arbitrary answers can be fuzzed through it.
pub fn error_from_response(
    method: &str,
    path: &str,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> ApiError {
    let parsed: Option<ApiErrorResponse> = serde_json::from_slice(body).ok();
    let correlation_id = parsed.as_ref().and_then(|b| b.correlation_id.clone());
    let raw = if parsed.is_none() && !body.is_empty() {
        Some(super::redact::scrub(&String::from_utf8_lossy(body).chars().take(300).collect::<String>()))
    } else if (300..400).contains(&status) {
        headers.get("location").and_then(|l| l.to_str().ok()).map(|l| format!("redirect to {l} (not followed)"))
    } else {
        None
    };
    ApiError::Http {
        method: method.to_string(),
        path: path.to_string(),
        status,
        body: parsed,
        correlation_id,
        date: headers.get("date").and_then(|d| d.to_str().ok()).and_then(httpdate),
        raw,
    }
}

fn httpdate(v: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(v).ok().or_else(|| {
        // IMF-fixdate, e.g. "Tue, 24 Nov 2026 13:00:00 GMT".
        let parts: Vec<&str> = v.split_whitespace().collect();
        if parts.len() != 6 {
            return None;
        }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let m = months.iter().position(|x| *x == parts[2])? + 1;
        humantime::parse_rfc3339_weak(&format!("{}-{:02}-{:0>2} {}", parts[3], m, parts[1], parts[4])).ok()
    })
}

/// HTTPS_PROXY, HTTP_PROXY and ALL_PROXY (or their lower-case forms) from the environment, with
/// NO_PROXY honoured and loopback addresses always reached directly: a proxy has no business
/// seeing traffic to this machine (the simulator, a local tunnel).
fn with_env_proxies(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    let var =
        |k: &str| std::env::var(k).or_else(|_| std::env::var(k.to_ascii_lowercase())).ok().filter(|v| !v.is_empty());
    let no_proxy = format!("{},localhost,127.0.0.1,::1", var("NO_PROXY").unwrap_or_default());
    let mut builder = builder.no_proxy();
    for (name, kind) in [("HTTPS_PROXY", "https"), ("HTTP_PROXY", "http"), ("ALL_PROXY", "all")] {
        let made = var(name).map(|url| match kind {
            "https" => reqwest::Proxy::https(url.as_str()),
            "http" => reqwest::Proxy::http(url.as_str()),
            _ => reqwest::Proxy::all(url.as_str()),
        });
        match made {
            Some(Ok(p)) => builder = builder.proxy(p.no_proxy(reqwest::NoProxy::from_string(&no_proxy))),
            Some(Err(e)) => tracing::warn!(error = %e, "a proxy variable holds no usable URL; ignored"),
            None => {}
        }
    }
    builder
}

/// Answers larger than this are refused rather than read: Digdir's largest (an organisation's
/// whole client list) are far smaller.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// Read a response body, at most [`MAX_BODY`] bytes.
pub(crate) async fn body_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(crate) enum BodyError {
    /// The connection failed while the body was read.
    Transport(reqwest::Error),
    TooLarge,
}

impl BodyError {
    /// As an [`ApiError`] for a call: a body lost after a 2xx may mean the write happened.
    pub(crate) fn into_api(self, method: &str, path: &str, maybe_committed: bool) -> ApiError {
        match self {
            BodyError::Transport(e) => ApiError::transport(method, path, e, maybe_committed),
            BodyError::TooLarge => ApiError::Decode {
                method: method.into(),
                path: path.into(),
                message: format!("the answer is larger than {} MiB", MAX_BODY >> 20),
            },
        }
    }
}

impl ApiClient {
    pub fn new(cfg: ApiConfig, cancel: CancellationToken) -> Result<ApiClient, ApiError> {
        super::config::check_scheme(&cfg.api_url)?;
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = &cfg.extra_roots_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| ApiError::Config(format!("extra CA bundle: {e}")))?;
            if certs.is_empty() {
                return Err(ApiError::Config("extra CA bundle: no PEM certificate in it".into()));
            }
            builder = builder.tls_certs_merge(certs);
        }
        let http = with_env_proxies(builder)
            .user_agent(cfg.user_agent.clone())
            .timeout(cfg.request_timeout)
            .connect_timeout(Duration::from_secs(10))
            // Never follow redirects: an Authorization header must not travel to another host.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .map_err(|e| ApiError::Config(format!("HTTP client: {e}")))?;
        let tokens = TokenSource::new(cfg.token_endpoint.clone(), cfg.scopes.clone());
        let limit = Semaphore::new(cfg.max_concurrent_requests.clamp(1, Semaphore::MAX_PERMITS));
        Ok(ApiClient { inner: Arc::new(Inner { cfg, http, tokens, limit, cancel }), optional: false })
    }

    /// The same client for checks that only add information to a plan: a call through it never
    /// probes for an admin scope after Maskinporten refused one in this process, and fails with
    /// [`ApiError::ScopeNotGranted`] instead, which the caller turns into a warning.
    pub fn for_checks(&self) -> ApiClient {
        ApiClient { inner: self.inner.clone(), optional: true }
    }

    pub fn config(&self) -> &ApiConfig {
        &self.inner.cfg
    }

    /// The admin scopes Maskinporten granted with the current token (to explain a 403).
    pub fn granted_scope(&self) -> Option<String> {
        self.inner.tokens.granted_scope()
    }

    /// The issuer named inside the current token, when it is a JWT (to explain a 401).
    pub fn token_issuer(&self) -> Option<String> {
        self.inner.tokens.token_issuer()
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) async fn token_endpoint(&self) -> Result<url::Url, ApiError> {
        self.inner.tokens.endpoint(&self.inner.http, &self.inner.cfg).await
    }

    pub(crate) async fn cancelled(&self) {
        self.inner.cancel.cancelled().await
    }

    /// Whether Terraform has called StopProvider: no new write should start after it.
    pub(crate) fn is_stopped(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// How many token requests this client has made (for tests and benchmarks).
    pub fn token_requests(&self) -> u64 {
        self.inner.tokens.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Obtain ahead of time a token that meets `need`, calling no API: for a write that follows
    /// a read, so that its token request runs beside the read rather than after it. A failure is
    /// left for the write itself to meet and report.
    pub(crate) async fn prepare_token(&self, need: Need) {
        let _ = self.inner.tokens.token_for(&self.inner.http, &self.inner.cfg, (need, self.optional), None).await;
    }

    /// Execute a request; `None` for a 2xx without a body.
    pub async fn execute<T: DeserializeOwned>(&self, req: Request) -> Result<Option<T>, ApiError> {
        let started = Instant::now();
        let deadline = started + self.inner.cfg.retry_deadline;
        let mut attempt = 0u32;
        let mut renewed = false;
        loop {
            if self.inner.cancel.is_cancelled() && !req.is_write() {
                return Err(ApiError::Cancelled);
            }
            match self.once(&req, &mut renewed).await {
                Attempt::Done(None) => return Ok(None),
                Attempt::Done(Some(body)) if body.0.iter().all(u8::is_ascii_whitespace) => return Ok(None),
                Attempt::Done(Some(body)) => {
                    return serde_json::from_slice(&body.0).map(Some).map_err(|e| ApiError::Decode {
                        method: req.method.to_string(),
                        path: req.path.clone(),
                        message: e.to_string(),
                    });
                }
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry { after, err, free } => {
                    attempt += u32::from(!free);
                    let cap = Duration::from_secs(10);
                    let backoff = Duration::from_millis(250).saturating_mul(1 << attempt.min(6)).min(cap);
                    let wait = after.unwrap_or_else(|| backoff.mul_f64(fastrand::f64()));
                    if (!free && attempt > self.inner.cfg.max_retries) || Instant::now() + wait > deadline {
                        return Err(err);
                    }
                    tracing::debug!(method = %req.method, path = %req.path, attempt, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::select! {
                        _ = self.inner.cancel.cancelled() => return Err(ApiError::Cancelled),
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    async fn once(&self, req: &Request, renewed: &mut bool) -> Attempt {
        let method = req.method.to_string();
        let _permit = tokio::select! {
            _ = self.inner.cancel.cancelled() => return Attempt::Fail(ApiError::Cancelled),
            p = self.inner.limit.acquire() => match p { Ok(p) => p, Err(_) => return Attempt::Fail(ApiError::Cancelled) },
        };
        let token = if req.need.is_none() {
            None
        } else {
            // A request to another server (merchant data) gets a token for that server alone.
            let resource = req.base.as_ref().map(url::Url::as_str);
            match self
                .inner
                .tokens
                .token_for(&self.inner.http, &self.inner.cfg, (req.need, self.optional), resource)
                .await
            {
                Ok(t) => Some(t.access_token),
                Err(ApiError::ScopeNotGranted { needed, refused, configured, probed, .. }) => {
                    let (method, path) = (method.clone(), req.path.clone());
                    return Attempt::Fail(ApiError::ScopeNotGranted {
                        method,
                        path,
                        needed,
                        refused,
                        configured,
                        probed,
                    });
                }
                // Maskinporten busy or unreachable: as safe to repeat as any read.
                Err(e @ (ApiError::Transport { tls_refused: false, .. } | ApiError::Timeout { .. })) => {
                    return Attempt::Retry { after: None, err: e, free: false };
                }
                Err(e) if e.status().is_some_and(|s| s == 429 || s >= 500) => {
                    return Attempt::Retry { after: None, err: e, free: false };
                }
                Err(e) => return Attempt::Fail(e),
            }
        };
        let base = req.base.as_ref().unwrap_or(&self.inner.cfg.api_url);
        let url = format!("{}{}", base.as_str().trim_end_matches('/'), req.path);
        let mut rb = self.inner.http.request(req.method.clone(), &url).header("Accept", "application/json");
        if !req.query.is_empty() {
            rb = rb.query(&req.query);
        }
        if let Some(b) = &req.body {
            rb = rb.json(b);
        }
        if let Some(t) = &token {
            rb = rb.bearer_auth(t.expose());
        }
        let started = Instant::now();
        let send = rb.send();
        // Reads are abandoned on StopProvider; a write, once sent, is allowed to finish.
        let result = if req.is_write() {
            send.await
        } else {
            tokio::select! {
                _ = self.inner.cancel.cancelled() => return Attempt::Fail(ApiError::Cancelled),
                r = send => r,
            }
        };
        let resp = match result {
            Ok(r) => r,
            Err(e) => {
                let sent = !e.is_connect();
                let err = if e.is_timeout() {
                    ApiError::Timeout { method: method.clone(), path: req.path.clone() }
                } else {
                    ApiError::transport(&method, &req.path, e, sent && req.is_write())
                };
                let permanent = matches!(err, ApiError::Transport { tls_refused: true, .. });
                tracing::debug!(method = %method, path = %req.path, error = %err, "request failed");
                return if !permanent && (req.idempotent || !sent) {
                    Attempt::Retry { after: None, err, free: false }
                } else {
                    Attempt::Fail(err)
                };
            }
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = match body_capped(resp).await {
            Ok(b) => b,
            // The answer started but its body was lost. After a 2xx the request *was* handled:
            // a write is then one that may have committed, and is reconciled like any lost
            // answer rather than taken for "nothing happened" (docs/development/digdir-api.md,
            // "Quirks").
            Err(BodyError::Transport(e)) if (200..300).contains(&status) => {
                let err = ApiError::transport(&method, &req.path, e, req.is_write());
                tracing::debug!(method = %method, path = %req.path, status, error = %err, "answer body lost");
                return if req.idempotent {
                    Attempt::Retry { after: None, err, free: false }
                } else {
                    Attempt::Fail(err)
                };
            }
            Err(e @ BodyError::TooLarge) => return Attempt::Fail(e.into_api(&method, &req.path, false)),
            Err(BodyError::Transport(_)) => Vec::new(),
        };
        let duration_ms = started.elapsed().as_millis() as u64;
        if (200..300).contains(&status) {
            tracing::debug!(method = %method, path = %req.path, status, duration_ms, correlation_id = "", "API call");
            if tracing::enabled!(tracing::Level::TRACE) {
                tracing::trace!(method = %method, path = %req.path, body = %super::redact::for_log(&body), "API response");
            }
            return Attempt::Done(if body.is_empty() { None } else { Some(bytes_body::Body(body)) });
        }
        let err = error_from_response(&method, &req.path, status, &headers, &body);
        tracing::debug!(method = %method, path = %req.path, status, duration_ms, correlation_id = err.correlation_id().unwrap_or(""), "API call");
        match status {
            401 if !req.need.is_none() && !*renewed => {
                *renewed = true;
                if let Some(t) = &token {
                    self.inner.tokens.invalidate(t).await;
                }
                Attempt::Retry { after: Some(Duration::ZERO), err, free: true }
            }
            // A 429 is refused before it is handled (RFC 6585), so even a create may repeat it.
            429 => Attempt::Retry { after: retry_after(&headers), err, free: false },
            500 | 502 | 503 | 504 if req.idempotent => {
                Attempt::Retry { after: retry_after(&headers), err, free: false }
            }
            _ => Attempt::Fail(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        assert!(httpdate("Tue, 24 Nov 2026 13:00:00 GMT").is_some());
    }
}
