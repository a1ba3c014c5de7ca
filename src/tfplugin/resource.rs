//! The traits a provider implements: [`Provider`], [`Resource`] and [`DataSource`].
//!
//! The protocol layer (server.rs + lifecycle.rs) owns every Terraform rule — which attributes
//! may change at plan time, what "inconsistent result" means, how null, unknown and write-only
//! values travel — so an implementation only says what its object *is* and how to talk to its API.
//! At validate and plan time an implementation sees values that may be unknown (use
//! [`super::access::ValueExt::tri_str`] and friends); at apply and read time every value is known
//! or null.

use super::diag::{AttrPath, Diagnostics};
use super::schema::Schema;
use super::value::Value;
use async_trait::async_trait;
use std::sync::Arc;

/// The plan being built for one resource instance. The lifecycle rules fill `planned` before
/// [`Resource::plan`] runs: configured values as written, computed values kept from the prior
/// state (update) or unknown (create / replace). The resource may then fill values it knows
/// already (a name derived from its parts, a default), mark more attributes unknown, request a
/// replacement, or raise diagnostics (API-backed checks belong here, on known inputs only).
pub struct PlanCtx<'a> {
    /// The state before this plan; `None` on create and on replace.
    pub prior: Option<&'a Value>,
    pub config: &'a Value,
    pub planned: Value,
    /// Whether this plan replaces an existing object (prior state exists but a forced change
    /// requires a new object).
    pub replacing: bool,
    pub requires_replace: Vec<AttrPath>,
    pub diags: Diagnostics,
}

impl PlanCtx<'_> {
    /// True when no object exists yet (create, or the create half of a replacement).
    pub fn is_create(&self) -> bool {
        self.prior.is_none()
    }
    /// The planned value of an attribute.
    pub fn get(&self, name: &str) -> &Value {
        self.planned.get_attr(name).unwrap_or(&Value::Null)
    }
    /// Set the planned value of a computed attribute.
    pub fn set(&mut self, name: &str, v: Value) {
        if let Value::Object(m) = &mut self.planned {
            m.insert(name.to_string(), v);
        }
    }
}

/// A managed resource type, e.g. `example_thing`.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// The resource identity (Terraform ≥ 1.12): the parts of the import id, in order.
    fn identity(&self) -> Option<super::identity::Identity> {
        None
    }

    /// Static checks that need no API: formats, enums, ranges. Runs in `terraform validate`
    /// (offline) and again before every plan; unknown values must be skipped.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Refine the plan (see [`PlanCtx`]). Not called on destroy.
    async fn plan(&self, _ctx: &mut PlanCtx<'_>) {}

    /// Create the object. Return the new state; on a failure after the object came to exist,
    /// return the state so far *and* an error, so Terraform records (and taints) it.
    async fn create(&self, planned: &Value, config: &Value, diags: &mut Diagnostics) -> Option<Value>;

    /// Read the current state. `None` means the object is gone for good.
    async fn read(&self, state: &Value, diags: &mut Diagnostics) -> Option<Value>;

    /// Drop any cached read that covers this object, so the next [`Resource::read`] asks the
    /// API again (called before a re-read while the API may lag behind our write; see
    /// [`super::consistency`]).
    fn forget_cached(&self, _state: &Value) {}

    /// Update in place to the planned state.
    async fn update(&self, prior: &Value, planned: &Value, config: &Value, diags: &mut Diagnostics) -> Option<Value>;

    /// Destroy the object.
    async fn delete(&self, prior: &Value, diags: &mut Diagnostics);

    /// Build a minimal state from an import id; Terraform reads it right after.
    async fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Value>;

    /// Upgrade a stored state of an older schema version, given as JSON. The default passes the
    /// state through unchanged (attributes the schema lacks are dropped, new ones read as null).
    fn upgrade_state(&self, _from_version: i64, raw: serde_json::Value, _diags: &mut Diagnostics) -> serde_json::Value {
        raw
    }
}

/// A data source type: read-only, evaluated from configuration.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Read the data. Configured attributes are copied from `config` afterwards.
    async fn read(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value>;
}

/// An ephemeral resource (Terraform ≥ 1.10): a value opened for the duration of one run, never
/// stored in plan or state (tokens, credentials).
#[async_trait]
pub trait EphemeralResource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Produce the value. Configured attributes are copied from `config` afterwards.
    async fn open(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value>;
}

/// A provider: its configuration schema and what it serves.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    fn schema(&self) -> Schema;
    fn resources(&self) -> Vec<Arc<dyn Resource>>;
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;
    /// Ephemeral resources; none by default.
    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource>> {
        vec![]
    }
    /// Provider functions; none by default.
    fn functions(&self) -> Vec<Arc<dyn super::function::Function>> {
        vec![]
    }
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// How long after our own write a read that disagrees with it is retried rather than
    /// believed (the API's replication lag, [`super::consistency`]). Zero turns it off.
    fn read_after_write_window(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
    /// Configure from the provider block. Called once per provider instance before any CRUD.
    async fn configure(&self, terraform_version: &str, config: &Value, diags: &mut Diagnostics);
}
