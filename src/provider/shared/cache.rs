//! Short-lived, coalesced reads: within one provider process, the reads of objects that one
//! list call returns together (the grants of a scope, the organisation's clients) share that call
//! instead of one GET each. Entries live a few seconds (a refresh walks every resource at once)
//! and are dropped by our own writes, so a read after a write sees the write. Values are shared,
//! not copied: every client read of a refresh looks at the one client list (a clone per read
//! made the refresh of 2000 objects cost 200 × 400 client copies).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

type Cell<T> = Arc<OnceCell<(Instant, Arc<T>)>>;

pub struct Coalesced<T> {
    ttl: Duration,
    cells: Mutex<HashMap<String, Cell<T>>>,
}

impl<T> Coalesced<T> {
    pub fn new(ttl: Duration) -> Self {
        Coalesced { ttl, cells: Mutex::new(HashMap::new()) }
    }

    /// The value for `key`, fetched at most once per TTL however many callers ask at once.
    pub async fn get<E, F, Fut>(&self, key: &str, fetch: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
            let fresh = |c: &Cell<T>| c.get().is_none_or(|(at, _)| at.elapsed() < self.ttl);
            match cells.get(key) {
                Some(c) if fresh(c) => c.clone(),
                _ => {
                    let c: Cell<T> = Arc::default();
                    cells.insert(key.to_string(), c.clone());
                    c
                }
            }
        };
        cell.get_or_try_init(|| async { fetch().await.map(|v| (Instant::now(), Arc::new(v))) })
            .await
            .map(|(_, v)| v.clone())
    }

    /// Forget `key` after a write that changed it.
    pub fn invalidate(&self, key: &str) {
        self.cells.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn concurrent_reads_share_one_fetch_and_writes_invalidate() {
        let c = Coalesced::<u32>::new(Duration::from_secs(60));
        let calls = AtomicU32::new(0);
        let fetch = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok::<_, ()>(7)
        };
        let (a, b) = tokio::join!(c.get("k", fetch), c.get("k", fetch));
        assert_eq!((*a.unwrap(), *b.unwrap()), (7, 7));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        c.invalidate("k");
        c.get("k", fetch).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
