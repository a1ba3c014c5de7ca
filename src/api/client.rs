//! [`ApiClient::execute`]: one API call with the admin token, a bound on requests in flight,
//! timeouts, retries only where repeating is safe, and typed errors.
//!
//! Retry policy (ARCHITECTURE.md, "Reliability"): 500, 502, 503, 504 and transport errors are retried for
//! idempotent requests (GET, PUT, DELETE) with capped exponential backoff and full jitter,
//! honouring `Retry-After`, within `retry_deadline`; a 429 is retried for every request, since
//! it was refused unhandled. Other 4xx, and a TLS handshake refused over the certificate, are
//! never retried, except that the first 401 renews the token and retries once. A POST is never
//! repeated after it may have been handled. Terraform's StopProvider cancels waits, backoffs
//! and reads — never a write the provider has begun, whether in flight or waiting for its turn.

use super::admin_scopes::Need;
use super::auth::TokenSource;
use super::config::ApiConfig;
use super::error::ApiError;
pub use super::request::Request;
use super::response::{BodyError, body_capped, error_from_response, retry_after};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

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

/// HTTPS_PROXY, HTTP_PROXY and ALL_PROXY (or their lower-case forms) from the environment, with
/// NO_PROXY honoured and loopback addresses always reached directly: a proxy has no business
/// seeing traffic to this machine (the simulator, a local tunnel).
fn with_env_proxies(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    with_proxies(builder, |k| std::env::var(k).ok())
}

/// [`with_env_proxies`] with the environment given as `env` (a variable's value, if set), so that
/// tests need not change the process's environment.
fn with_proxies(builder: reqwest::ClientBuilder, env: impl Fn(&str) -> Option<String>) -> reqwest::ClientBuilder {
    let var = |k: &str| env(k).or_else(|| env(&k.to_ascii_lowercase())).filter(|v| !v.is_empty());
    let no_proxy = format!("{},localhost,127.0.0.0/8,::1", var("NO_PROXY").unwrap_or_default());
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

    /// Whether the configuration's `scopes` cover `need`, so that a call needing it costs neither
    /// a probe nor a token request of its own. Always false with `scopes` unset, where what
    /// Digdir granted is learnt call by call (see [`super::admin_scopes`]).
    pub fn configured_for(&self, need: super::admin_scopes::Need) -> bool {
        self.inner.cfg.scopes.as_ref().is_some_and(|s| need.met_by(&s.iter().cloned().collect()))
    }

    /// The admin scopes Maskinporten granted with the current token (to explain a 403).
    pub fn granted_scope(&self) -> Option<String> {
        self.inner.tokens.granted_scope()
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

    /// A call that answers with the object it made or changed: an empty answer is an error.
    pub async fn fetch<T: DeserializeOwned>(&self, req: Request) -> Result<T, ApiError> {
        let (method, path) = (req.method.to_string(), req.path.clone());
        self.execute(req).await?.ok_or(ApiError::Decode { method, path, message: "empty response body".into() })
    }

    /// A call whose answer, if any, says nothing the caller needs (a deactivation, a revocation).
    pub async fn send(&self, req: Request) -> Result<(), ApiError> {
        self.execute::<serde::de::IgnoredAny>(req).await.map(|_| ())
    }

    /// One object that may not exist: Digdir's 404 (or an empty answer) is `None`.
    pub async fn lookup<T: DeserializeOwned>(&self, req: Request) -> Result<Option<T>, ApiError> {
        match self.execute(req).await {
            Err(e) if e.is_not_found() => Ok(None),
            r => r,
        }
    }

    /// A list endpoint: `[]`, or Digdir's "does not have any" error read as empty
    /// (docs/development/digdir-api.md, "Errors"), or an empty answer.
    pub async fn list<T: DeserializeOwned>(&self, req: Request) -> Result<Vec<T>, ApiError> {
        match self.execute::<Vec<T>>(req).await {
            Ok(v) => Ok(v.unwrap_or_default()),
            Err(e) if e.is_does_not_have_any() => Ok(vec![]),
            Err(e) => Err(e),
        }
    }

    /// Execute a request; `None` for a 2xx without a body. The typed verbs above say what an
    /// answer means; this is the one place that sends.
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
        // A write the provider has begun is carried out even after StopProvider, so that no
        // change is left half made; a read gives up its place in the queue.
        let permit = if req.is_write() {
            self.inner.limit.acquire().await.ok()
        } else {
            tokio::select! {
                _ = self.inner.cancel.cancelled() => None,
                p = self.inner.limit.acquire() => p.ok(),
            }
        };
        let Some(_permit) = permit else { return Attempt::Fail(ApiError::Cancelled) };
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
#[path = "client_tests.rs"]
mod tests;
