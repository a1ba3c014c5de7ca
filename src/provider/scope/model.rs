//! `maskinporten_scope` as Terraform state and as Digdir's API object: the schema, the body sent
//! for a planned state, and the state read back from an answer (shared with the data source).

use crate::api::Scope;
use crate::tfplugin::{Attribute, ObjectBuilder, Schema, Type, Value, ValueExt};

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
pub type FixedDefault = (&'static str, fn() -> Value);
pub const DEFAULTS: &[FixedDefault] = &[
    ("token_type", || Value::String("SELF_CONTAINED".into())),
    ("visibility", || Value::String("PUBLIC".into())),
    ("requires_user_consent", || Value::Bool(false)),
    ("requires_user_authentication", || Value::Bool(false)),
    ("requires_pseudonymous_tokens", || Value::Bool(false)),
    ("accessible_for_all", || Value::Bool(false)),
];

/// The scope body to send for a planned state. `active` is always sent: a PUT without it may
/// deactivate the scope (docs/development/digdir-api.md, "Scopes"; digdirator 8471dac).
pub fn to_api(v: &Value, base: Scope) -> Scope {
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
