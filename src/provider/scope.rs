//! `maskinporten_scope`: a scope `prefix:subscope` that the organisation offers as an API provider
//! (docs/development/digdir-api.md, "Scopes"). Destroy deactivates (Digdir never deletes); a scope
//! deactivated out of band plans `active` false → true and is reactivated in place; creating a
//! scope that exists deactivated reactivates it, but only when no grant the configuration does not
//! manage would come back with it (ARCHITECTURE.md, "Rules every resource follows").

use super::Shared;
use super::scope_rules as rules;
use crate::api::{ApiClient, ApiError, Scope};
use crate::tfplugin::{
    AttrPath, Attribute, Diagnostics, Identity, ObjectBuilder, PlanCtx, Resource, Schema, Tri, Type, Value, ValueExt,
};
use async_trait::async_trait;
use std::sync::Arc;

pub struct ScopeResource {
    shared: Arc<Shared>,
}

impl ScopeResource {
    pub fn new(shared: Arc<Shared>) -> Arc<Self> {
        Arc::new(ScopeResource { shared })
    }
}

/// After a create whose answer was lost: the scope as Digdir shows it, asked again for a while
/// if it reads as absent (the read side may lag behind the write).
async fn find_after_lost_create(client: &ApiClient, name: &str) -> Result<Option<Scope>, ApiError> {
    super::reads::settle(|| client.get_scope(name), Option::is_none).await
}

pub fn schema() -> Schema {
    let opt_str = |n: &str, d: &str| Attribute::optional(n, Type::String).describe(d);
    let defaulted = |n: &str, ty: Type, d: &str| Attribute::optional_computed(n, ty).describe(d);
    Schema::new(
        "A Maskinporten scope that your organisation offers to API consumers, named `<prefix>:<subscope>`. \
         Destroying it deactivates it (Digdir never deletes scopes); grants to consumers are kept by Digdir.",
        vec![
            Attribute::computed("id", Type::String).describe("The scope name, `<prefix>:<subscope>`; the import id."),
            Attribute::required("prefix", Type::String).force_new().describe("Scope prefix assigned to your organisation by Digdir (API field `prefix`). Checked against your prefixes at plan time. Changing it creates a new scope."),
            Attribute::required("subscope", Type::String).force_new().describe("The part after the colon (API field `subscope`), e.g. `orders.read` or `orders/v1/read`: lowercase letters, digits and `/ . : - _`. Changing it creates a new scope."),
            Attribute::computed("name", Type::String).describe("Full scope name `<prefix>:<subscope>` (API field `name`), known at plan time."),
            Attribute::required("description", Type::String).describe("Description shown to consumers and in consent dialogues (API field `description`)."),
            opt_str("long_description", "Longer description in basic Markdown (API field `long_description`)."),
            Attribute::optional("allowed_integration_types", Type::set(Type::String)).describe("Integration types that may use the scope (API field `allowed_integration_types`): `maskinporten`, `api_klient`, `ansattporten`, `idporten`, `idporten_saml2`, `krr`, `eformidling`. Unset or empty means any type. Maskinporten clients need `maskinporten` when the set is not empty."),
            defaulted("token_type", Type::String, "Access token type (API field `token_type`): `SELF_CONTAINED` (a JWT) or `OPAQUE`. Default `SELF_CONTAINED`."),
            defaulted("visibility", Type::String, "`PUBLIC` (listed in Digdir's public scope catalogue) or `PRIVATE` (visible to you and granted consumers only). API field `visibility`. Default `PUBLIC`."),
            defaulted("requires_user_consent", Type::Bool, "Whether end users must consent (API field `requires_user_consent`). Default false."),
            defaulted("requires_user_authentication", Type::Bool, "Whether tokens require an authenticated end user (API field `requires_user_authentication`). Default false."),
            defaulted("requires_pseudonymous_tokens", Type::Bool, "Whether tokens carry a pseudonym instead of the user's identity (API field `requires_pseudonymous_tokens`). Default false."),
            defaulted("accessible_for_all", Type::Bool, "Whether any organisation may use the scope without a grant (API field `accessible_for_all`). Default false."),
            opt_str("delegation_source", "Issuer URL of a delegation source, e.g. `https://www.altinn.no/` (prod) or `https://tt02.altinn.no/` (test), letting consumers delegate access to suppliers (API field `delegation_source`)."),
            defaulted("at_max_age", Type::Number, "Maximum access-token lifetime in seconds for tokens with this scope (API field `at_max_age`); 0 means Digdir's default. Default: Digdir's value."),
            defaulted("authorization_max_lifetime", Type::Number, "Maximum authorization lifetime in seconds (API field `authorization_max_lifetime`); 0 means Digdir's default. Default: Digdir's value."),
            opt_str("enforced_aud_for_access_token", "Audience that access tokens with this scope must carry (API field `enforced_aud_for_access_token`)."),
            Attribute::computed("owner_orgno", Type::String).describe("Organisation number of the owner (API field `owner_orgno`), taken from the admin token."),
            Attribute::computed("active", Type::Bool).describe("Whether the scope is active. Always true after apply; reads false when the scope was deactivated outside Terraform, and the next apply reactivates it in place."),
        ],
    )
}

/// Attributes that default to a fixed value when left out of configuration.
type FixedDefault = (&'static str, fn() -> Value);
const DEFAULTS: &[FixedDefault] = &[
    ("token_type", || Value::String("SELF_CONTAINED".into())),
    ("visibility", || Value::String("PUBLIC".into())),
    ("requires_user_consent", || Value::Bool(false)),
    ("requires_user_authentication", || Value::Bool(false)),
    ("requires_pseudonymous_tokens", || Value::Bool(false)),
    ("accessible_for_all", || Value::Bool(false)),
];

/// The scope body to send for a planned state. `active` is always sent: a PUT without it may
/// deactivate the scope (docs/development/digdir-api.md, "Scopes"; digdirator 8471dac).
fn to_api(v: &Value, base: Scope) -> Scope {
    Scope {
        prefix: v.opt_str("prefix"),
        subscope: v.opt_str("subscope"),
        description: v.opt_str("description"),
        long_description: v.opt_str("long_description"),
        allowed_integration_types: Some(v.opt_strs("allowed_integration_types").unwrap_or_default()),
        token_type: v.opt_str("token_type"),
        visibility: v.opt_str("visibility"),
        requires_user_consent: v.opt_bool("requires_user_consent"),
        requires_user_authentication: v.opt_bool("requires_user_authentication"),
        requires_pseudonymous_tokens: v.opt_bool("requires_pseudonymous_tokens"),
        accessible_for_all: v.opt_bool("accessible_for_all"),
        delegation_source: v.opt_str("delegation_source"),
        at_max_age: v.opt_i64("at_max_age").or(base.at_max_age),
        authorization_max_lifetime: v.opt_i64("authorization_max_lifetime").or(base.authorization_max_lifetime),
        enforced_aud_for_access_token: v.opt_str("enforced_aud_for_access_token"),
        active: Some(true),
        ..base
    }
}

/// Empty strings from the API read as unset, so an omitted attribute plans clean.
fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// The state of a scope as the API returns it (also used by the data source).
pub fn state_of(s: Scope) -> Value {
    let name = s.name.clone().or_else(|| Some(format!("{}:{}", s.prefix.clone()?, s.subscope.clone()?)));
    ObjectBuilder::new(&schema())
        .str("id", name.clone())
        .str("name", name)
        .str("prefix", s.prefix)
        .str("subscope", s.subscope)
        .str("description", s.description)
        .str("long_description", non_empty(s.long_description))
        .strs("allowed_integration_types", s.allowed_integration_types.filter(|v| !v.is_empty()))
        .str("token_type", s.token_type.or(Some("SELF_CONTAINED".into())))
        .str("visibility", s.visibility.or(Some("PUBLIC".into())))
        .bool("requires_user_consent", Some(s.requires_user_consent.unwrap_or(false)))
        .bool("requires_user_authentication", Some(s.requires_user_authentication.unwrap_or(false)))
        .bool("requires_pseudonymous_tokens", Some(s.requires_pseudonymous_tokens.unwrap_or(false)))
        .bool("accessible_for_all", Some(s.accessible_for_all.unwrap_or(false)))
        .str("delegation_source", non_empty(s.delegation_source))
        .int("at_max_age", Some(s.at_max_age.unwrap_or(0)))
        .int("authorization_max_lifetime", Some(s.authorization_max_lifetime.unwrap_or(0)))
        .str("enforced_aud_for_access_token", non_empty(s.enforced_aud_for_access_token))
        .str("owner_orgno", s.owner_orgno)
        .bool("active", Some(s.active.unwrap_or(true)))
        .build()
}

#[async_trait]
impl Resource for ScopeResource {
    fn type_name(&self) -> &'static str {
        "maskinporten_scope"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn identity(&self) -> Option<Identity> {
        Some(Identity::new(&[("name", "The scope name, <prefix>:<subscope>.")]))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        rules::validate(config, diags);
    }

    async fn plan(&self, ctx: &mut PlanCtx<'_>) {
        let name = match (ctx.config.tri_str("prefix"), ctx.config.tri_str("subscope")) {
            (Tri::Known(p), Tri::Known(s)) => Some(format!("{p}:{s}")),
            _ => None,
        };
        let name_value = name.clone().map_or_else(Value::unknown, Value::String);
        ctx.set("id", name_value.clone());
        ctx.set("name", name_value);
        ctx.set("active", Value::Bool(true));
        for (attr, default) in DEFAULTS {
            if ctx.config.attr(attr).is_null() {
                ctx.set(attr, default());
            }
        }
        if ctx.is_create()
            && let Some(client) = self.shared.client_for_plan()
        {
            rules::plan_checks(&self.shared, &client, ctx, name.as_deref()).await;
        }
    }

    /// POST the scope. A lost answer is reconciled by reading the scope by its unique name; when
    /// it stays absent for the reconcile window the POST is sent again (at most
    /// [`super::CREATE_ATTEMPTS`] in all), and a 409 to such a repeat is the earlier attempt
    /// landing late: adopted when it is what we sent.
    async fn create(&self, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.client(diags)?;
        let name = planned.opt_str("name")?;
        let ours = |s: &Scope| s.active != Some(false) && s.description == planned.opt_str("description");
        let mut attempt = 1;
        loop {
            let created = client.create_scope(&to_api(planned, Scope::default())).await;
            self.shared.scopes_changed();
            let e = match created {
                Ok(s) => return Some(state_of(s)),
                Err(e) => e,
            };
            if e.status() == Some(409) {
                if attempt > 1
                    && let Ok(Some(s)) = find_after_lost_create(client, &name).await
                    && ours(&s)
                {
                    return Some(state_of(s));
                }
                return rules::reactivate(&self.shared, client, &name, planned, to_api, diags).await.map(state_of);
            }
            if !e.may_have_committed() {
                self.shared.push_api(diags, &e, &format!("create scope {name}"), Some(AttrPath::attr("subscope")));
                return None;
            }
            // The answer was lost: the scope may exist. Its name is unique and was free at plan
            // time, so one that now exists with this description is ours; one that is still
            // deactivated means the lost answer was the 409 of a re-create, handled as above.
            let what = match find_after_lost_create(client, &name).await {
                Ok(Some(s)) if s.active == Some(false) => {
                    return rules::reactivate(&self.shared, client, &name, planned, to_api, diags).await.map(state_of);
                }
                Ok(Some(s)) if ours(&s) => return Some(state_of(s)),
                Ok(None) if attempt < super::CREATE_ATTEMPTS && !client.is_stopped() => {
                    tracing::warn!(scope = %name, attempt, error = %e, "the create made no scope; sending it again");
                    attempt += 1;
                    continue;
                }
                Ok(None) => {
                    format!(
                        "create scope {name} (and it does not exist, after {attempt} attempts: applying again is safe)"
                    )
                }
                Ok(Some(_)) => format!(
                    "create scope {name} (it exists now, with another description: if it is yours, import it with `terraform import <address> {name}`)"
                ),
                Err(read) => format!(
                    "create scope {name} (and whether it was created could not be read: {read}; `terraform plan` will show it)"
                ),
            };
            self.shared.push_api(diags, &e, &what, None);
            return None;
        }
    }

    async fn read(&self, state: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.client(diags)?;
        let name = state.opt_str("name")?;
        // Grants refresh after their scope: start this scope's grant list now, beside the scope
        // list and the other scopes' grant lists, rather than one list per wave of Terraform's
        // reads. A scope found gone or deactivated wastes that one list; a failed list is not
        // kept, so the grant reads ask again.
        if state.opt_bool("active") != Some(false) {
            self.shared.prefetch_grants(client, &name);
        }
        match self.shared.scope(client, &name).await {
            Ok(s) => s.map(state_of),
            Err(e) => {
                self.shared.push_api(diags, &e, &format!("read scope {name}"), None);
                None
            }
        }
    }

    fn forget_cached(&self, _state: &Value) {
        self.shared.scopes_changed();
    }

    async fn update(&self, _prior: &Value, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = self.shared.client(diags)?;
        let name = planned.opt_str("name")?;
        let planned = planned.clone();
        let sent = planned.clone();
        let updated = client.merge_update_scope(&name, move |s| *s = to_api(&planned, std::mem::take(s))).await;
        self.shared.scopes_changed();
        match updated {
            Ok(s) => {
                let state = state_of(s);
                rules::check_cleared(&sent, &state, diags);
                Some(state)
            }
            Err(e) => {
                self.shared.push_api(diags, &e, &format!("update scope {name}"), None);
                None
            }
        }
    }

    async fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        let Some(client) = self.shared.client(diags) else { return };
        let Some(name) = prior.opt_str("name") else { return };
        let deactivated = client.deactivate_scope(&name).await;
        self.shared.scopes_changed();
        match deactivated {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => self.shared.push_api(diags, &e, &format!("deactivate scope {name}"), None),
        }
    }

    async fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        let Some((prefix, subscope)) = id.split_once(':').filter(|(p, s)| !p.is_empty() && !s.is_empty()) else {
            diags.error(
                "Invalid import id",
                format!("Expected a scope name <prefix>:<subscope>, e.g. demo:orders.read; got {id:?}."),
            );
            return None;
        };
        Some(
            ObjectBuilder::new(&schema())
                .str("id", Some(id))
                .str("name", Some(id))
                .str("prefix", Some(prefix))
                .str("subscope", Some(subscope))
                .build(),
        )
    }
}
