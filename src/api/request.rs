//! [`Request`]: one call to Digdir's API as the typed operations describe it — method, path,
//! query, body, whether repeating it is safe, and the admin scopes it needs — before
//! [`super::client::ApiClient`] turns it into HTTP.

use super::admin_scopes::Need;

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
    pub(super) fn is_write(&self) -> bool {
        self.method != http::Method::GET
    }
}
