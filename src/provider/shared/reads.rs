//! [`Reads`], the coalesced reads: within one provider process, reads of objects that one list call returns
//! together share that call (ARCHITECTURE.md, "Targets": a refresh costs about one request per
//! scope and client, not one per resource). Each list lives a few seconds — a refresh walks every
//! resource at once — and our own writes drop it, so a read after a write in the same process sees
//! the write.
//!
//! An object missing from a list is asked for alone before it counts as gone: the single GET is
//! authoritative (it also finds deactivated objects Digdir may hide from lists:
//! docs/development/digdir-api.md, "Scopes" and "Clients").

use super::cache::Coalesced;
use crate::api::admin_scopes::Need;
use crate::api::{ApiClient, ApiError, Client, Jwk, Jwks, Scope, ScopeAccess};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::OnceCell;

/// The one key under which an organisation-wide list is cached.
const ALL: &str = "";

/// How long an answer a lagging read side could give wrongly is asked again — a create whose
/// answer was lost looking for what it made, a check that would fail on a stale read: long
/// enough for Digdir's read side to catch up, short enough to wait out.
pub const RECONCILE_WINDOW: Duration = Duration::from_secs(10);

/// Ask again — once a second, for up to [`RECONCILE_WINDOW`] — while the answer is one a lagging
/// read side could give wrongly (`suspect`), and return the last answer. For checks that
/// would otherwise fail a plan or an apply on a stale read: a scope deactivated a moment ago that
/// still reads as active, grants revoked a moment ago that still read as approved.
pub async fn settle<T, F, Fut>(mut ask: F, suspect: impl Fn(&T) -> bool) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let started = std::time::Instant::now();
    loop {
        let answer = ask().await?;
        if !suspect(&answer) || started.elapsed() >= RECONCILE_WINDOW {
            return Ok(answer);
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Fill `cache` at `key` in the background, for reads that will ask for it soon. A failure is
/// not kept, so those reads ask again and report it; it is logged at debug (a cancellation, by
/// StopProvider, not at all).
fn warm<T, F, Fut>(cache: &Arc<Coalesced<T>>, key: String, fetch: F)
where
    T: Send + Sync + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
{
    let cache = cache.clone();
    tokio::spawn(async move {
        match cache.get(&key, fetch).await {
            Err(e) if !matches!(e, ApiError::Cancelled) => {
                tracing::debug!(error = %e, key, "prefetching a list failed")
            }
            _ => {}
        }
    });
}

/// The caches. Entries live a few seconds (long enough for one refresh) and our own writes drop
/// them.
pub struct Reads {
    /// The organisation's scope prefixes, once per process.
    prefixes: OnceCell<Vec<String>>,
    /// Grants per scope, one list call shared by every grant read of a refresh.
    grants: Arc<Coalesced<Vec<ScopeAccess>>>,
    /// Keys per client, one GET shared by every key read of a refresh.
    jwks: Coalesced<Vec<Jwk>>,
    /// The organisation's scopes and clients, one list call each per refresh.
    scope_list: Coalesced<Vec<Scope>>,
    client_list: Arc<Coalesced<Vec<Client>>>,
    /// Whether [`Reads::prefetch_clients`] ran in this process.
    clients_prefetched: AtomicBool,
    /// Organisation names by orgno, for grants' plans (one lookup per consumer per process).
    org_names: Coalesced<Option<String>>,
    /// Scopes this organisation may put on its clients (own, granted, open; delegation sources).
    usable_scopes: Coalesced<UsableScopes>,
}

impl Reads {
    pub(super) fn new() -> Self {
        let short = || Duration::from_secs(20);
        Reads {
            prefixes: OnceCell::new(),
            grants: Arc::new(Coalesced::new(short())),
            jwks: Coalesced::new(short()),
            scope_list: Coalesced::new(short()),
            client_list: Arc::new(Coalesced::new(short())),
            clients_prefetched: AtomicBool::new(false),
            org_names: Coalesced::new(Duration::from_secs(600)),
            usable_scopes: Coalesced::new(short()),
        }
    }

    /// The organisation's scope prefixes, fetched once per provider process.
    pub async fn prefixes(&self, api: &ApiClient) -> Result<Vec<String>, ApiError> {
        self.prefixes
            .get_or_try_init(|| async {
                let list = api.list_prefixes().await?;
                Ok::<_, ApiError>(
                    list.into_iter().filter(|p| p.active != Some(false)).filter_map(|p| p.prefix).collect(),
                )
            })
            .await
            .cloned()
    }

    /// One scope of ours, active or deactivated, from the shared `GET /scopes?inactive=true`.
    pub async fn scope(&self, client: &ApiClient, name: &str) -> Result<Option<Scope>, ApiError> {
        let list = self.scope_list.get(ALL, || client.list_scopes(true)).await?;
        match list.iter().find(|s| s.name.as_deref() == Some(name)).cloned() {
            Some(s) => Ok(Some(s)),
            None => client.get_scope(name).await,
        }
    }

    /// Forget the cached scope list after we created, changed or deactivated a scope.
    pub fn scopes_changed(&self) {
        self.scope_list.invalidate(ALL);
    }

    /// One client of ours, active or deactivated, from the shared `GET /clients?inactive=true`.
    pub async fn client_registration(&self, client: &ApiClient, id: &str) -> Result<Option<Client>, ApiError> {
        match self.listed_client(client, id).await? {
            Some(c) => Ok(Some(c)),
            None => client.get_client(id).await,
        }
    }

    async fn listed_client(&self, client: &ApiClient, id: &str) -> Result<Option<Client>, ApiError> {
        let list = self.client_list.get(ALL, || client.list_clients(true)).await?;
        Ok(list.iter().find(|c| c.client_id.as_deref() == Some(id)).cloned())
    }

    /// Start fetching the organisation's client list in the background, when the configured
    /// `scopes` allow reading clients: called by the reads of scopes and grants, which Terraform
    /// makes before the reads of clients that refer to those scopes. The client list then travels
    /// beside the scope list instead of a round trip later, once the scopes are read (README,
    /// "Performance"). A refresh without clients pays that one list (ARCHITECTURE.md, "Targets").
    /// With `scopes` unset nothing is started: whether the client area is granted is unknown
    /// until a client is read, and a guess could cost a refused token request on every run.
    /// Only the first call of a process starts it: later ones would refetch a list our own
    /// writes or a disagreeing read just dropped, at once rather than when a client read asks.
    pub fn prefetch_clients(&self, client: &ApiClient) {
        if self.clients_prefetched.swap(true, Ordering::Relaxed) || !client.configured_for(Need::CLIENTS_READ) {
            return;
        }
        let client = client.clone();
        warm(&self.client_list, ALL.to_string(), move || async move { client.list_clients(true).await });
    }

    /// Forget the cached client list after we created, changed or deactivated a client.
    pub fn clients_changed(&self) {
        self.client_list.invalidate(ALL);
    }

    /// Approved and pending grants we made on `scope` (one list call per scope).
    pub async fn grants(&self, client: &ApiClient, scope: &str) -> Result<Arc<Vec<ScopeAccess>>, ApiError> {
        self.grants.get(scope, || client.list_accesses(scope, false)).await
    }

    /// Start fetching the grants of `scope` in the background, so the grant reads of a refresh
    /// find the list ready — or in flight beside the other scopes' — instead of each list
    /// waiting for a wave of Terraform's reads. Costs at most one list per scope, shared with
    /// every grant read of it (and none when a list is cached already).
    pub fn prefetch_grants(&self, client: &ApiClient, scope: &str) {
        let (client, key) = (client.clone(), scope.to_string());
        let scope = key.clone();
        warm(&self.grants, key, move || async move { client.list_accesses(&scope, false).await });
    }

    /// Forget cached grants of `scope` after we changed them.
    pub fn grants_changed(&self, scope: &str) {
        self.grants.invalidate(scope);
    }

    /// The keys of a client: the read-only `jwks` view in the shared client list
    /// (docs/development/digdir-api.md, "Clients") when the API sends it, else
    /// `GET /clients/{id}/jwks`.
    pub async fn jwks(&self, client: &ApiClient, client_id: &str) -> Result<Arc<Vec<Jwk>>, ApiError> {
        self.jwks
            .get(client_id, || async {
                let listed = self.listed_client(client, client_id).await.ok().flatten();
                let embedded = listed.and_then(|c| c.extra.get("jwks").cloned()).filter(|j| !j.is_null());
                // A view we cannot parse is no reason to fail: the key endpoint is authoritative.
                match embedded.and_then(|j| serde_json::from_value::<Jwks>(j).ok()) {
                    Some(j) => Ok(j.keys),
                    None => client.get_jwks(client_id).await,
                }
            })
            .await
    }

    /// Forget cached keys (and the client list that shows them) after we changed a key set.
    pub fn jwks_changed(&self, client_id: &str) {
        self.jwks.invalidate(client_id);
        self.client_list.invalidate(ALL);
    }

    /// One scope of ours from the process's shared list alone: for plan-time checks, which may
    /// read a list a few seconds old (apply gives Digdir's answer).
    pub async fn listed_scope(&self, client: &ApiClient, name: &str) -> Result<Option<Scope>, ApiError> {
        let list = self.scope_list.get(ALL, || client.list_scopes(true)).await?;
        Ok(list.iter().find(|s| s.name.as_deref() == Some(name)).cloned())
    }

    /// An organisation's name from the central register, looked up once per process.
    pub async fn organization_name(&self, client: &ApiClient, orgno: &str) -> Result<Option<String>, ApiError> {
        self.org_names
            .get(orgno, || async { client.get_organization(orgno).await.map(|o| o.and_then(|o| o.name)) })
            .await
            .map(|name| (*name).clone())
    }

    /// Scopes the organisation can put on its own clients, shared by every client's plan in this
    /// process: from Digdir's public catalogue (no token), the scopes accessible to all and those
    /// of delegation sources; with a token that may read scopes, its own scopes and those granted
    /// to it (APPROVED). An organisation whose administration client has no scopes.* (a consumer
    /// with dcr.* only) gets the public part and, in `private`, why the rest is unknown.
    pub async fn usable_scopes(&self, client: &ApiClient) -> Result<Arc<UsableScopes>, ApiError> {
        self.usable_scopes
            .get(ALL, || async {
                // Five lists that depend on nothing but the token: side by side, not in a row
                // (each one is a round trip on the path of every client's plan).
                let private = async {
                    let (own, received, prefixes) = tokio::try_join!(
                        client.list_scopes(false),
                        client.list_received_accesses(),
                        self.prefixes(client)
                    )?;
                    let mut ours: BTreeSet<String> = own.into_iter().filter_map(|s| s.name).collect();
                    ours.extend(received.into_iter().filter(|g| g.is_approved()).filter_map(|g| g.scope));
                    Ok::<_, ApiError>((ours, prefixes))
                };
                let (open_q, delegated_q) =
                    ([("accessible_for_all", "true".into())], [("delegated_sources", "true".into())]);
                let (open, delegated, private) =
                    tokio::join!(client.list_all_scopes(&open_q), client.list_all_scopes(&delegated_q), private);
                let (open, delegated) = (open?, delegated?);
                let private = match private {
                    Ok(ours) => Ok(ours),
                    Err(e @ ApiError::ScopeNotGranted { .. }) => Err(e),
                    Err(e) => return Err(e),
                };
                Ok(UsableScopes {
                    open: open.into_iter().filter_map(|s| s.name).collect(),
                    delegated: delegated.into_iter().filter_map(|s| s.name).collect(),
                    private,
                })
            })
            .await
    }
}

/// See [`Shared::usable_scopes`].
pub struct UsableScopes {
    pub open: BTreeSet<String>,
    pub delegated: BTreeSet<String>,
    /// Own scopes and APPROVED grants to us, and our prefixes, or why they cannot be read with
    /// the admin scopes this process has.
    pub private: Result<(BTreeSet<String>, Vec<String>), ApiError>,
}

impl UsableScopes {
    /// Whether `scope` is ours or granted to us: listed, or under one of our prefixes (a scope
    /// this same apply creates is not listed yet, and it will be ours).
    pub fn ours(&self, scope: &str) -> Result<bool, &ApiError> {
        let (listed, prefixes) = self.private.as_ref()?;
        let under_ours =
            crate::provider::scope_name::ScopeName::parse(scope).is_ok_and(|n| prefixes.iter().any(|p| p == n.prefix));
        Ok(listed.contains(scope) || under_ours)
    }
}
