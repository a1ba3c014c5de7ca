//! Bounds on every duration and count the configuration gives, checked at validate time with a
//! diagnostic on the attribute: a huge value must not reach the clock arithmetic (an `Instant`
//! overflow panics) or a semaphore (more permits than it holds panics), and no sensible setting
//! comes near these.

use crate::tfplugin::{AttrPath, Diagnostics};
use std::time::Duration;

/// How long the ephemeral access token waits for Maskinporten's 0–2 minute propagation.
pub const MAX_PROPAGATION_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// One HTTP request.
pub const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Retries of one request.
pub const MAX_RETRIES: i64 = 20;
/// API requests in flight from one provider process.
pub const MAX_CONCURRENT_REQUESTS: i64 = 64;

/// A duration such as `30s` or `2m`, between zero and `max`; otherwise an error on `attr`.
pub fn duration(attr: &str, text: &str, max: Duration, diags: &mut Diagnostics) -> Option<Duration> {
    match humantime::parse_duration(text) {
        Ok(d) if d <= max => Some(d),
        Ok(_) => {
            let max = humantime::format_duration(max);
            diags.attr_error(
                AttrPath::attr(attr),
                format!("{attr} too long"),
                format!("Write a duration of at most {max}; longer waits are never what Maskinporten or Digdir needs."),
            );
            None
        }
        Err(_) => {
            diags.attr_error(AttrPath::attr(attr), "Invalid duration", "Write a duration such as \"30s\" or \"2m\".");
            None
        }
    }
}

/// A whole number from `min` to `max`; otherwise an error on `attr`.
pub fn count(attr: &str, n: i64, (min, max): (i64, i64), diags: &mut Diagnostics) -> Option<i64> {
    if (min..=max).contains(&n) {
        Some(n)
    } else {
        diags.attr_error(
            AttrPath::attr(attr),
            format!("Invalid {attr}"),
            format!("Must be a whole number from {min} to {max}."),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_values_are_diagnostics_not_panics() {
        let mut diags = Diagnostics::default();
        assert_eq!(duration("t", "2m", MAX_PROPAGATION_TIMEOUT, &mut diags), Some(Duration::from_secs(120)));
        assert_eq!(duration("t", "99999999999y", MAX_PROPAGATION_TIMEOUT, &mut diags), None);
        assert_eq!(duration("t", "soon", MAX_PROPAGATION_TIMEOUT, &mut diags), None);
        assert_eq!(count("n", i64::MAX, (1, MAX_CONCURRENT_REQUESTS), &mut diags), None);
        assert_eq!(count("n", 8, (1, MAX_CONCURRENT_REQUESTS), &mut diags), Some(8));
        assert_eq!(diags.iter().count(), 3);
    }
}
