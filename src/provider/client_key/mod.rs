//! `maskinporten_client_key`: one public key on a client (docs/development/digdir-api.md, "Keys").
//! Keys are written one at a time with Digdir's per-key operations, falling back to whole-set
//! writes (which re-send the other keys and read the set back) where Digdir lacks them; writes to
//! one client are serialised inside the provider ([`write`]). The key material is write-only (never in plan or state); its
//! identity is the RFC 7638 thumbprint, so a reformatted PEM is no change.

mod model;
mod plan;
mod validate;
mod write;

pub use model::{expires_at, schema};

use super::Shared;
use super::keys;
use crate::tfplugin::{AttrPath, Diagnostics, Identity, ObjectBuilder, PlanCtx, Resource, Schema, Value, ValueExt};
use async_trait::async_trait;
use model::{same_expiry, state};
use std::sync::Arc;

pub struct ClientKeyResource {
    shared: Arc<Shared>,
}

impl ClientKeyResource {
    pub fn new(shared: Arc<Shared>) -> Arc<Self> {
        Arc::new(ClientKeyResource { shared })
    }
}

#[async_trait]
impl Resource for ClientKeyResource {
    fn type_name(&self) -> &'static str {
        "maskinporten_client_key"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn identity(&self) -> Option<Identity> {
        Some(Identity::new(&[("client_id", "The client id."), ("kid", "The key id.")]))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate::validate(config, diags);
    }

    async fn plan(&self, ctx: &mut PlanCtx<'_>) {
        plan::plan(&self.shared, ctx).await;
    }

    async fn create(&self, planned: &Value, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.api.client(diags)?;
        let key = keys::parse(config.tri_str("key").known()?)
            .map_err(|e| diags.attr_error(AttrPath::attr("key"), "Unusable key material", e.to_string()))
            .ok()?;
        write::add(&self.shared, client, planned, &key, diags).await
    }

    async fn read(&self, st: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.api.client(diags)?;
        let (client_id, kid) = (st.opt_str("client_id")?, st.opt_str("kid")?);
        let listed = self.shared.reads.jwks(client, &client_id).await;
        let list = self.shared.api.ok(listed, diags, &format!("read the keys of client {client_id}"))?;
        let found = list.iter().find(|k| k.kid.as_deref() == Some(kid.as_str()))?;
        let mut now = state(&client_id, found);
        let expiry = same_expiry(st.opt_str("expires_at"), now.opt_str("expires_at"));
        now.set_attr("expires_at", expiry.map_or(Value::Null, Value::String));
        // The kid now names a different key: ours is gone.
        match st.opt_str("thumbprint") {
            Some(t) if Some(&t) != now.opt_str("thumbprint").as_ref() => None,
            _ => Some(now),
        }
    }

    fn forget_cached(&self, st: &Value) {
        if let Some(client_id) = st.opt_str("client_id") {
            self.shared.reads.jwks_changed(&client_id);
        }
    }

    async fn update(
        &self,
        _prior: &Value,
        planned: &Value,
        _config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        // Every argument forces replacement or is write-only; nothing to change in place.
        Some(planned.clone())
    }

    async fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        let Some(client) = self.shared.api.client(diags) else { return };
        write::remove(&self.shared, client, prior, diags).await;
    }

    async fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        let Some((client_id, kid)) = id.split_once(',').filter(|(c, k)| !c.is_empty() && !k.is_empty()) else {
            diags.error("Invalid import id", format!("Expected <client_id>,<kid>; got {id:?}."));
            return None;
        };
        Some(
            ObjectBuilder::new(&schema())
                .str("id", Some(id))
                .str("client_id", Some(client_id))
                .str("kid", Some(kid))
                .build(),
        )
    }
}
