//! `maskinporten_scope_consumers`: the *complete* set of organisations with access to one scope.
//! Authoritative: a grant made anywhere else (Samarbeidsportalen, another tool) shows as drift and
//! is revoked by the next apply. Not to be combined with `maskinporten_scope_access` on the same
//! scope — the two would revoke each other's grants.

use super::scope_name::ScopeName;
use super::{Shared, orgno};
use crate::api::ApiClient;
use crate::tfplugin::{
    AttrPath, Attribute, Diagnostics, Identity, ObjectBuilder, PlanCtx, Resource, Schema, Tri, Type, Value, ValueExt,
};
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub struct ScopeConsumersResource {
    shared: Arc<Shared>,
}

impl ScopeConsumersResource {
    pub fn new(shared: Arc<Shared>) -> Arc<Self> {
        Arc::new(ScopeConsumersResource { shared })
    }
}

fn schema() -> Schema {
    Schema::new(
        "The complete set of consumer organisations with access to one of your scopes. Grants made outside \
         Terraform show as drift and are revoked on apply. Destroying it revokes every consumer it lists. \
         Do not combine with `maskinporten_scope_access` on the same scope.",
        vec![
            Attribute::computed("id", Type::String).describe("The scope name; the import id."),
            Attribute::required("scope", Type::String).force_new().describe("Full name of a scope your organisation owns. Changing it replaces the resource."),
            Attribute::required("consumers", Type::set(Type::String)).describe("Organisation numbers (nine digits) of every consumer that may use the scope. Organisations not listed lose access."),
            Attribute::computed("consumer_names", Type::map(Type::String)).unknown_on_update().describe("Names of the consumers from the central register, by organisation number."),
        ],
    )
}

fn state(scope: &str, consumers: &BTreeMap<String, Option<String>>) -> Value {
    let names = consumers.iter().filter_map(|(o, n)| Some((o.clone(), Value::String(n.clone()?)))).collect();
    ObjectBuilder::new(&schema())
        .str("id", Some(scope))
        .str("scope", Some(scope))
        .strs("consumers", Some(consumers.keys().cloned()))
        .value("consumer_names", Value::Map(names))
        .build()
}

/// Approved consumers of a scope, with names, read fresh (no cache: this decides revocations).
async fn current(client: &ApiClient, scope: &str) -> Result<BTreeMap<String, Option<String>>, crate::api::ApiError> {
    let grants = client.list_accesses(scope, false).await?;
    Ok(grants
        .into_iter()
        .filter(|g| g.is_approved())
        .filter_map(|g| Some((g.consumer_orgno?, g.consumer_organization_name)))
        .collect())
}

impl ScopeConsumersResource {
    /// Grant what is missing, revoke what is extra, then read the set back.
    async fn converge(&self, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.api.client(diags)?;
        let scope = planned.opt_str("scope")?;
        let desired: BTreeSet<String> = planned.opt_strs("consumers").unwrap_or_default().into_iter().collect();
        let have = self.shared.api.ok(current(client, &scope).await, diags, &format!("list grants of {scope}"))?;
        for c in desired.iter().filter(|c| !have.contains_key(*c)) {
            if let Err(e) = client.grant_access(&scope, c).await {
                self.shared.api.report(
                    diags,
                    &e,
                    &format!("grant {scope} to {c}"),
                    Some(AttrPath::attr("consumers").key(c.clone())),
                );
            }
        }
        for c in have.keys().filter(|c| !desired.contains(*c)) {
            if let Err(e) = client.revoke_access(&scope, c).await {
                self.shared.api.report(diags, &e, &format!("revoke {scope} from {c}"), None);
            }
        }
        self.shared.reads.grants_changed(&scope);
        self.shared
            .api
            .ok(current(client, &scope).await, diags, &format!("read back grants of {scope}"))
            .map(|now| state(&scope, &now))
    }
}

#[async_trait]
impl Resource for ScopeConsumersResource {
    fn type_name(&self) -> &'static str {
        "maskinporten_scope_consumers"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn identity(&self) -> Option<Identity> {
        Some(Identity::new(&[("scope", "The scope name.")]))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Tri::Known(s) = config.tri_str("scope") {
            ScopeName::check(s, AttrPath::attr("scope"), diags);
        }
        if let Tri::Known(list) = config.tri_strs("consumers") {
            for o in list.into_iter().flatten() {
                orgno::check(&o, AttrPath::attr("consumers").key(o.clone()), self.shared.api.is_test_env(), diags);
            }
        }
    }

    async fn plan(&self, ctx: &mut PlanCtx<'_>) {
        let id = ctx.config.tri_str("scope").known().map_or_else(Value::unknown, |s| Value::String(s.to_string()));
        ctx.set("id", id);
    }

    async fn create(&self, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        self.converge(planned, diags).await
    }

    async fn read(&self, st: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.api.client(diags)?;
        let scope = st.opt_str("scope")?;
        self.shared.reads.prefetch_clients(client);
        match self.shared.reads.grants(client, &scope).await {
            Ok(grants) => {
                let now = grants
                    .iter()
                    .filter(|g| g.is_approved())
                    .filter_map(|g| Some((g.consumer_orgno.clone()?, g.consumer_organization_name.clone())))
                    .collect();
                Some(state(&scope, &now))
            }
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                self.shared.api.report(diags, &e, &format!("list grants of {scope}"), None);
                None
            }
        }
    }

    fn forget_cached(&self, st: &Value) {
        if let Some(scope) = st.opt_str("scope") {
            self.shared.reads.grants_changed(&scope);
        }
    }

    async fn update(&self, _prior: &Value, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        self.converge(planned, diags).await
    }

    async fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        let Some(client) = self.shared.api.client(diags) else { return };
        let Some(scope) = prior.opt_str("scope") else { return };
        for c in prior.opt_strs("consumers").unwrap_or_default() {
            match client.revoke_access(&scope, &c).await {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => self.shared.api.report(diags, &e, &format!("revoke {scope} from {c}"), None),
            }
        }
        self.shared.reads.grants_changed(&scope);
    }

    async fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        if let Err(why) = ScopeName::parse(id) {
            diags.error("Invalid import id", format!("Expected a scope name <prefix>:<subscope>: {why}."));
            return None;
        }
        Some(state(id, &BTreeMap::new()))
    }
}
