//! The simulator's memory: organisations, scopes, grants, issued tokens and the request log.
//! Nothing is ever removed (Digdir deactivates instead: docs/development/digdir-api.md, "Scopes"
//! and "Clients"; every section cited in this file is a heading of that page).

use crate::SimConfig;
use crate::creds::{OrgCreds, env_pairs};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// An issued admin access token.
#[derive(Clone)]
pub struct Grant {
    pub orgno: String,
    pub scopes: Vec<String>,
    /// The audience a token was restricted to (the grant's `resource`); `None` for Digdir's API.
    pub resource: Option<String>,
    pub expires: Instant,
}

/// One consumer organisation's access to one scope ("Grants").
#[derive(Clone, Debug)]
pub struct Access {
    pub scope: String,
    pub owner: String,
    pub consumer: String,
    pub state: &'static str,
    pub active: bool,
    pub created: String,
    pub last_updated: String,
}

#[derive(Default)]
pub struct Data {
    /// Scopes by name, stored as served (so unknown fields survive, "Scopes").
    pub scopes: BTreeMap<String, Map<String, Value>>,
    pub accesses: Vec<Access>,
    /// Clients by client_id, with the creating organisation in `owner_orgno` (not served).
    pub clients: BTreeMap<String, Map<String, Value>>,
    /// Registered keys per client_id ("Keys").
    pub keys: BTreeMap<String, Vec<Value>>,
    /// Merchant-data contacts by id (docs/merchant-data-api.md; not a Digdir endpoint).
    pub contacts: BTreeMap<String, Map<String, Value>>,
    /// When each client (or its keys) last changed: Maskinporten's runtime sees changes only
    /// after the propagation delay ("Quirks").
    pub changed: HashMap<String, Instant>,
    /// Grants refused per client since its last change (the change's time, the count), for
    /// `SimConfig::propagation_refusals`.
    pub propagation_refused: HashMap<String, (Instant, u32)>,
    pub tokens: HashMap<String, Grant>,
    pub jtis: HashSet<String>,
    /// Every token request: the client, the scopes it asked for and how it ended (`issued` or
    /// the OAuth error), for tests that count refused requests.
    pub token_log: Vec<Value>,
    pub requests: Vec<Value>,
}

pub struct Store {
    pub base: String,
    pub orgs: Vec<OrgCreds>,
    ca_pem: String,
    /// The TLS test CA's file, named in the env files (with `SimConfig::tls`).
    ca_bundle: Option<std::path::PathBuf>,
    pub token_lifetime: u64,
    pub empty_list_quirk: bool,
    pub propagation: Duration,
    pub propagation_refusals: u32,
    pub date_skew_secs: i64,
    pub redirect_api: bool,
    pub hide_deactivated_on_get: bool,
    pub per_key_ops: bool,
    pub faults: Mutex<crate::faults::FaultState>,
    pub data: Mutex<Data>,
    /// The lagging read replica of the consistency fault, and the store plus router that answer
    /// GETs from it (set once at start; the reader store has none of its own).
    pub replica: crate::replica::Replica,
    pub reader: std::sync::OnceLock<(std::sync::Arc<Store>, axum::Router)>,
}

impl Store {
    pub fn new(base: String, orgs: Vec<OrgCreds>, ca_pem: String, cfg: &SimConfig) -> Store {
        Store {
            base,
            orgs,
            ca_pem,
            ca_bundle: cfg.tls.then(|| std::path::absolute(cfg.dir.join("sim-ca.pem")).unwrap_or_default()),
            token_lifetime: cfg.token_lifetime_secs,
            empty_list_quirk: cfg.empty_list_quirk,
            propagation: Duration::from_millis(cfg.propagation_ms),
            propagation_refusals: cfg.propagation_refusals,
            date_skew_secs: cfg.date_skew_secs,
            redirect_api: cfg.redirect_api,
            hide_deactivated_on_get: cfg.hide_deactivated_on_get,
            per_key_ops: cfg.per_key_ops,
            faults: Mutex::new(crate::faults::FaultState::new(crate::Faults {
                latency_ms: if cfg.latency_ms != 0 { cfg.latency_ms } else { cfg.faults.latency_ms },
                ..cfg.faults.clone()
            })),
            data: Mutex::new(Data::default()),
            replica: Default::default(),
            reader: std::sync::OnceLock::new(),
        }
    }

    /// The store, locked. A poisoned lock (a panicked handler) is recovered: the data is plain.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn org(&self, orgno: &str) -> Option<&OrgCreds> {
        self.orgs.iter().find(|o| o.orgno == orgno)
    }

    pub fn org_name(orgno: &str) -> String {
        format!("SIM ORG {orgno}")
    }

    pub fn env_for(&self, orgno: &str) -> Vec<(String, String)> {
        self.org(orgno).map(|o| env_pairs(&self.base, o, &self.ca_pem, self.ca_bundle.as_deref())).unwrap_or_default()
    }

    /// Access tokens are JWT-shaped like Maskinporten's (header.claims.signature, `iss` = the
    /// issuer); the simulator looks them up whole, so the signature part is random.
    pub fn issue_token(&self, orgno: &str, scopes: Vec<String>, resource: Option<String>) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut claims = json!({"iss": format!("{}/", self.base), "consumer": {"ID": format!("0192:{orgno}")}, "scope": scopes.join(" "), "jti": uuid::Uuid::new_v4().to_string()});
        if let Some(r) = &resource {
            claims["aud"] = json!(r);
        }
        let token = format!(
            "{}.{}.{}",
            b64.encode(br#"{"typ":"at+jwt","alg":"RS256"}"#),
            b64.encode(claims.to_string()),
            uuid::Uuid::new_v4().simple()
        );
        let expires = Instant::now() + Duration::from_secs(self.token_lifetime);
        self.lock().tokens.insert(token.clone(), Grant { orgno: orgno.into(), scopes, resource, expires });
        token
    }

    /// An admin token with every admin scope, as Samarbeidsportalen acts for a logged-in user.
    pub fn mint_token(&self, orgno: &str) -> String {
        self.issue_token(orgno, crate::auth::ADMIN_SCOPES.iter().map(|s| s.to_string()).collect(), None)
    }

    pub fn requests(&self) -> Value {
        Value::Array(self.lock().requests.clone())
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    pub fn dump(&self) -> Value {
        let d = self.lock();
        json!({
            "orgs": self.orgs.iter().map(|o| json!({"orgno": o.orgno, "prefixes": o.prefixes, "admin_client_id": o.client_id, "admin_scopes": o.admin_scopes})).collect::<Vec<_>>(),
            "scopes": d.scopes.values().cloned().collect::<Vec<_>>(),
            "accesses": d.accesses.iter().map(Access::to_json).collect::<Vec<_>>(),
            "clients": d.clients.values().cloned().collect::<Vec<_>>(),
            "keys": d.keys.clone(),
            "contacts": d.contacts.values().cloned().collect::<Vec<_>>(),
        })
    }
}

impl Access {
    pub fn to_json(&self) -> Value {
        json!({
            "scope": self.scope,
            "owner_orgno": self.owner,
            "owner_organization_name": Store::org_name(&self.owner),
            "consumer_orgno": self.consumer,
            "consumer_organization_name": Store::org_name(&self.consumer),
            "state": self.state,
            "active": self.active,
            "created": self.created,
            "last_updated": self.last_updated,
        })
    }
}
