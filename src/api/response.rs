//! What comes back: the typed error of a non-2xx answer, `Retry-After`, and bodies read with a
//! size cap. Pure where it can be, so that arbitrary answers can be fuzzed through it.

use super::error::{ApiError, ApiErrorResponse};
use std::time::{Duration, SystemTime};

pub(super) fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
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
