//! Fault knobs for resilience tests (ARCHITECTURE.md, "Three layers, three vocabularies" and
//! "Reliability"), settable at start (`SimConfig::faults`) and at run time
//! (`GET`/`PUT /__sim/faults`). Faults hit `/api/` calls only (the organisation lookup, which needs
//! no token, too), and are drawn from a seeded generator so a run is repeatable.
//!
//! * `latency_ms`: the round trip of every request but `/__sim/*`, half spent before the request
//!   is handled and half after it, so a write commits before its answer arrives (also
//!   `SimConfig::latency_ms` and `--latency-ms`);
//! * `answer_delay_after_write_ms`: a write to `/api/` is committed at once and answered this
//!   much later — the window in which a killed client has changed Digdir without hearing of it;
//! * `rate_429`: answer 429 with `Retry-After: retry_after_secs` before handling;
//! * `rate_5xx`: answer 500/502/503 before handling (nothing is committed);
//! * `rate_lost_after_commit`: handle the request (a write is committed), then answer 502, as a
//!   gateway does when the backend's answer is lost;
//! * `rate_drop_before`: close the connection without an answer, before handling;
//! * `rate_drop_after_commit`: handle the request, then close the connection without an answer;
//! * `rate_cut_body_after_commit`: handle the request, send the answer's status and headers and
//!   half its body, then close the connection: a 2xx whose body is lost (an empty answer is
//!   dropped whole instead);
//! * `consistency_delay_ms`: reads lag behind writes. Each write becomes visible to GETs after a
//!   delay drawn uniformly from 0..=T; writes are replayed in order (a read replica), so a read
//!   sees a prefix of the writes. Writes always act on the latest state. Reads served from a
//!   lagging replica count as `stale_read` in `injected_by_kind` (not in `injected`);
//! * `methods`: only requests of these HTTP methods get the faults above (empty: all),
//!   `paths`: only requests whose path starts with one of these (empty: all), and `limit`: at
//!   most this many are injected (0: no limit) — together they make one exact case, such as
//!   "the first POST is answered 503" or "the organisation register is down", for tests;
//! * `lose_key_on_set_write` (apart from the knobs above: no rate, and `methods`, `paths` and
//!   `limit` do not apply): every whole-set key write (`POST /clients/{id}/jwks`) of two or more
//!   keys stores, and answers, the set without the first key it was sent — an API that silently
//!   drops a key it will not keep. Whether Digdir ever does is unknown; the provider must report
//!   such a loss, not hide it. Counted in `injected`, and as `lost_key` in `injected_by_kind`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Unknown knobs are refused, so a misspelt rate cannot silently mean "no faults".
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    pub latency_ms: u64,
    pub answer_delay_after_write_ms: u64,
    pub rate_429: f64,
    pub retry_after_secs: u64,
    pub rate_5xx: f64,
    pub rate_lost_after_commit: f64,
    pub rate_drop_before: f64,
    pub rate_drop_after_commit: f64,
    pub rate_cut_body_after_commit: f64,
    pub consistency_delay_ms: u64,
    pub lose_key_on_set_write: bool,
    pub methods: Vec<String>,
    pub paths: Vec<String>,
    pub limit: u64,
    pub seed: u64,
}

/// What to do with one request.
pub enum Decision {
    Pass,
    Before(u16),
    AfterCommit,
    DropBefore,
    DropAfterCommit,
    CutBodyAfterCommit,
}

pub struct FaultState {
    pub faults: Faults,
    rng: fastrand::Rng,
    pub injected: u64,
    /// Injected since the knobs were last set (what `limit` counts).
    since_set: u64,
    pub by_kind: BTreeMap<&'static str, u64>,
}

impl FaultState {
    pub fn new(faults: Faults) -> Self {
        let rng = fastrand::Rng::with_seed(faults.seed);
        FaultState { faults, rng, injected: 0, since_set: 0, by_kind: BTreeMap::new() }
    }

    /// The per-request latency in force now (it may change at run time).
    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.faults.latency_ms)
    }

    pub fn set(&mut self, faults: Faults) {
        self.rng = fastrand::Rng::with_seed(faults.seed);
        self.faults = faults;
        self.since_set = 0;
    }

    pub fn decide(&mut self, method: &str, path: &str) -> Decision {
        let f = &self.faults;
        let targeted = (f.methods.is_empty() || f.methods.iter().any(|m| m.eq_ignore_ascii_case(method)))
            && (f.paths.is_empty() || f.paths.iter().any(|p| path.starts_with(p.as_str())));
        if !targeted || (f.limit != 0 && self.since_set >= f.limit) {
            return Decision::Pass;
        }
        let roll = self.rng.f64();
        let mut edge = 0.0;
        let mut hit = |rate: f64| {
            edge += rate;
            roll < edge
        };
        let (d, kind) = if hit(f.rate_429) {
            (Decision::Before(429), "429")
        } else if hit(f.rate_5xx) {
            (Decision::Before([500, 502, 503][self.rng.usize(0..3)]), "5xx")
        } else if hit(f.rate_lost_after_commit) {
            (Decision::AfterCommit, "lost_after_commit")
        } else if hit(f.rate_drop_before) {
            (Decision::DropBefore, "drop_before")
        } else if hit(f.rate_drop_after_commit) {
            (Decision::DropAfterCommit, "drop_after_commit")
        } else if hit(f.rate_cut_body_after_commit) {
            (Decision::CutBodyAfterCommit, "cut_body_after_commit")
        } else {
            return Decision::Pass;
        };
        self.injected += 1;
        self.since_set += 1;
        *self.by_kind.entry(kind).or_default() += 1;
        d
    }

    /// How long the write being committed stays invisible to reads (zero: consistent).
    pub fn visibility_delay(&mut self) -> Duration {
        match self.faults.consistency_delay_ms {
            0 => Duration::ZERO,
            t => Duration::from_millis(self.rng.u64(0..=t)),
        }
    }

    pub fn count_stale_read(&mut self) {
        *self.by_kind.entry("stale_read").or_default() += 1;
    }

    /// Whether a whole-set key write of `n` keys loses its first one (counted when it does).
    pub fn loses_key(&mut self, n: usize) -> bool {
        let lose = self.faults.lose_key_on_set_write && n > 1;
        if lose {
            self.injected += 1;
            *self.by_kind.entry("lost_key").or_default() += 1;
        }
        lose
    }
}
