//! What this provider process wrote itself. Digdir's read side may lag behind its writes
//! (ARCHITECTURE.md, "Reliability"), so the next change to the same object starts from what we
//! know we wrote rather than from a read that may not show it yet; and key writes to one client
//! go one at a time, since on the whole-set path each replaces the set.

use crate::api::{ApiClient, ApiError, Client, Jwk};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long after our own write a disagreeing read is retried (see `tfplugin::consistency`),
/// and our own record of a key set preferred to Digdir's answer.
pub const READ_AFTER_WRITE_WINDOW: Duration = Duration::from_secs(30);

#[derive(Default)]
pub struct Writes {
    /// The key set we last wrote per client, and when.
    written_keys: Mutex<HashMap<String, (Instant, Vec<Jwk>)>>,
    /// Clients this process created (no keys but ours; existing for later creates' snapshots).
    created_clients: Mutex<BTreeSet<String>>,
    /// The client ids that existed before this process's creates.
    create_snapshot: tokio::sync::Mutex<Option<(Instant, BTreeSet<String>)>>,
    /// One key write at a time per client.
    key_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Set once Digdir answered a per-key operation 404/405: this process then writes whole key
    /// sets (see `client_key::write`).
    whole_key_sets: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Writes {
    /// Whether this process created `client_id`.
    pub fn created_here(&self, client_id: &str) -> bool {
        lock(&self.created_clients).contains(client_id)
    }

    /// The keys of a client this process created — exactly those it wrote, so no read is
    /// needed; `None` for any other client.
    pub fn keys_of_created(&self, client_id: &str) -> Option<Vec<Jwk>> {
        if !self.created_here(client_id) {
            return None;
        }
        Some(lock(&self.written_keys).get(client_id).map(|(_, keys)| keys.clone()).unwrap_or_default())
    }

    /// Remember the key set we just wrote. Use [`super::Shared::keys_written`], which also drops
    /// cached reads of it.
    pub(super) fn keys_written(&self, client_id: &str, keys: Vec<Jwk>) {
        lock(&self.written_keys).insert(client_id.to_string(), (Instant::now(), keys));
    }

    /// The key set a change starts from: Digdir's, except right after we wrote this client's set
    /// ourselves — then ours, because a lagging read side would hand back a set without the key we
    /// just added, and re-posting that would remove it (POST replaces the set:
    /// docs/development/digdir-api.md, "Keys").
    pub async fn key_base(&self, api: &ApiClient, client_id: &str) -> Result<Vec<Jwk>, ApiError> {
        let read = match self.keys_of_created(client_id) {
            // A client this process created has no keys but those it wrote itself: no read.
            Some(_) => vec![],
            None => api.get_jwks(client_id).await?,
        };
        let ours = lock(&self.written_keys)
            .get(client_id)
            .filter(|(at, _)| at.elapsed() < READ_AFTER_WRITE_WINDOW)
            .map(|(_, keys)| keys.clone());
        let kids = |l: &[Jwk]| l.iter().filter_map(|k| k.kid.clone()).collect::<BTreeSet<_>>();
        Ok(match ours {
            Some(ours) if kids(&ours) != kids(&read) => ours,
            _ => read,
        })
    }

    /// The ids of every client that existed before this process's first create (ours created
    /// since included): what a create whose answer was lost compares the list with. One list
    /// per process (renewed after a while), not one per create.
    pub async fn clients_before_create(
        &self,
        api: &ApiClient,
        creating: &Client,
    ) -> Result<BTreeSet<String>, ApiError> {
        let mut snap = self.create_snapshot.lock().await;
        match snap.as_ref() {
            Some((at, ids)) if at.elapsed() < Duration::from_secs(300) => Ok(ids.clone()),
            _ => {
                let listed = api.list_clients_before_create(creating).await?;
                let mut ids: BTreeSet<String> = listed.into_iter().filter_map(|c| c.client_id).collect();
                ids.extend(lock(&self.created_clients).iter().cloned());
                *snap = Some((Instant::now(), ids.clone()));
                Ok(ids)
            }
        }
    }

    /// This process created `client_id`: it counts as existing for later creates' snapshots,
    /// and it has no keys but those we add.
    pub async fn client_created(&self, client_id: &str) {
        lock(&self.created_clients).insert(client_id.to_string());
        if let Some((_, ids)) = self.create_snapshot.lock().await.as_mut() {
            ids.insert(client_id.to_string());
        }
    }

    /// Serialise key writes to one client within this process.
    pub async fn key_lock(&self, client_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let m = lock(&self.key_locks).entry(client_id.to_string()).or_default().clone();
        m.lock_owned().await
    }

    /// Whether to write keys one at a time (Digdir's per-key operations) in this process.
    pub fn per_key_ops(&self) -> bool {
        !self.whole_key_sets.load(Ordering::Relaxed)
    }

    /// Digdir answered a per-key operation as if it did not exist: write whole sets from now on.
    pub fn per_key_unavailable(&self, answer: &ApiError) {
        if !self.whole_key_sets.swap(true, Ordering::Relaxed) {
            tracing::debug!(answer = %answer, "Digdir does not serve the per-key operations here; writing whole key sets for this provider process");
        }
    }
}
