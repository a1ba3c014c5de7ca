//! Read-your-writes over an eventually consistent API. After an apply writes an object, the API's
//! read side may lag for a while: the object reads as gone, or as its previous version. Terraform
//! would then plan to create it again (a duplicate) or to "fix" drift that is not there.
//!
//! The protocol layer therefore stamps the time of every successful write into the resource's
//! private state (kept by Terraform beside the state, across processes), and a refresh within the
//! provider's window after that write re-reads — dropping the resource's cached lists first —
//! until the API agrees with what was written or the window has passed. After the window a
//! difference is reported as usual (a real deletion, or a change made outside Terraform).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const KEY: &str = "written_at_ms";

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The private state after a successful write: the prior private object with the write time.
pub fn stamp(private: &[u8]) -> Vec<u8> {
    let mut obj = match serde_json::from_slice::<serde_json::Value>(private) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    obj.insert(KEY.into(), now_ms().into());
    serde_json::Value::Object(obj).to_string().into_bytes()
}

/// How long ago this object was last written by us, when the private state says.
pub fn since_write(private: &[u8]) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_slice(private).ok()?;
    let at = v.get(KEY)?.as_u64()?;
    Some(Duration::from_millis(now_ms().saturating_sub(at)))
}

/// The pause before re-read number `attempt` (0-based): 200 ms doubling, at most 2 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << attempt.min(4)).min(2000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_keep_other_keys_and_read_back() {
        let p = stamp(br#"{"other":1}"#);
        let v: serde_json::Value = serde_json::from_slice(&p).unwrap();
        assert_eq!(v["other"], 1);
        assert!(since_write(&p).unwrap() < Duration::from_secs(60));
        assert_eq!(since_write(b""), None);
        assert_eq!(since_write(b"not json"), None);
        assert!(since_write(&stamp(b"garbage")).is_some());
    }

    #[test]
    fn backoff_is_capped() {
        assert_eq!(backoff(0), Duration::from_millis(200));
        assert_eq!(backoff(1), Duration::from_millis(400));
        assert_eq!(backoff(9), Duration::from_secs(2));
    }
}
