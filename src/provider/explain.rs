//! What a 401, a 403 or a token-endpoint error means, and what to do about it (ARCHITECTURE.md,
//! "Rules every resource follows": least privilege). Digdir's own FAQ entry "I get 401 unauthorized
//! when I post a change via the API" has no answer (docs/development/digdir-api.md, "Quirks"); this
//! is ours. The client has already renewed the token and retried once before any of this is shown.

use crate::api::{ApiClient, ApiError};
use std::time::SystemTime;

/// Admin scopes an operation accepts, per Digdir's descriptions (docs/development/digdir-api.md,
/// "Admin scopes"): for explaining a 403.
fn required_scopes(method: &str, path: &str) -> (&'static [&'static str], &'static str) {
    let write = method != "GET";
    if path.starts_with("/clients") {
        if !write {
            (&["idporten:dcr.read"], "clients")
        } else if path.contains("/jwks") {
            (&["idporten:dcr.write", "idporten:dcr.modify"], "keys")
        } else {
            (&["idporten:dcr.write"], "clients")
        }
    } else if write {
        (&["idporten:scopes.write"], "scopes")
    } else {
        (&["idporten:scopes.read", "idporten:scopes.write"], "scopes")
    }
}

/// What each side of Maskinporten typically needs, for messages about missing admin scopes.
const WHO_NEEDS_WHAT: &str = "An API provider needs idporten:scopes.write for scopes and grants (idporten:scopes.read is enough to read them); an API consumer needs idporten:dcr.read and idporten:dcr.write for clients and keys.";

/// Why an operation could not get the admin scope it needs.
fn scope_not_granted(
    needed: &[String],
    refused: &[String],
    configured: &Option<Vec<String>>,
    probed: bool,
    client: Option<&ApiClient>,
) -> String {
    let untried: Vec<&str> = needed.iter().filter(|n| !refused.contains(n)).map(String::as_str).collect();
    let needed = needed.join(" or ");
    let client_id = client.map(|c| c.config().client_id.clone()).unwrap_or_default();
    match (configured, probed) {
        (Some(c), _) => format!(
            "The provider's scopes ({}) do not include {needed}, so it was not requested and nothing was sent. If Digdir granted it to the administration client, add it to scopes (or MASKINPORTEN_SCOPES); or leave scopes unset, and the provider asks for what each operation needs. {WHO_NEEDS_WHAT}",
            c.join(" ")
        ),
        (None, true) => format!(
            "Maskinporten refused a token with {needed} (MP-200 invalid_scope): Digdir has not granted it to the administration client {client_id}. Ask servicedesk@digdir.no to grant it to that client, in this environment. {WHO_NEEDS_WHAT}"
        ),
        (None, false) => {
            let refused = if refused.is_empty() { "another admin scope".to_string() } else { refused.join(" and ") };
            format!(
                "Maskinporten refused {refused} in this run (MP-200 invalid_scope), and a plan-time check does not ask for {} after a refusal. Digdir has probably not granted it to the administration client {client_id}; ask servicedesk@digdir.no if this check should run. {WHO_NEEDS_WHAT}",
                untried.join(" or ")
            )
        }
    }
}

fn origin(u: &str) -> String {
    url::Url::parse(u).map(|u| u.origin().ascii_serialization()).unwrap_or_default()
}

/// Digdir's API host and Maskinporten issuer host of each environment belong together.
fn paired(api: &str, issuer: &str) -> bool {
    let host = |u: &str| url::Url::parse(u).ok().and_then(|u| u.host_str().map(String::from)).unwrap_or_default();
    let (a, i) = (host(api), host(issuer));
    match (a.as_str(), i.as_str()) {
        ("api.test.samarbeid.digdir.no", "test.maskinporten.no") | ("api.samarbeid.digdir.no", "maskinporten.no") => {
            true
        }
        ("api.test.samarbeid.digdir.no" | "api.samarbeid.digdir.no", _)
        | (_, "test.maskinporten.no" | "maskinporten.no") => false,
        _ => origin(api) == origin(issuer),
    }
}

/// The explanation of an API error, or `None` when the error speaks for itself.
pub fn api(err: &ApiError, client: Option<&ApiClient>, supplier_request: bool) -> Option<String> {
    if let ApiError::ScopeNotGranted { needed, refused, configured, probed, .. } = err {
        return Some(scope_not_granted(needed, refused, configured, *probed, client));
    }
    if let ApiError::Transport { tls_refused: true, .. } = err {
        return Some("The server's TLS certificate was not accepted, so nothing was sent. Digdir's certificates chain to public roots; an untrusted one means something else answers: a TLS-inspecting proxy, or a test server. Name its CA in ca_bundle_file (MASKINPORTEN_CA_BUNDLE_FILE) if you trust it.".to_string());
    }
    let ApiError::Http { method, path, status, body, date, raw, .. } = err else { return None };
    let cfg = client.map(ApiClient::config);
    let api_url = cfg.map(|c| c.api_url.to_string()).unwrap_or_default();
    let issuer = cfg.map(|c| c.issuer.clone()).unwrap_or_default();
    match *status {
        300..=399 => Some(format!(
            "Digdir's API answered with a redirect ({}). The provider does not follow redirects on authenticated calls, because the Authorization header would be sent to another address. Set api_url to the final address (for example without a trailing path, or with https).",
            raw.clone().unwrap_or_default()
        )),
        401 => {
            if let Some(d) = date {
                let skew = d
                    .duration_since(SystemTime::now())
                    .or_else(|_| SystemTime::now().duration_since(*d))
                    .map(|s| s.as_secs())
                    .unwrap_or(0);
                if skew > 60 {
                    return Some(format!(
                        "The API's clock and this machine's clock differ by about {skew} seconds (from the response's Date header), so tokens look expired or not yet valid. Synchronise this machine's clock (NTP) and try again."
                    ));
                }
            }
            // A token from another issuer than the configured one cannot reach here: the token
            // endpoint comes from the configured issuer's metadata, which must name that issuer
            // (api/auth.rs, `metadata_token_endpoint`). What remains is an API of another
            // environment, told by its host.
            if !paired(&api_url, &issuer) {
                return Some(format!(
                    "The token comes from {issuer}, but the API at {api_url} belongs to another environment or installation, which does not accept it. Point issuer and api_url at the same environment (environment = \"test\" or \"prod\" sets both)."
                ));
            }
            Some("Digdir rejected the token even after a fresh one was obtained. Check that the administration client is still active, that the token's environment matches the API (environment, issuer, api_url), and that no proxy strips the Authorization header.".to_string())
        }
        403 => {
            let (needed, area) = required_scopes(method, path);
            let granted = client.and_then(ApiClient::granted_scope).unwrap_or_default();
            let has = |s: &str| granted.split_whitespace().any(|g| g == s);
            if supplier_request && !has("idporten:dcr.supplier") {
                return Some("Registering or changing a client for another organisation (client_orgno) needs the admin scope idporten:dcr.supplier. Ask servicedesk@digdir.no to grant it to the administration client, and add it to the provider's scopes.".to_string());
            }
            if !needed.iter().any(|n| has(n)) {
                let also = if area == "scopes" && method != "GET" {
                    " (Digdir's API page also names idporten:dcr.write for API administration; the spec says idporten:scopes.write)"
                } else {
                    ""
                };
                return Some(format!(
                    "This operation on {area} needs the admin scope {}{also}, but the token carried only: {}. If Digdir granted it to the administration client, the provider's scopes may leave it out (leave scopes unset to let the provider ask for it); otherwise ask servicedesk@digdir.no to grant it. {WHO_NEEDS_WHAT}",
                    needed.join(" or "),
                    if granted.is_empty() { "(none)" } else { granted.as_str() }
                ));
            }
            Some("The administration client has the right admin scopes, so the object belongs to another organisation — or to the other environment. Check the organisation number of your enterprise certificate and that the id or name is the one in this environment.".to_string())
        }
        404 if body.is_none() && raw.as_deref().is_none_or(|r| !r.contains("does not have any")) => Some(format!(
            "The address {api_url} answered 404 without Digdir's error body: it does not look like Digdir's self-service API. Check api_url (for example https://api.test.samarbeid.digdir.no)."
        )),
        _ => None,
    }
}

/// The explanation of a token-endpoint refusal (MP codes: docs/development/digdir-api.md,
/// "Token endpoint and the admin grant").
pub fn token(err: &ApiError) -> Option<String> {
    let ApiError::Token { error, mp_code, .. } = err else { return None };
    let text = match (error.as_str(), mp_code.as_deref()) {
        ("invalid_scope", _) => {
            "The administration client was not granted every admin scope in the provider's scopes (MP-200). Remove the ones Digdir did not grant, or leave scopes unset so that the provider asks for what each operation needs; ask servicedesk@digdir.no to grant missing ones."
        }
        (_, Some("MP-100")) => {
            "Maskinporten does not know this client_id in this environment. Check client_id and environment: test and production have separate administration clients. A client created in the last two minutes may not have reached Maskinporten yet."
        }
        (_, Some("MP-110")) => {
            "The grant's audience was refused: the issuer must be Maskinporten's issuer exactly, with its trailing slash (https://test.maskinporten.no/ or https://maskinporten.no/)."
        }
        (_, Some("MP-120")) => {
            "Maskinporten did not accept the certificate: it must be a valid enterprise certificate (virksomhetssertifikat) with its chain. Test certificates work only in TEST, production certificates only in PROD."
        }
        (_, Some("MP-121")) => {
            "The key or certificate has expired. Renew it (re-post the key, or use the renewed enterprise certificate)."
        }
        (_, Some("MP-122")) => {
            "The certificate belongs to another organisation than the client: the organisation number in the enterprise certificate must be the client's (client_orgno)."
        }
        (_, Some("MP-123")) => {
            "The x5c header was refused: it must be a JSON array of standard-base64 DER certificates, leaf first. Check certificate_chain_pem."
        }
        (_, Some("MP-124")) => {
            "The certificate does not fit the environment: test certificates work only in TEST and production certificates only in PROD."
        }
        (_, Some("MP-130")) => {
            "The grant had expired when Maskinporten received it: this machine's clock is probably wrong. Synchronise it (NTP)."
        }
        (_, Some("MP-012")) => "Maskinporten saw this grant before (replay). This should not happen; try again.",
        _ => return None,
    };
    Some(text.to_string())
}

#[cfg(test)]
mod tests {
    //! Every row of docs/guides/troubleshooting-401-403.md that the provider says itself: a row
    //! whose explanation is lost fails here.
    use super::*;

    fn token_error(error: &str, code: Option<&str>) -> ApiError {
        let mp_code = code.map(String::from);
        ApiError::Token { status: 400, error: error.into(), description: "Maskinporten's own words".into(), mp_code }
    }

    fn http(method: &str, path: &str, status: u16) -> ApiError {
        ApiError::http_for_test(method, path, status, None, Some("{}"))
    }

    #[test]
    fn every_token_error_code_of_the_guide_is_explained() {
        let rows = [
            ("invalid_scope", None, "MP-200"),
            ("invalid_grant", Some("MP-100"), "does not know this client_id"),
            ("invalid_grant", Some("MP-110"), "trailing slash"),
            ("invalid_grant", Some("MP-120"), "enterprise certificate"),
            ("invalid_grant", Some("MP-121"), "has expired"),
            ("invalid_grant", Some("MP-122"), "another organisation than the client"),
            ("invalid_grant", Some("MP-123"), "x5c header was refused"),
            ("invalid_grant", Some("MP-124"), "does not fit the environment"),
            ("invalid_grant", Some("MP-130"), "clock is probably wrong"),
            ("invalid_grant", Some("MP-012"), "replay"),
        ];
        for (error, code, needle) in rows {
            let text = token(&token_error(error, code)).unwrap_or_else(|| panic!("{code:?} is not explained"));
            assert!(text.contains(needle), "{code:?}: {text}");
        }
    }

    #[test]
    fn an_unknown_token_error_is_left_to_maskinporten_s_own_words() {
        assert_eq!(token(&token_error("invalid_grant", Some("MP-999"))), None);
        assert_eq!(token(&token_error("server_error", None)), None);
    }

    #[test]
    fn a_401_without_a_known_cause_gets_the_generic_advice() {
        let text = api(&http("GET", "/scopes", 401), None, false).expect("explained");
        assert!(text.starts_with("Digdir rejected the token even after a fresh one was obtained"), "{text}");
    }

    #[test]
    fn a_403_names_the_missing_admin_scope_or_dcr_supplier() {
        // Without a client nothing is known to be granted, so the scope row comes first ...
        let text = api(&http("PUT", "/scopes", 403), None, false).expect("explained");
        assert!(text.contains("needs the admin scope idporten:scopes.write") && text.contains("(none)"), "{text}");
        // ... and a supplier request names dcr.supplier.
        let text = api(&http("POST", "/clients", 403), None, true).expect("explained");
        assert!(text.contains("idporten:dcr.supplier"), "{text}");
    }

    #[test]
    fn the_api_of_another_environment_is_named_by_its_host() {
        assert!(paired("https://api.test.samarbeid.digdir.no/api/v1", "https://test.maskinporten.no/"));
        assert!(paired("https://api.samarbeid.digdir.no", "https://maskinporten.no/"));
        assert!(!paired("https://api.samarbeid.digdir.no", "https://test.maskinporten.no/"));
        assert!(!paired("https://api.test.samarbeid.digdir.no", "https://maskinporten.no/"));
        assert!(paired("http://127.0.0.1:4000", "http://127.0.0.1:4000/"), "a simulator serves both");
    }
}
