//! What the resources of one provider process share, by concern:
//!
//! * [`Api`]: the configured API client, the environment, and the one way an API failure becomes
//!   a diagnostic;
//! * [`Reads`]: short-lived, coalesced lists a refresh shares (one list per scope or per
//!   organisation instead of one read per resource: ARCHITECTURE.md, "Targets");
//! * [`Writes`]: what this process wrote itself — clients it created, key sets it wrote — and
//!   one key write at a time per client, since a read may not show our own write yet.

pub(super) mod api;
mod cache;
mod reads;
mod writes;

pub use api::Api;
pub use reads::{RECONCILE_WINDOW, Reads, UsableScopes, settle};
pub use writes::{READ_AFTER_WRITE_WINDOW, Writes};

use crate::api::Jwk;
use tokio_util::sync::CancellationToken;

pub struct Shared {
    pub api: Api,
    pub reads: Reads,
    pub writes: Writes,
}

impl Shared {
    /// `stop` is cancelled when Terraform calls StopProvider.
    pub fn new(stop: CancellationToken) -> Self {
        Shared { api: Api::new(stop), reads: Reads::new(), writes: Writes::default() }
    }

    /// We wrote `keys` as the key set of `client_id`: remember them, and drop cached reads that
    /// no longer hold.
    pub fn keys_written(&self, client_id: &str, keys: Vec<Jwk>) {
        self.writes.keys_written(client_id, keys);
        self.reads.jwks_changed(client_id);
    }
}
