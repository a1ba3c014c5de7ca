//! The consistency fault (ARCHITECTURE.md, "Reliability": a lagging read side, where a GET may not
//! see a write for up to T seconds), modelled as a lagging read replica: every write is committed
//! to the primary store at once and replayed to the replica in order, each after its own delay.
//! GETs of the admin API are answered from the replica while it lags, by the same handlers running
//! over a second store that holds the replica's copy of the objects; writes always act on the
//! primary. `/__sim/state` shows the primary.

use crate::store::{Access, Data, Store};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

/// The objects a replica copies.
#[derive(Clone)]
pub struct Snapshot {
    scopes: BTreeMap<String, Map<String, Value>>,
    accesses: Vec<Access>,
    clients: BTreeMap<String, Map<String, Value>>,
    keys: BTreeMap<String, Vec<Value>>,
    contacts: BTreeMap<String, Map<String, Value>>,
}

impl Snapshot {
    fn of(d: &Data) -> Snapshot {
        Snapshot {
            scopes: d.scopes.clone(),
            accesses: d.accesses.clone(),
            clients: d.clients.clone(),
            keys: d.keys.clone(),
            contacts: d.contacts.clone(),
        }
    }

    fn install(self, d: &mut Data) {
        d.scopes = self.scopes;
        d.accesses = self.accesses;
        d.clients = self.clients;
        d.keys = self.keys;
        d.contacts = self.contacts;
    }
}

/// What the replica has applied (`base`) and the writes still on their way, with the instant
/// each becomes visible (non-decreasing: writes replay in order).
#[derive(Default)]
pub struct Replica {
    state: Mutex<Lag>,
}

/// The applied state (`None`: not lagging) and the queue of writes in flight.
type Lag = (Option<Snapshot>, VecDeque<(Instant, Snapshot)>);

impl Replica {
    /// Before a write: when nothing lags yet, the replica's state is the primary's as it is now.
    pub fn before_write(&self, primary: &Store) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.1.is_empty() {
            st.0 = Some(Snapshot::of(&primary.lock()));
        }
    }

    /// After a write: the primary's new state reaches the replica after `delay`.
    pub fn after_write(&self, primary: &Store, delay: std::time::Duration) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let at = (Instant::now() + delay).max(st.1.back().map_or_else(Instant::now, |(t, _)| *t));
        let snap = Snapshot::of(&primary.lock());
        st.1.push_back((at, snap));
    }

    /// The replica's objects when it still lags behind the primary; `None` when it has caught up
    /// (then reads may be answered by the primary).
    pub fn lagging_view(&self) -> Option<Snapshot> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        while st.1.front().is_some_and(|(t, _)| *t <= now) {
            let (_, s) = st.1.pop_front().expect("checked non-empty");
            st.0 = Some(s);
        }
        if st.1.is_empty() {
            st.0 = None;
            return None;
        }
        st.0.clone()
    }
}

/// Put the replica's view into the reader store, with the primary's current tokens (tokens live
/// in the token service, not in the replicated data).
pub fn prepare_reader(reader: &Store, primary: &Store, view: Snapshot) {
    let tokens = primary.lock().tokens.clone();
    let mut d = reader.lock();
    view.install(&mut d);
    d.tokens = tokens;
}
