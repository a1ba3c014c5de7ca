//! `maskinporten_client` as Terraform state and as Digdir's registration: the schema, the
//! registration sent for a planned state, and the state read back (shared with the data source).

use crate::api::Client;
use crate::tfplugin::{Attribute, ObjectBuilder, Schema, Type, Value, ValueExt};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

pub fn schema() -> Schema {
    let fixed = |n: &str, ty: Type, d: &str| Attribute::computed(n, ty).describe(d);
    Schema::new(
        "A Maskinporten client of your organisation (or, as a supplier, of a customer). Destroying it \
         deactivates it; Digdir never deletes clients. Keys are managed with `maskinporten_client_key`.",
        vec![
            Attribute::computed("id", Type::String).describe("The client_id; the import id."),
            Attribute::computed("client_id", Type::String).describe("The client id Digdir generated (API field `client_id`), used as `iss` in the client's token grants."),
            Attribute::required("client_name", Type::String).describe("Name of the client (API field `client_name`). Not unique at Digdir."),
            Attribute::required("description", Type::String).describe("What the client is for (API field `description`); visible to Digdir, not to citizens."),
            Attribute::required("scopes", Type::set(Type::String)).describe("Scopes the client may request (API field `scopes`); at least one. Each must be usable by the client's organisation: granted to it, accessible to all, or (for suppliers) from a delegation source. The plan warns about scopes that look unusable."),
            Attribute::optional_computed("client_orgno", Type::String).force_new().describe("Organisation the client belongs to (API field `client_orgno`). Defaults to your organisation; set it to a customer's organisation number to register the client as their supplier (needs the admin scope `idporten:dcr.supplier`). Changing it creates a new client."),
            Attribute::computed("supplier_orgno", Type::String).describe("Your organisation number when the client was registered for a customer (API field `supplier_orgno`), else null."),
            Attribute::optional_computed("access_token_lifetime", Type::Number).describe("Lifetime in seconds of access tokens issued to the client (API field `access_token_lifetime`); must be greater than 0. Default: Digdir's (120)."),
            Attribute::optional_computed("authorization_lifetime", Type::Number).describe("Authorization lifetime in seconds (API field `authorization_lifetime`); must be greater than 0. Default: Digdir's (7200)."),
            fixed("integration_type", Type::String, "Always `maskinporten` (API field `integration_type`)."),
            fixed("application_type", Type::String, "Always `web`, as Maskinporten clients are registered (API field `application_type`)."),
            fixed("token_endpoint_auth_method", Type::String, "Always `private_key_jwt`: Maskinporten accepts only keys and certificates (API field `token_endpoint_auth_method`)."),
            fixed("grant_types", Type::set(Type::String), "Always the JWT-bearer grant (API field `grant_types`)."),
            Attribute::computed("active", Type::Bool).describe("Whether the client is active. Reads false when it was deactivated outside Terraform; the next apply reactivates it in place, keeping its client_id."),
        ],
    )
}

/// The registration to send for a planned state; `base` (the current registration on update)
/// keeps fields this resource does not manage.
pub fn to_api(v: &Value, base: Client) -> Client {
    Client {
        client_name: v.opt_str("client_name"),
        description: v.opt_str("description"),
        scopes: Some(v.opt_strs("scopes").unwrap_or_default()),
        client_orgno: v.opt_str("client_orgno").or(base.client_orgno),
        supplier_orgno: base.supplier_orgno,
        access_token_lifetime: v.opt_i64("access_token_lifetime").or(base.access_token_lifetime),
        authorization_lifetime: v.opt_i64("authorization_lifetime").or(base.authorization_lifetime),
        integration_type: Some("maskinporten".into()),
        application_type: Some("web".into()),
        token_endpoint_auth_method: Some("private_key_jwt".into()),
        grant_types: Some(vec![JWT_BEARER.into()]),
        active: Some(true),
        ..base
    }
}

/// The state of a client as Digdir returns it (also used by the data sources).
pub fn state_of(c: Client) -> Value {
    ObjectBuilder::new(&schema())
        .str("id", c.client_id.clone())
        .str("client_id", c.client_id)
        .str("client_name", c.client_name)
        .str("description", c.description)
        .strs("scopes", Some(c.scopes.unwrap_or_default()))
        .str("client_orgno", c.client_orgno)
        .str("supplier_orgno", c.supplier_orgno.filter(|s| !s.is_empty()))
        .int("access_token_lifetime", c.access_token_lifetime)
        .int("authorization_lifetime", c.authorization_lifetime)
        .str("integration_type", c.integration_type)
        .str("application_type", c.application_type)
        .str("token_endpoint_auth_method", c.token_endpoint_auth_method)
        .strs("grant_types", c.grant_types)
        .bool("active", Some(c.active.unwrap_or(true)))
        .build()
}
