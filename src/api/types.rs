//! Request and response bodies, named as the API names them (docs/development/digdir-api.md,
//! "Scopes" to "Keys"; the sections cited below by heading alone are headings of that page). Fields
//! the spec lacks but real responses carry (`description#en`, `protected`, …) are kept in `extra`,
//! so a GET → merge → PUT never drops them. Timestamps stay strings: their format varies
//! ("Quirks").

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A scope ("Scopes").
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Scope {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_integration_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_orgno: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_user_consent: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_user_authentication: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_pseudonymous_tokens: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delegation_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_max_age: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_max_lifetime: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accessible_for_all: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforced_aud_for_access_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// Fields the spec lacks, kept verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A client registration ("Clients"). Only fields a Maskinporten client uses are typed; the rest
/// are kept in `extra` and sent back unchanged on update.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Client {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_orgno: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier_orgno: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_lifetime: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_lifetime: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A public key registered on a client ("Keys").
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Jwk {
    pub kty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x5c: Option<Vec<String>>,
    /// Expiry, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
}

/// A key set.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Jwks {
    #[serde(default)]
    pub keys: Vec<Jwk>,
}

/// A prefix assigned to an organisation ("Organisations, prefixes and delegation sources").
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ScopePrefix {
    pub prefix: Option<String>,
    pub owner_orgno: Option<String>,
    pub organization_name: Option<String>,
    pub active: Option<bool>,
}

/// One consumer organisation's access to one scope ("Grants").
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ScopeAccess {
    pub scope: Option<String>,
    pub owner_orgno: Option<String>,
    pub owner_organization_name: Option<String>,
    pub consumer_orgno: Option<String>,
    pub consumer_organization_name: Option<String>,
    /// `REQUESTED`, `APPROVED` or `DENIED`.
    pub state: Option<String>,
    pub created: Option<String>,
    pub last_updated: Option<String>,
}

impl ScopeAccess {
    /// Only an approved grant gives access; REQUESTED and DENIED count as absent ("Grants").
    pub fn is_approved(&self) -> bool {
        self.state.as_deref() == Some("APPROVED")
    }
}

/// A delegation source such as Altinn ("Organisations, prefixes and delegation sources"). The spec
/// spells `lastUpdated`, the API `last_updated`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DelegationSource {
    pub name: Option<String>,
    pub issuer: Option<String>,
    pub created: Option<String>,
    #[serde(alias = "lastUpdated")]
    pub last_updated: Option<String>,
}

/// An organisation's name from the central register
/// ("Organisations, prefixes and delegation sources").
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Organization {
    pub orgnr: Option<String>,
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_catalogue_fixture_parses_and_keeps_unknown_fields() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/digdir/scopes-all-prod-excerpt.json");
        let text = std::fs::read_to_string(path).expect("the fixture is in the repository");
        let scopes: Vec<Scope> = serde_json::from_str(&text).expect("fixture parses");
        let s = &scopes[0];
        assert_eq!(s.name.as_deref(), Some("altinn:accessmanagement/authorizedparties.admin"));
        assert_eq!(s.at_max_age, Some(3600));
        assert!(s.extra.contains_key("protected") && s.extra.contains_key("supports_european_businesses"));
        let back = serde_json::to_value(s).unwrap();
        assert_eq!(back["protected"], false, "unknown fields survive a round trip");
    }
}
