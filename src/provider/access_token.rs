//! Ephemeral resource `maskinporten_access_token`: a Maskinporten access token for one of your
//! clients, signed with the client's private key — which, like the token, exists only as an
//! ephemeral value and never reaches plan or state (Terraform ≥ 1.10). Maskinporten picks up
//! client and key changes 0–2 minutes late, so a token right after creating them is retried
//! until `propagation_timeout`.

use super::{Shared, orgno};
use crate::api::Signing;
use crate::api::client_token::ClientGrant;
use crate::tfplugin::{
    AttrPath, Attribute, Diagnostics, EphemeralResource, ObjectBuilder, Schema, Tri, Type, Value, ValueExt,
};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

pub struct AccessToken(pub Arc<Shared>);

fn schema() -> Schema {
    Schema::new(
        "A Maskinporten access token for one of your clients, for use in other providers' ephemeral contexts \
         (provider blocks, write-only arguments). Never stored in plan or state.",
        vec![
            Attribute::required("client_id", Type::String).describe("The client that asks for the token (`iss` of the grant)."),
            Attribute::required("kid", Type::String).describe("Key id of the client's registered key that signs the grant."),
            Attribute::required("private_key_pem", Type::String).sensitive().describe("The client's private key (PEM). Pass it from an ephemeral source, such as an ephemeral variable or a secret manager's ephemeral resource, so it never lands in a plan or state."),
            Attribute::required("scopes", Type::set(Type::String)).describe("Scopes to request; each must be registered on the client."),
            Attribute::optional("consumer_org", Type::String).describe("Organisation number to act for, when the consumer delegated access to you in Altinn (the `consumer_org` claim)."),
            Attribute::optional("propagation_timeout", Type::String).describe("How long to wait for Maskinporten to pick up a new client or key (it takes 0–2 minutes), as a duration of at most `30m`. Default `2m`."),
            Attribute::computed("access_token", Type::String).sensitive().describe("The access token."),
            Attribute::computed("expires_in", Type::Number).describe("Lifetime of the token in seconds."),
            Attribute::computed("scope", Type::String).describe("The scopes granted, space separated."),
        ],
    )
}

#[async_trait]
impl EphemeralResource for AccessToken {
    fn type_name(&self) -> &'static str {
        "maskinporten_access_token"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Tri::Known(o) = config.tri_str("consumer_org") {
            orgno::check(o, AttrPath::attr("consumer_org"), self.0.api.is_test_env(), diags);
        }
        if let Tri::Known(t) = config.tri_str("propagation_timeout") {
            super::limits::duration("propagation_timeout", t, super::limits::MAX_PROPAGATION_TIMEOUT, diags);
        }
        if let Tri::Known(k) = config.tri_str("private_key_pem")
            && !k.contains("PRIVATE KEY-----")
        {
            diags.attr_error(
                AttrPath::attr("private_key_pem"),
                "Not a private key",
                "Expected a PEM private key (-----BEGIN PRIVATE KEY----- or RSA PRIVATE KEY).",
            );
        }
    }

    async fn open(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let api = self.0.api.client(diags)?;
        let grant = ClientGrant {
            client_id: config.opt_str("client_id")?,
            signing: Signing::Kid {
                kid: config.opt_str("kid")?,
                key_pem: config.opt_str("private_key_pem")?.replace("\\n", "\n").into(),
            },
            scopes: config.opt_strs("scopes").unwrap_or_default(),
            consumer_org: config.opt_str("consumer_org"),
        };
        let wait = config
            .opt_str("propagation_timeout")
            .and_then(|t| humantime::parse_duration(&t).ok())
            .unwrap_or(Duration::from_secs(120))
            .min(super::limits::MAX_PROPAGATION_TIMEOUT);
        let what = format!("obtain an access token for client {}", grant.client_id);
        let t = self.0.api.ok(api.client_token(&grant, wait).await, diags, &what)?;
        Some(
            ObjectBuilder::new(&schema())
                .str("access_token", Some(t.access_token.expose()))
                .int("expires_in", Some(t.expires_in as i64))
                .str("scope", t.scope)
                .build(),
        )
    }
}
