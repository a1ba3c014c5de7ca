//! The fuzzers' seeds come from here (issue 8): real answers of the simulator for every endpoint
//! the provider reads, Digdir's stored live response, and DynamicValues of every schema the
//! provider serves. Each seed is also checked the way the provider will use it — an answer
//! parses into the API type we read it as, a value decodes and re-encodes to the same bytes — so
//! this is a test of its own and runs with the suite. `cargo xtask fuzz` runs it with
//! `FUZZ_SEEDS_DIR` set and hands the directory to cargo-fuzz.

use maskinporten_sim::{SimConfig, Simulator};
use serde::de::DeserializeOwned;
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use terraform_provider_maskinporten::api::contacts::Contact;
use terraform_provider_maskinporten::api::types::*;
use terraform_provider_maskinporten::provider::MaskinportenProvider;
use terraform_provider_maskinporten::tfplugin::value::{Number, decode_msgpack, encode_json, encode_msgpack};
use terraform_provider_maskinporten::tfplugin::{Provider, Type, Value};

// The fuzz targets themselves, built here on stable Rust (their libFuzzer entry point exists only
// under cargo-fuzz's `--cfg fuzzing`).
#[path = "../fuzz/fuzz_targets/api_response.rs"]
mod api_response;
#[path = "../fuzz/fuzz_targets/dynamic_value.rs"]
mod dynamic_value;
#[path = "../fuzz/fuzz_targets/key_material.rs"]
mod key_material;
#[path = "common/mutate.rs"]
mod mutate;
#[path = "../fuzz/fuzz_targets/pkcs12.rs"]
mod pkcs12;
use mutate::Rng;

const PROVIDER_ORG: &str = "991825827";
const CONSUMER_ORG: &str = "889640782";

struct Seeds {
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    written: usize,
}

impl Seeds {
    fn new(target: &str) -> Seeds {
        let (root, tmp) = match std::env::var_os("FUZZ_SEEDS_DIR") {
            Some(d) => (PathBuf::from(d), None),
            None => {
                let t = tempfile::tempdir().unwrap();
                (t.path().to_path_buf(), Some(t))
            }
        };
        let dir = root.join(target);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Seeds { dir, _tmp: tmp, written: 0 }
    }

    fn write(&mut self, name: &str, bytes: &[u8]) {
        self.written += 1;
        std::fs::write(self.dir.join(format!("{:03}-{name}", self.written)), bytes).unwrap();
    }

    /// A short fuzz run of `target` on stable Rust: every seed written, then `mutations`
    /// deterministic mutations of each (a byte flipped, replaced, inserted or removed, the input
    /// cut or a slice repeated). An input that panics fails the test and is shown. The long,
    /// coverage-guided runs are `cargo xtask fuzz`'s.
    fn short_run(&self, target: fn(&[u8]), mutations: usize) {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&self.dir).unwrap().map(|e| e.unwrap().path()).collect();
        paths.sort();
        assert!(!paths.is_empty(), "seeds to start from");
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut runs = 0;
        for path in paths {
            let seed = std::fs::read(&path).unwrap();
            for i in 0..=mutations {
                let input = if i == 0 { seed.clone() } else { rng.mutate(&seed) };
                if let Err(panic) = std::panic::catch_unwind(|| target(&input)) {
                    let why = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
                    panic!(
                        "{} (mutation {i}) panicked: {}\ninput: {:?}",
                        path.display(),
                        why.unwrap_or_default(),
                        String::from_utf8_lossy(&input)
                    );
                }
                runs += 1;
            }
        }
        eprintln!("{}: {runs} inputs, none panicked", self.dir.display());
    }
}

/// A plausible value of `ty`, varied by `i`.
fn sample(ty: &Type, i: usize) -> Value {
    match ty {
        Type::String => Value::String(["demo:orders.read", "991825827", "-----BEGIN PUBLIC KEY-----"][i % 3].into()),
        Type::Number => {
            Value::Number([Number::Int(300), Number::Float(1.5), Number::Big("1e400".into())][i % 3].clone())
        }
        Type::Bool => Value::Bool(i.is_multiple_of(2)),
        Type::List(t) => Value::List(vec![sample(t, i), sample(t, i + 1)]),
        Type::Set(t) => Value::Set(vec![sample(t, i), sample(t, i + 1)]),
        Type::Map(t) => Value::Map([("a".to_string(), sample(t, i))].into()),
        Type::Object(m) => Value::Object(
            m.iter()
                .enumerate()
                .map(|(k, (name, t))| {
                    let v = match (i + k) % 7 {
                        5 => Value::Null,
                        6 => Value::unknown(),
                        _ => sample(t, i + k),
                    };
                    (name.clone(), v)
                })
                .collect(),
        ),
        Type::Tuple(ts) => Value::Tuple(ts.iter().map(|t| sample(t, i)).collect()),
        Type::Dynamic => Value::Dynamic(Type::String, Box::new(Value::String("x".into()))),
    }
}

/// `v` with every unknown, at any depth, made null: what JSON (state, plans) can hold.
fn known_only(v: Value) -> Value {
    let each = |vs: Vec<Value>| vs.into_iter().map(known_only).collect();
    let every = |m: std::collections::BTreeMap<String, Value>| m.into_iter().map(|(k, v)| (k, known_only(v))).collect();
    match v {
        Value::Unknown(_) => Value::Null,
        Value::List(vs) => Value::List(each(vs)),
        Value::Set(vs) => Value::Set(each(vs)),
        Value::Tuple(vs) => Value::Tuple(each(vs)),
        Value::Map(m) => Value::Map(every(m)),
        Value::Object(m) => Value::Object(every(m)),
        other => other,
    }
}

/// A seed of the dynamic_value target: its type, then the payload.
fn typed(ty: &Type, payload: &[u8]) -> Vec<u8> {
    let t = ty.to_json_bytes();
    let mut out = u16::try_from(t.len()).expect("type JSON under 64 KiB").to_be_bytes().to_vec();
    out.extend_from_slice(&t);
    out.extend_from_slice(payload);
    out
}

#[test]
fn dynamic_values_of_every_schema_are_seeds_and_encode_stably() {
    let mut seeds = Seeds::new("dynamic_value");
    let p = MaskinportenProvider::new(tokio_util::sync::CancellationToken::new());
    let mut schemas = vec![("provider".to_string(), p.schema())];
    schemas.extend(p.resources().iter().map(|r| (r.type_name().to_string(), r.schema())));
    schemas.extend(p.data_sources().iter().map(|d| (format!("data.{}", d.type_name()), d.schema())));
    schemas.extend(p.ephemeral_resources().iter().map(|e| (format!("ephemeral.{}", e.type_name()), e.schema())));
    assert!(schemas.len() > 15, "every schema the provider serves");
    for (name, schema) in &schemas {
        let ty = schema.value_type();
        for i in 0..3 {
            let v = sample(&ty, i);
            let bytes = encode_msgpack(&v, &ty).unwrap_or_else(|e| panic!("{name}: {e}"));
            let back = decode_msgpack(&bytes, &ty).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(encode_msgpack(&back, &ty).unwrap(), bytes, "{name}: msgpack is stable");
            seeds.write(&format!("{name}-msgpack-{i}"), &typed(&ty, &bytes));
        }
        let known = known_only(sample(&ty, 0));
        let json = encode_json(&known, &ty).unwrap_or_else(|e| panic!("{name}: known values encode as JSON: {e}"));
        seeds.write(&format!("{name}-json"), &typed(&ty, &json));
        seeds.write(&format!("{name}-null"), &typed(&ty, &[0xc0]));
        seeds.write(&format!("{name}-unknown"), &typed(&ty, &[0xd4, 0x00, 0x00]));
    }
    // What Terraform 1.11 sent: a refined unknown (ext 12: not null, string prefix), a number as a
    // decimal string, and a `dynamic` value as [type JSON, value]
    // (docs/development/plugin-protocol.md, "Values on the wire").
    let prefix = b"unknown until apply: ";
    let mut refined = vec![0xc7, (prefix.len() + 5) as u8, 0x0c, 0x82, 0x01, 0xc3, 0x02, 0xa0 | prefix.len() as u8];
    refined.extend_from_slice(prefix);
    assert!(decode_msgpack(&refined, &Type::String).is_ok_and(|v| !v.is_known()));
    seeds.write("refined-unknown", &typed(&Type::String, &refined));
    let decimal = [&[0xb7][..], b"12345678901234567890123"].concat();
    assert_eq!(
        decode_msgpack(&decimal, &Type::Number).unwrap(),
        Value::Number(Number::Big("12345678901234567890123".into())),
        "a decimal beyond i64 and f64 is kept verbatim"
    );
    seeds.write("decimal-string", &typed(&Type::Number, &decimal));
    let dynamic = [0x92, 0xc4, 0x08, b'"', b's', b't', b'r', b'i', b'n', b'g', b'"', 0xa1, b'x'];
    assert_eq!(
        decode_msgpack(&dynamic, &Type::Dynamic).unwrap(),
        Value::Dynamic(Type::String, Box::new(Value::String("x".into()))),
        "a dynamic value carries its type"
    );
    seeds.write("dynamic", &typed(&Type::Dynamic, &dynamic));
    seeds.short_run(dynamic_value::run, 40);
}

/// Which words the api_response target understands, read from its source (the one authority).
fn target_words() -> Vec<String> {
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets/api_response.rs"))
        .expect("the fuzz target");
    src.lines().filter_map(|l| l.trim().strip_prefix("b\"")?.split_once("\" =>").map(|(w, _)| w.to_string())).collect()
}

struct Api {
    http: reqwest::Client,
    base: String,
    sim: Simulator,
}

impl Api {
    /// One call as `org`; the status and the raw body.
    async fn call(&self, org: &str, method: &str, path: &str, body: Option<Json>) -> (u16, Vec<u8>) {
        // The merchant-data contract takes only tokens for its own audience.
        let token =
            if path.starts_with("/contacts") { self.sim.mint_merchant_token(org) } else { self.sim.mint_token(org) };
        let mut rb = self.http.request(method.parse().unwrap(), format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
    }
}

/// A successful answer that parses as `T`, written as a seed named `word`.
async fn answer<T: DeserializeOwned>(
    seeds: &mut Seeds,
    api: &Api,
    word: &str,
    org: &str,
    call: (&str, &str, Option<Json>),
) -> T {
    let (method, path, body) = call;
    let (status, bytes) = api.call(org, method, path, body).await;
    assert!((200..300).contains(&status), "{method} {path}: {status} {}", String::from_utf8_lossy(&bytes));
    let parsed = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{method} {path} as {word}: {e}"));
    seeds.write(word, &[word.as_bytes(), b"\n", &bytes].concat());
    parsed
}

/// An error answer with Digdir's `ApiErrorResponse` body, written as an `error` seed.
async fn error(seeds: &mut Seeds, api: &Api, org: &str, want: u16, call: (&str, &str, Option<Json>)) {
    let (method, path, body) = call;
    let (status, bytes) = api.call(org, method, path, body).await;
    assert_eq!(status, want, "{method} {path}: {}", String::from_utf8_lossy(&bytes));
    let e: terraform_provider_maskinporten::api::error::ApiErrorResponse = serde_json::from_slice(&bytes).unwrap();
    assert!(!e.explanation().is_empty(), "{method} {path}: the error explains itself");
    seeds.write("error", &[b"error\n", &bytes[..]].concat());
}

#[tokio::test]
async fn answers_of_every_endpoint_we_read_are_seeds_and_parse() {
    let words = target_words();
    let dir = tempfile::tempdir().unwrap();
    let cfg = SimConfig::new(dir.path()).org(PROVIDER_ORG, Some("demo")).org(CONSUMER_ORG, None);
    let sim = Simulator::start(cfg).await.unwrap();
    let api = Api { http: reqwest::Client::new(), base: format!("{}/api/v1", sim.url()), sim };
    let mut s = Seeds::new("api_response");
    let scope = json!({"prefix": "demo", "subscope": "fuzz.seed", "description": "Seed", "allowed_integration_types": ["maskinporten"]});
    let _: Scope = answer(&mut s, &api, "scope", PROVIDER_ORG, ("POST", "/scopes", Some(scope.clone()))).await;
    let _: Scope =
        answer(&mut s, &api, "scope", PROVIDER_ORG, ("GET", "/scopes/scope?scope=demo:fuzz.seed", None)).await;
    let _: Vec<Scope> = answer(&mut s, &api, "scopes", PROVIDER_ORG, ("GET", "/scopes?inactive=true", None)).await;
    let _: Vec<Scope> = answer(&mut s, &api, "scopes", PROVIDER_ORG, ("GET", "/scopes/all", None)).await;
    let grant = format!("/scopes/access/{CONSUMER_ORG}?scope=demo:fuzz.seed");
    let _: ScopeAccess = answer(&mut s, &api, "access", PROVIDER_ORG, ("PUT", &grant, None)).await;
    let _: Vec<ScopeAccess> =
        answer(&mut s, &api, "accesses", PROVIDER_ORG, ("GET", "/scopes/access?scope=demo:fuzz.seed", None)).await;
    let _: Vec<ScopeAccess> = answer(&mut s, &api, "accesses", CONSUMER_ORG, ("GET", "/scopes/access/all", None)).await;
    let _: Vec<ScopePrefix> = answer(&mut s, &api, "prefixes", PROVIDER_ORG, ("GET", "/prefix", None)).await;
    let _: Vec<DelegationSource> =
        answer(&mut s, &api, "delegation_sources", PROVIDER_ORG, ("GET", "/delegationsources", None)).await;
    let _: Organization =
        answer(&mut s, &api, "organization", PROVIDER_ORG, ("GET", &format!("/organizations/{CONSUMER_ORG}"), None))
            .await;
    let client = json!({"client_name": "seed", "description": "Seed client", "scopes": ["demo:fuzz.seed"],
        "integration_type": "maskinporten", "application_type": "web", "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": ["urn:ietf:params:oauth:grant-type:jwt-bearer"]});
    let made: Client = answer(&mut s, &api, "client", CONSUMER_ORG, ("POST", "/clients", Some(client))).await;
    let id = made.client_id.expect("a client id");
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap().public_key_pem();
    let k = terraform_provider_maskinporten::provider::keys::parse(&key).unwrap();
    let jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": format!("{id}-seed"), "n": k.n_b64(), "e": k.e_b64()});
    let jwks_path = format!("/clients/{id}/jwks");
    let set: Jwks =
        answer(&mut s, &api, "jwks", CONSUMER_ORG, ("POST", &jwks_path, Some(json!({"keys": [jwk]})))).await;
    assert_eq!(set.keys.len(), 1);
    s.write("jwk", &[b"jwk\n", serde_json::to_vec(&set.keys[0]).unwrap().as_slice()].concat());
    let _: Jwks = answer(&mut s, &api, "jwks", CONSUMER_ORG, ("GET", &jwks_path, None)).await;
    let _: Client = answer(&mut s, &api, "client", CONSUMER_ORG, ("GET", &format!("/clients/{id}"), None)).await;
    let _: Vec<Client> = answer(&mut s, &api, "clients", CONSUMER_ORG, ("GET", "/clients?inactive=true", None)).await;
    // Digdir's errors: a re-created scope (409), a foreign prefix (403), an unknown client (404).
    error(&mut s, &api, PROVIDER_ORG, 409, ("POST", "/scopes", Some(scope))).await;
    let foreign = json!({"prefix": "other", "subscope": "x", "description": "x"});
    error(&mut s, &api, PROVIDER_ORG, 403, ("POST", "/scopes", Some(foreign))).await;
    error(&mut s, &api, CONSUMER_ORG, 404, ("GET", "/clients/no-such-client", None)).await;
    // Digdir's stored live answer (docs/development/digdir-api.md, "Sources and confidence"), and
    // shapes from the same page's "Token endpoint and the admin grant" and "Quirks".
    let live =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/digdir/scopes-all-prod-excerpt.json"))
            .unwrap();
    let _: Vec<Scope> = serde_json::from_slice(&live).unwrap();
    s.write("scopes", &[b"scopes\n", &live[..]].concat());
    let contact = json!({"kind": "notification", "prefix": "demo", "name": "Drift", "email": "drift@example.no"});
    let _: Contact = answer(&mut s, &api, "contact", PROVIDER_ORG, ("POST", "/contacts", Some(contact))).await;
    s.write(
        "token",
        br#"token
{"access_token":"opaque","token_type":"Bearer","expires_in":120,"scope":"idporten:scopes.read idporten:scopes.write"}"#,
    );
    s.write(
        "token_error",
        br#"token_error
{"error":"invalid_grant","error_description":"MP-121 Certificate expired (trace_id: 0af1)"}"#,
    );
    for v in ["120", "Tue, 24 Nov 2026 13:00:00 GMT", "18446744073709551615"] {
        s.write("retry_after", format!("retry_after\n{v}").as_bytes());
    }
    for f in std::fs::read_dir(&s.dir).unwrap().flatten() {
        let bytes = std::fs::read(f.path()).unwrap();
        let word = String::from_utf8_lossy(bytes.split(|b| *b == b'\n').next().unwrap()).to_string();
        assert!(words.contains(&word), "the api_response target reads {word:?} (it reads {words:?})");
    }
    assert!(s.written >= 25, "{} seeds", s.written);
    s.short_run(api_response::run, 200);
}

#[test]
fn key_material_users_write_is_a_seed() {
    let mut s = Seeds::new("key_material");
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["seed".into()]).unwrap().self_signed(&key).unwrap();
    let spki = key.public_key_pem();
    let k = terraform_provider_maskinporten::provider::keys::parse(&spki).unwrap();
    let jwk = json!({"kty": "RSA", "n": k.n_b64(), "e": k.e_b64(), "alg": "RS256", "use": "sig"}).to_string();
    for (name, text, accepted) in [
        ("spki", spki.as_str(), true),
        ("certificate", &cert.pem(), true),
        ("jwk", &jwk, true),
        ("private", &key.serialize_pem(), false),
    ] {
        let parsed = terraform_provider_maskinporten::provider::keys::parse(text);
        assert_eq!(parsed.is_ok(), accepted, "{name}");
        if let Ok(p) = parsed {
            assert_eq!(p.thumbprint(), k.thumbprint(), "{name}: the same key");
        }
        // The private seed is a real key: it stays in a temporary directory unless the fuzz
        // run asked for seeds, and the fuzz corpus is never committed.
        s.write(name, text.as_bytes());
    }
    s.short_run(key_material::run, 200);
}

#[test]
fn pkcs12_fixtures_are_seeds() {
    use terraform_provider_maskinporten::provider::pkcs12::{Password, load};
    let mut s = Seeds::new("pkcs12");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pkcs12");
    let password = Password::new("test-password-1".to_string());
    for (name, accepted) in [
        ("legacy.p12", true),
        ("aes.p12", true),
        ("chain.p12", true),
        ("plain-nomac.p12", true),
        ("certs-only.p12", false),
        ("ec.p12", false),
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(load(&bytes, Some(&password), true).is_ok(), accepted, "{name}");
        // Throwaway test keys, committed as fixtures already.
        s.write(name, &bytes);
    }
    s.short_run(pkcs12::run, 30);
}
