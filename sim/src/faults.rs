//! Fault knobs for resilience tests (design.md §5), settable at start (`SimConfig::faults`) and at
//! run time (`GET`/`PUT /__sim/faults`). Faults hit authenticated `/api/` calls only, and are
//! drawn from a seeded generator so a test run is repeatable.
//!
//! * `rate_429`: answer 429 with `Retry-After: retry_after_secs` before handling;
//! * `rate_5xx`: answer 500/502/503 before handling (nothing is committed);
//! * `rate_lost_after_commit`: handle the request (the write is committed), then answer 502, as
//!   when a response is lost on the way back.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Faults {
    pub rate_429: f64,
    pub retry_after_secs: u64,
    pub rate_5xx: f64,
    pub rate_lost_after_commit: f64,
    pub seed: u64,
}

/// What to do with one request.
pub enum Decision {
    Pass,
    Before(u16),
    AfterCommit,
}

pub struct FaultState {
    pub faults: Faults,
    rng: fastrand::Rng,
    pub injected: u64,
}

impl FaultState {
    pub fn new(faults: Faults) -> Self {
        let rng = fastrand::Rng::with_seed(faults.seed);
        FaultState { faults, rng, injected: 0 }
    }

    pub fn set(&mut self, faults: Faults) {
        self.rng = fastrand::Rng::with_seed(faults.seed);
        self.faults = faults;
    }

    pub fn decide(&mut self) -> Decision {
        let f = &self.faults;
        let roll = self.rng.f64();
        let d = if roll < f.rate_429 {
            Decision::Before(429)
        } else if roll < f.rate_429 + f.rate_5xx {
            Decision::Before([500, 502, 503][self.rng.usize(0..3)])
        } else if roll < f.rate_429 + f.rate_5xx + f.rate_lost_after_commit {
            Decision::AfterCommit
        } else {
            Decision::Pass
        };
        if !matches!(d, Decision::Pass) {
            self.injected += 1;
        }
        d
    }
}
