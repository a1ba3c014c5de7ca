//! The `provider "maskinporten" {}` block (ARCHITECTURE.md, "Rules every resource follows"):
//! environments with Digdir's real URLs, overrides for the simulator or a proxy, admin signing
//! material, and tuning knobs. Every attribute may also come from `MASKINPORTEN_<NAME>`;
//! configuration wins over environment. Nothing here is ever stored in state.

use crate::api::{ApiConfig, Signing};
use crate::tfplugin::{AttrPath, Attribute, Diagnostics, Schema, Tri, Type, Value, ValueExt};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::time::Duration;

/// Digdir's two environments (docs/development/digdir-api.md, "Environments and URLs").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Test,
    Prod,
}

impl Environment {
    pub fn name(self) -> &'static str {
        match self {
            Environment::Test => "test",
            Environment::Prod => "prod",
        }
    }
    fn api_url(self) -> &'static str {
        match self {
            Environment::Test => "https://api.test.samarbeid.digdir.no",
            Environment::Prod => "https://api.samarbeid.digdir.no",
        }
    }
    fn issuer(self) -> &'static str {
        match self {
            Environment::Test => "https://test.maskinporten.no/",
            Environment::Prod => "https://maskinporten.no/",
        }
    }
    /// The real host of the *other* environment, to catch test credentials aimed at prod.
    fn foreign_hosts(self) -> &'static [&'static str] {
        match self {
            Environment::Test => &["api.samarbeid.digdir.no", "maskinporten.no"],
            Environment::Prod => &["api.test.samarbeid.digdir.no", "test.maskinporten.no"],
        }
    }
}

pub fn schema() -> Schema {
    let s = |n: &str, d: &str| Attribute::optional(n, Type::String).describe(d);
    Schema::new(
        "Manage Maskinporten scopes, grants, clients and keys through Digdir's self-service API. \
         Every attribute can also be set with an environment variable `MASKINPORTEN_<NAME>` \
         (for example `MASKINPORTEN_CLIENT_ID`); configuration takes precedence.",
        vec![
            s("environment", "Digdir environment: `test` or `prod`. Selects the self-service API URL (`https://api.test.samarbeid.digdir.no` or `https://api.samarbeid.digdir.no`) and the Maskinporten issuer (`https://test.maskinporten.no/` or `https://maskinporten.no/`). Required; it also guards against test credentials used on production and back."),
            s("api_url", "Override of the self-service API base URL, e.g. for the simulator. `/api/v1` is appended when missing. Plain `http://` is accepted only for loopback addresses. Default: the environment's (`https://api.test.samarbeid.digdir.no` or `https://api.samarbeid.digdir.no`)."),
            s("issuer", "Override of the Maskinporten issuer (used as the `aud` of the signed grant). The token endpoint is the one `<issuer>/.well-known/oauth-authorization-server` names (usually `<issuer>token`, where the first grant goes while that metadata is read). Default: the environment's (`https://test.maskinporten.no/` or `https://maskinporten.no/`)."),
            s("client_id", "Client id of the organisation's administration client, issued by Digdir (servicedesk@digdir.no)."),
            s("certificate_chain_pem", "PEM certificate chain of the enterprise certificate (virksomhetssertifikat), leaf first. Sent as `x5c` in the signed grant. Use together with `private_key_pem`; leave unset to sign with `key_id` instead.").sensitive(),
            s("private_key_pem", "PEM private key (PKCS#8 or PKCS#1 RSA) that signs the JWT grant. Never stored in state or logged. Newlines may be written as `\\n`.").sensitive(),
            s("key_id", "Key id (`kid`) of a key registered on the administration client, used instead of a certificate chain. The key that signs comes from `private_key_pem` or `pkcs12_file`. Default: unset (the certificate chain is sent as `x5c`)."),
            s("pkcs12_file", "Path of the enterprise certificate (virksomhetssertifikat) as the PKCS#12 file (`.p12`/`.pfx`) Buypass or Commfides delivered: private key, certificate and CA chain in one password-protected file. Its key signs the grant and its certificate, followed by the intermediate CA certificates, is sent as `x5c`. Both the legacy protection (3DES/RC2) and AES are read. Use instead of `certificate_chain_pem` and `private_key_pem`; with `key_id` set, only the key is taken from the file. A relative path is read from the directory Terraform runs in."),
            s("pkcs12_password", "Password of `pkcs12_file`. Give it as `MASKINPORTEN_PKCS12_PASSWORD` from a secret store or a masked CI variable rather than in configuration. Never stored in state, logged or repeated in a message.").sensitive(),
            Attribute::optional("scopes", Type::set(Type::String)).describe("The admin scopes Digdir granted the administration client, to request exactly these. Unset, the provider asks Maskinporten, per operation, only for what that operation needs, and learns what was granted as it goes (at most one refused token request per provider process, for a plan-time check): the easy start while you do not yet know what Digdir granted. An API provider needs `idporten:scopes.write` to manage scopes and grants (`idporten:scopes.read` is enough for the data sources); a consumer needs `idporten:dcr.read` and `idporten:dcr.write` for clients and keys (`idporten:dcr.modify` also writes keys), plus `idporten:dcr.supplier` to register clients for customers. Set it, once you know, to skip the learning (recommended for pipelines): one token per provider process with exactly these scopes, nothing probed, and a refresh that manages both scopes and clients reads the client list beside the scope list, one round trip instead of two (a state without clients then pays that one list). An operation they do not cover fails at once and names the scope. With `MASKINPORTEN_SCOPES`, separate scopes by spaces. Digdir grants admin scopes on request to servicedesk@digdir.no. Default: unset (per operation, what it needs)."),
            s("request_timeout", "Timeout of one HTTP request, as a duration such as `30s` or `1m`, at most `10m`. Default `30s`."),
            Attribute::optional("max_retries", Type::Number).describe("How often a failed request that is safe to repeat (429, 5xx, network errors) is retried, from 0 to 20. Default 5."),
            Attribute::optional("max_concurrent_requests", Type::Number).describe("Upper bound on API requests in flight from one provider process, from 1 to 64; Digdir documents no rate limit, so this keeps large plans polite. Default 8."),
            s("ca_bundle_file", "Path of a PEM file with extra CA certificates to trust for Digdir's API and token endpoint, in addition to the system's (for a TLS-inspecting proxy, or a test server). `HTTPS_PROXY` and `NO_PROXY` are honoured from the environment. Default: unset (the system's trusted roots only)."),
            s("merchant_data_url", "**Experimental.** Base URL of a server implementing the merchant-data contract in this provider's `docs/merchant-data-api.md`. Digdir's public API has no such endpoint. Default: unset."),
        ],
    )
}

/// The configured provider, ready to build an [`ApiClient`](crate::api::ApiClient).
pub struct Settings {
    pub environment: Environment,
    pub api: ApiConfig,
    pub merchant_data_url: Option<url::Url>,
}

/// A config value, or its environment variable; `Unknown` only at validate time.
fn setting(config: &Value, name: &str) -> Tri<String> {
    match config.tri_str(name) {
        Tri::Known(s) => Tri::Known(s.to_string()),
        Tri::Unknown => Tri::Unknown,
        Tri::Null => {
            let var = format!("MASKINPORTEN_{}", name.to_ascii_uppercase());
            std::env::var(&var).ok().filter(|v| !v.is_empty()).map_or(Tri::Null, Tri::Known)
        }
    }
}

/// Environment files keep each variable on one line, so PEM newlines may arrive as `\n`.
fn unescape_pem(s: &str) -> String {
    s.replace("\\n", "\n")
}

/// A count from configuration or its variable, within `range` (see `limits`).
fn number(config: &Value, name: &str, default: i64, range: (i64, i64), diags: &mut Diagnostics) -> i64 {
    let v = match config.tri_i64(name) {
        Tri::Known(v) => Some(v),
        _ => setting(config, name).known().map(|s| s.trim().parse().unwrap_or(i64::MIN)),
    };
    v.map_or(Some(default), |v| super::limits::count(name, v, range, diags)).unwrap_or(default)
}

/// The environment named in config or MASKINPORTEN_ENVIRONMENT, when known.
pub fn environment_name(config: &Value) -> Option<String> {
    setting(config, "environment").known()
}

/// Static checks for `terraform validate`: only values known now, nothing from the network.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if let Tri::Known(e) = config.tri_str("environment")
        && e != "test"
        && e != "prod"
    {
        diags.attr_error(
            AttrPath::attr("environment"),
            "Invalid environment",
            format!("Expected \"test\" or \"prod\", got {e:?}."),
        );
    }
    if let Tri::Known(_) = config.tri_str("pkcs12_file") {
        for pem in ["certificate_chain_pem", "private_key_pem"] {
            if let Tri::Known(_) = config.tri_str(pem) {
                diags.attr_error(
                    AttrPath::attr("pkcs12_file"),
                    "Conflicting signing material",
                    format!("pkcs12_file and {pem} are both set. Give the enterprise certificate either as the PKCS#12 file or as PEM, not both."),
                );
                break;
            }
        }
    }
    if let Tri::Known(t) = config.tri_str("request_timeout") {
        super::limits::duration("request_timeout", t, super::limits::MAX_REQUEST_TIMEOUT, diags);
    }
    if let Tri::Known(n) = config.tri_i64("max_retries") {
        super::limits::count("max_retries", n, (0, super::limits::MAX_RETRIES), diags);
    }
    if let Tri::Known(n) = config.tri_i64("max_concurrent_requests") {
        super::limits::count("max_concurrent_requests", n, (1, super::limits::MAX_CONCURRENT_REQUESTS), diags);
    }
}

/// Resolve the full configuration. Errors point at the attribute (or name the variable).
pub fn resolve(config: &Value, terraform_version: &str, diags: &mut Diagnostics) -> Option<Settings> {
    let env = match setting(config, "environment").known().as_deref() {
        Some("test") => Environment::Test,
        Some("prod") => Environment::Prod,
        Some(other) => {
            diags.attr_error(
                AttrPath::attr("environment"),
                "Invalid environment",
                format!("Expected \"test\" or \"prod\", got {other:?}."),
            );
            return None;
        }
        None => {
            diags.attr_error(
                AttrPath::attr("environment"),
                "Missing environment",
                "Set environment = \"test\" or \"prod\" (or MASKINPORTEN_ENVIRONMENT). It selects Digdir's URLs and guards against using test credentials on production.",
            );
            return None;
        }
    };
    let api_url = setting(config, "api_url").known().unwrap_or_else(|| env.api_url().to_string());
    let issuer = setting(config, "issuer").known().unwrap_or_else(|| env.issuer().to_string());
    for (attr, url) in [("api_url", &api_url), ("issuer", &issuer)] {
        let host = url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
        if env.foreign_hosts().contains(&host.as_str()) {
            diags.attr_error(
                AttrPath::attr(attr),
                "URL of the other environment",
                format!("{attr} = {url:?} belongs to Digdir's other environment, but environment = {:?}. Credentials of one environment are not accepted in the other.", env.name()),
            );
        }
    }
    let api_url = match crate::api::ApiConfig::normalise_api_url(&api_url) {
        Ok(u) => u,
        Err(e) => {
            diags.attr_error(AttrPath::attr("api_url"), "Invalid api_url", e.to_string());
            return None;
        }
    };
    let Some(client_id) = setting(config, "client_id").known() else {
        diags.attr_error(
            AttrPath::attr("client_id"),
            "Missing client_id",
            "Set client_id (or MASKINPORTEN_CLIENT_ID) to the administration client's id that Digdir issued.",
        );
        return None;
    };
    let signing = signing(config, diags)?;
    let scopes: Option<Vec<String>> = match config.tri_strs("scopes") {
        Tri::Known(v) => Some(v.into_iter().flatten().collect()),
        _ => setting(config, "scopes").known().map(|s| s.split_whitespace().map(str::to_string).collect()),
    };
    if scopes.as_ref().is_some_and(Vec::is_empty) {
        diags.attr_error(
            AttrPath::attr("scopes"),
            "No admin scopes",
            "Leave scopes unset to request what each operation needs, or name the admin scopes Digdir granted the administration client.",
        );
    }
    let timeout = match setting(config, "request_timeout").known() {
        None => Duration::from_secs(30),
        Some(t) => super::limits::duration("request_timeout", &t, super::limits::MAX_REQUEST_TIMEOUT, diags)?,
    };
    let merchant_data_url = match setting(config, "merchant_data_url").known() {
        None => None,
        Some(u) => match crate::api::ApiConfig::normalise_api_url(&u) {
            Ok(u) => Some(u),
            Err(e) => {
                diags.attr_error(AttrPath::attr("merchant_data_url"), "Invalid merchant_data_url", e.to_string());
                None
            }
        },
    };
    let extra_roots_pem = match setting(config, "ca_bundle_file").known() {
        None => None,
        Some(path) => match std::fs::read(&path) {
            Ok(pem) if String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") => Some(pem),
            Ok(_) => {
                diags.attr_error(
                    AttrPath::attr("ca_bundle_file"),
                    "Unusable CA bundle",
                    format!("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)."),
                );
                None
            }
            Err(e) => {
                diags.attr_error(AttrPath::attr("ca_bundle_file"), "Unreadable CA bundle", format!("{path}: {e}"));
                None
            }
        },
    };
    let max_retries = number(config, "max_retries", 5, (0, super::limits::MAX_RETRIES), diags) as u32;
    let max_concurrent =
        number(config, "max_concurrent_requests", 8, (1, super::limits::MAX_CONCURRENT_REQUESTS), diags) as usize;
    if diags.has_errors() {
        return None;
    }
    let user_agent =
        format!("terraform-provider-maskinporten/{} (+terraform {terraform_version})", env!("CARGO_PKG_VERSION"));
    Some(Settings {
        environment: env,
        api: ApiConfig {
            api_url,
            issuer,
            token_endpoint: None,
            client_id,
            signing,
            scopes,
            request_timeout: timeout,
            max_retries,
            max_concurrent_requests: max_concurrent,
            user_agent,
            extra_roots_pem,
            retry_deadline: Duration::from_secs(120),
        },
        merchant_data_url,
    })
}

/// Where a setting came from, for messages: the attribute, or its environment variable.
fn origin(config: &Value, name: &str) -> String {
    match config.tri_str(name) {
        Tri::Null => format!("MASKINPORTEN_{}", name.to_ascii_uppercase()),
        _ => name.to_string(),
    }
}

/// The signing material: `pkcs12_file` (+ `pkcs12_password`), or `private_key_pem` with
/// `certificate_chain_pem`; `key_id` signs with `kid` instead of `x5c`, with either key source.
fn signing(config: &Value, diags: &mut Diagnostics) -> Option<Signing> {
    if let Some(path) = setting(config, "pkcs12_file").known() {
        return pkcs12_signing(config, &path, diags);
    }
    if let Tri::Known(_) = config.tri_str("pkcs12_password") {
        diags.attr_error(
            AttrPath::attr("pkcs12_password"),
            "pkcs12_password without pkcs12_file",
            "pkcs12_password opens the file named by pkcs12_file, which is not set. Set pkcs12_file (or MASKINPORTEN_PKCS12_FILE) too, or remove pkcs12_password.",
        );
        return None;
    }
    let Some(key_pem) = setting(config, "private_key_pem").known().map(|k| unescape_pem(&k)) else {
        diags.attr_error(AttrPath::attr("private_key_pem"), "Missing private_key_pem", "Set private_key_pem (or MASKINPORTEN_PRIVATE_KEY_PEM) to the PEM private key of the administration client's enterprise certificate, or pkcs12_file (or MASKINPORTEN_PKCS12_FILE) to the certificate's .p12 file.");
        return None;
    };
    if let Some(kid) = setting(config, "key_id").known() {
        return Some(Signing::Kid { kid, key_pem: key_pem.into() });
    }
    let Some(chain) = setting(config, "certificate_chain_pem").known().map(|c| unescape_pem(&c)) else {
        diags.attr_error(AttrPath::attr("certificate_chain_pem"), "Missing signing certificate", "Set certificate_chain_pem (the enterprise certificate chain, sent as x5c) or key_id (a key registered on the administration client).");
        return None;
    };
    let chain_der: Vec<Vec<u8>> =
        CertificateDer::pem_slice_iter(chain.as_bytes()).filter_map(Result::ok).map(|c| c.to_vec()).collect();
    if chain_der.is_empty() {
        diags.attr_error(
            AttrPath::attr("certificate_chain_pem"),
            "Invalid certificate chain",
            "No PEM certificate (-----BEGIN CERTIFICATE-----) was found.",
        );
        return None;
    }
    Some(Signing::X5c { chain_der, key_pem: key_pem.into() })
}

fn pkcs12_signing(config: &Value, path: &str, diags: &mut Diagnostics) -> Option<Signing> {
    let pem_attrs: Vec<&str> = ["certificate_chain_pem", "private_key_pem"]
        .into_iter()
        .filter(|a| setting(config, a).known().is_some())
        .collect();
    if !pem_attrs.is_empty() {
        // Point at whichever of them is written in the configuration.
        let at = std::iter::once("pkcs12_file")
            .chain(pem_attrs.iter().copied())
            .find(|a| matches!(config.tri_str(a), Tri::Known(_)))
            .unwrap_or("pkcs12_file");
        let others: Vec<String> = pem_attrs.iter().map(|a| origin(config, a)).collect();
        diags.attr_error(
            AttrPath::attr(at),
            "Conflicting signing material",
            format!(
                "{} and {} are both set. Give the enterprise certificate either as the PKCS#12 file or as PEM, not both: remove one from the provider block, or unset its environment variable.",
                origin(config, "pkcs12_file"),
                others.join(" and ")
            ),
        );
        return None;
    }
    let password = setting(config, "pkcs12_password").known().map(super::pkcs12::Password::new);
    let kid = setting(config, "key_id").known();
    let identity =
        super::pkcs12::read_file(path).and_then(|bytes| super::pkcs12::load(&bytes, password.as_ref(), kid.is_none()));
    match identity {
        Ok(id) => Some(match kid {
            Some(kid) => Signing::Kid { kid, key_pem: id.key_pem },
            None => Signing::X5c { chain_der: id.chain_der, key_pem: id.key_pem },
        }),
        Err(e) => {
            diags.attr_error(AttrPath::attr(e.attribute()), e.summary(), e.detail(path));
            None
        }
    }
}
