//! `maskinporten_scope_access`: one consumer organisation's access to one of our scopes
//! (docs/development/digdir-api.md, "Grants", `PUT/DELETE /scopes/access/{orgno}?scope=`). Only an
//! APPROVED grant counts; REQUESTED and DENIED read as absent, so a grant revoked outside Terraform
//! is planned again. Reads of many grants on one scope share one list call.

use super::scope_name::ScopeName;
use super::{Shared, orgno};
use crate::tfplugin::{
    AttrPath, Attribute, Diagnostics, Identity, ObjectBuilder, PlanCtx, Resource, Schema, Tri, Type, Value, ValueExt,
};
use async_trait::async_trait;
use std::sync::Arc;

pub struct ScopeAccessResource {
    shared: Arc<Shared>,
}

impl ScopeAccessResource {
    pub fn new(shared: Arc<Shared>) -> Arc<Self> {
        Arc::new(ScopeAccessResource { shared })
    }
}

fn schema() -> Schema {
    Schema::new(
        "Grants one consumer organisation access to one of your scopes. Destroying it revokes the grant. \
         Do not combine with `maskinporten_scope_consumers` on the same scope.",
        vec![
            Attribute::computed("id", Type::String).describe("`<scope>,<consumer_orgno>`; the import id."),
            Attribute::required("scope", Type::String).force_new().describe("Full name of a scope your organisation owns, e.g. `demo:orders.read`. Changing it replaces the grant."),
            Attribute::required("consumer_orgno", Type::String).force_new().describe("Organisation number (nine digits) of the consumer that gets access (API path segment `{consumer_orgno}`). Changing it replaces the grant."),
            Attribute::computed("consumer_organization_name", Type::String).describe("The consumer's name from the central register (API field `consumer_organization_name`), shown at plan time so a plan says who gets access."),
        ],
    )
}

fn state(scope: &str, consumer: &str, name: Option<String>) -> Value {
    ObjectBuilder::new(&schema())
        .str("id", Some(format!("{scope},{consumer}")))
        .str("scope", Some(scope))
        .str("consumer_orgno", Some(consumer))
        .str("consumer_organization_name", name)
        .build()
}

#[async_trait]
impl Resource for ScopeAccessResource {
    fn type_name(&self) -> &'static str {
        "maskinporten_scope_access"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn identity(&self) -> Option<Identity> {
        Some(Identity::new(&[("scope", "The scope name."), ("consumer_orgno", "The consumer's organisation number.")]))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Tri::Known(s) = config.tri_str("scope") {
            ScopeName::check(s, AttrPath::attr("scope"), diags);
        }
        if let Tri::Known(o) = config.tri_str("consumer_orgno") {
            orgno::check(o, AttrPath::attr("consumer_orgno"), self.shared.api.is_test_env(), diags);
        }
    }

    async fn plan(&self, ctx: &mut PlanCtx<'_>) {
        let (scope, consumer) = (
            ctx.config.tri_str("scope").known().map(str::to_string),
            ctx.config.tri_str("consumer_orgno").known().map(str::to_string),
        );
        ctx.set(
            "id",
            match (&scope, &consumer) {
                (Some(s), Some(c)) => Value::String(format!("{s},{c}")),
                _ => Value::unknown(),
            },
        );
        if !ctx.is_create() {
            return;
        }
        // Known inputs only: the consumer's name, so the plan shows who gets access. Terraform
        // plans a create twice (at plan, and again at apply once upstream values are known) in
        // different provider processes, and a name known the first time must be known the second.
        // A lookup that fails after its retries leaves the name unknown, and says so: if the
        // earlier plan had the name, Terraform stops this grant with "inconsistent final plan".
        let Some(c) = consumer.filter(|c| orgno::mod11_valid(c) || self.shared.api.is_test_env()) else { return };
        let Some(client) = self.shared.api.client_for_plan() else { return };
        match self.shared.reads.organization_name(&client, &c).await {
            Ok(Some(name)) => ctx.set("consumer_organization_name", Value::String(name)),
            Ok(None) => {}
            Err(e) => self.shared.api.warn(
                &mut ctx.diags,
                &e,
                &format!("look up the name of organisation {c}"),
                "consumer_organization_name is known only after apply. If this apply stops with \"Provider produced \
                 inconsistent final plan\" for consumer_organization_name, the name was known when the plan was made and \
                 its lookup failed when Terraform made the plan again: nothing was granted, and applying again is safe.",
            ),
        }
    }

    async fn create(&self, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.api.client(diags)?;
        let (scope, consumer) = (planned.opt_str("scope")?, planned.opt_str("consumer_orgno")?);
        let result = client.grant_access(&scope, &consumer).await;
        self.shared.reads.grants_changed(&scope);
        match result {
            Ok(g) if g.is_approved() => {
                let name = planned.opt_str("consumer_organization_name").or(g.consumer_organization_name);
                Some(state(&scope, &consumer, name))
            }
            Ok(g) => {
                diags.error(
                    format!("Grant of {scope} to {consumer} is not approved"),
                    format!(
                        "Digdir answered with state {:?} instead of APPROVED. Check the grant in Samarbeidsportalen.",
                        g.state.unwrap_or_default()
                    ),
                );
                None
            }
            Err(e) => {
                self.shared.api.report(diags, &e, &format!("grant {scope} to {consumer}"), None);
                None
            }
        }
    }

    async fn read(&self, st: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.api.client(diags)?;
        let (scope, consumer) = (st.opt_str("scope")?, st.opt_str("consumer_orgno")?);
        self.shared.reads.prefetch_clients(client);
        match self.shared.reads.grants(client, &scope).await {
            Ok(grants) => grants
                .iter()
                .find(|g| g.consumer_orgno.as_deref() == Some(consumer.as_str()) && g.is_approved())
                .map(|g| {
                    let name = g.consumer_organization_name.clone();
                    state(&scope, &consumer, name.or(st.opt_str("consumer_organization_name")))
                }),
            // The scope is gone or not ours any more: so is the grant.
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

    async fn update(
        &self,
        _prior: &Value,
        planned: &Value,
        _config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        // Every argument forces replacement; nothing updates in place.
        Some(planned.clone())
    }

    async fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        let Some(client) = self.shared.api.client(diags) else { return };
        let (Some(scope), Some(consumer)) = (prior.opt_str("scope"), prior.opt_str("consumer_orgno")) else { return };
        let result = client.revoke_access(&scope, &consumer).await;
        self.shared.reads.grants_changed(&scope);
        match result {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => self.shared.api.report(diags, &e, &format!("revoke {scope} from {consumer}"), None),
        }
    }

    async fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        // Scope names may contain commas in theory; orgnos never do: split at the last comma.
        let Some((scope, consumer)) = id.rsplit_once(',').filter(|(s, c)| !s.is_empty() && c.len() == 9) else {
            diags.error(
                "Invalid import id",
                format!("Expected <scope>,<consumer_orgno>, e.g. demo:orders.read,889640782; got {id:?}."),
            );
            return None;
        };
        Some(state(scope, consumer, None))
    }
}
