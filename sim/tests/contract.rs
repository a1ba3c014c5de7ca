//! The simulator keeps the contract of docs/development/digdir-api.md (every section cited in this
//! file is a heading of that page): the token endpoint refuses what Maskinporten refuses
//! ("Token endpoint and the admin grant"), and the scope endpoints show Digdir's quirks ("Scopes",
//! "Errors").

use maskinporten_sim::{SimConfig, Simulator};
use serde_json::{Value, json};

struct T {
    sim: Simulator,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

async fn start() -> T {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimConfig::new(dir.path()).org("991825827", Some("demo")).org("889640782", None))
        .await
        .unwrap();
    T { sim, _dir: dir, http: reqwest::Client::new() }
}

fn env(t: &T, org: &str, name: &str) -> String {
    t.sim.env_for(org).into_iter().find(|(k, _)| k == &format!("MASKINPORTEN_{name}")).unwrap().1.replace("\\n", "\n")
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Sign an assertion as the organisation's admin client, after `tweak` edits claims and header.
fn assertion(t: &T, org: &str, tweak: impl FnOnce(&mut Value, &mut jsonwebtoken::Header)) -> String {
    let chain = env(t, org, "CERTIFICATE_CHAIN_PEM");
    let leaf_b64: String =
        chain.split("-----END CERTIFICATE-----").next().unwrap().lines().filter(|l| !l.starts_with("-----")).collect();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.x5c = Some(vec![leaf_b64]);
    let mut claims = json!({
        "aud": t.sim.issuer(), "iss": env(t, org, "CLIENT_ID"), "scope": "idporten:scopes.write",
        "iat": now(), "exp": now() + 100, "jti": uuid::Uuid::new_v4().to_string(),
    });
    tweak(&mut claims, &mut header);
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(env(t, org, "PRIVATE_KEY_PEM").as_bytes()).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

async fn grant(t: &T, jwt: &str) -> (u16, Value) {
    let r = t
        .http
        .post(format!("{}/token", t.sim.url()))
        .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", jwt)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn token_endpoint_verifies_assertions_like_maskinporten() {
    let t = start().await;
    let (status, body) = grant(&t, &assertion(&t, "991825827", |_, _| {})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");

    type Tamper = Box<dyn FnOnce(&mut Value, &mut jsonwebtoken::Header)>;
    let cases: Vec<(&str, Tamper)> = vec![
        ("MP-110", Box::new(|c, _| c["aud"] = json!(format!("{}token", "http://x/")))),
        ("Maximum 120 seconds", Box::new(|c, _| c["exp"] = json!(now() + 300))),
        ("not allowed", Box::new(|c, _| c["pid"] = json!("12345678901"))),
        ("MP-100", Box::new(|c, _| c["iss"] = json!("no-such-client"))),
        ("MP-200", Box::new(|c, _| c["scope"] = json!("idporten:dcr.datasharing"))),
        (
            "MP-130",
            Box::new(|c, _| {
                c["iat"] = json!(now() - 5);
                c["exp"] = json!(now() - 1);
            }),
        ),
        (
            "Unknown key identifier",
            Box::new(|_, h| {
                h.x5c = None;
                h.kid = Some("k1".into());
            }),
        ),
    ];
    for (expect, tweak) in cases {
        let (status, body) = grant(&t, &assertion(&t, "991825827", tweak)).await;
        assert_eq!(status, 400, "{expect}: {body}");
        assert!(body["error_description"].as_str().unwrap_or("").contains(expect), "{expect}: {body}");
    }

    // Another organisation's certificate for this client: MP-122.
    let other_cert = assertion(&t, "889640782", |c, _| c["iss"] = json!(env(&t, "991825827", "CLIENT_ID")));
    let (_, body) = grant(&t, &other_cert).await;
    assert!(body["error_description"].as_str().unwrap().contains("MP-122"), "{body}");

    // A replayed grant: MP-012.
    let once = assertion(&t, "991825827", |_, _| {});
    assert_eq!(grant(&t, &once).await.0, 200);
    let (_, body) = grant(&t, &once).await;
    assert!(body["error_description"].as_str().unwrap().contains("MP-012"), "{body}");

    // The request log never holds the assertion.
    let log = t.sim.requests().to_string();
    assert!(!log.contains(&once) && log.contains("<redacted>"));
}

async fn call(t: &T, org: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut r = t.http.request(method, format!("{}{path}", t.sim.url())).bearer_auth(t.sim.mint_token(org));
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn scopes_follow_digdirs_quirks() {
    use reqwest::Method as M;
    let t = start().await;
    // "does not have any" instead of an empty list ("Errors").
    let (status, body) = call(&t, "991825827", M::GET, "/api/v1/scopes", None).await;
    assert_eq!(status, 404);
    assert!(body["error_description"].as_str().unwrap().contains("does not have any"));

    let scope = json!({"prefix": "demo", "subscope": "a", "description": "A", "description#en": "A in English"});
    let (status, created) = call(&t, "991825827", M::POST, "/api/v1/scopes", Some(scope.clone())).await;
    assert_eq!(status, 200);
    assert_eq!((created["name"].clone(), created["description#en"].clone()), (json!("demo:a"), json!("A in English")));
    assert_eq!(
        call(&t, "991825827", M::POST, "/api/v1/scopes", Some(scope.clone())).await.0,
        409,
        "re-POST of an existing scope"
    );

    // Another organisation's prefix: 403 with an ApiErrorResponse.
    let (status, err) = call(
        &t,
        "889640782",
        M::POST,
        "/api/v1/scopes",
        Some(json!({"prefix": "demo", "subscope": "b", "description": "B"})),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(err["correlation_id"].as_str().unwrap().len(), 32);

    // Soft delete, then 409 on POST of the deactivated scope; PUT with active reactivates.
    let (_, gone) = call(&t, "991825827", M::DELETE, "/api/v1/scopes?scope=demo:a", None).await;
    assert_eq!(gone["active"], false);
    assert_eq!(call(&t, "991825827", M::POST, "/api/v1/scopes", Some(scope.clone())).await.0, 409);
    let (_, back) =
        call(&t, "991825827", M::PUT, "/api/v1/scopes?scope=demo:a", Some(json!({"description": "A", "active": true})))
            .await;
    assert_eq!(back["active"], true);
    // A PUT without `active` deactivates ("Scopes" [I]).
    let (_, off) =
        call(&t, "991825827", M::PUT, "/api/v1/scopes?scope=demo:a", Some(json!({"description": "A"}))).await;
    assert_eq!(off["active"], false);
    // Lifetimes 0 are allowed on scopes; an unknown visibility is not.
    let (status, _) = call(
        &t,
        "991825827",
        M::PUT,
        "/api/v1/scopes?scope=demo:a",
        Some(json!({"description": "A", "active": true, "visibility": "INTERNAL"})),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn grants_and_clients_follow_the_reference() {
    use reqwest::Method as M;
    let t = start().await;
    call(
        &t,
        "991825827",
        M::POST,
        "/api/v1/scopes",
        Some(json!({"prefix": "demo", "subscope": "a", "description": "A"})),
    )
    .await;
    // A client may only use scopes its organisation may use.
    let client =
        json!({"integration_type": "maskinporten", "client_name": "c", "description": "d", "scopes": ["demo:a"]});
    assert_eq!(call(&t, "889640782", M::POST, "/api/v1/clients", Some(client.clone())).await.0, 400);
    assert_eq!(
        call(&t, "991825827", M::PUT, "/api/v1/scopes/access/123456789?scope=demo:a", None).await.0,
        400,
        "mod-11"
    );
    let (status, g) = call(&t, "991825827", M::PUT, "/api/v1/scopes/access/889640782?scope=demo:a", None).await;
    assert_eq!((status, g["state"].clone()), (200, json!("APPROVED")));
    let (status, c) = call(&t, "889640782", M::POST, "/api/v1/clients", Some(client.clone())).await;
    assert_eq!(status, 200, "{c}");
    let id = c["client_id"].as_str().unwrap();
    // Lifetimes of 0 are refused on clients ("Clients").
    let zero = json!({"integration_type": "maskinporten", "client_name": "c", "description": "d", "scopes": ["demo:a"], "access_token_lifetime": 0});
    assert_eq!(call(&t, "889640782", M::PUT, &format!("/api/v1/clients/{id}"), Some(zero)).await.0, 400);
    // Keys: use required, at most five, no empty set.
    let key = |kid: &str, with_use: bool| {
        let mut k = json!({"kty": "RSA", "kid": kid, "alg": "RS256", "n": "AQAB", "e": "AQAB"});
        if with_use {
            k["use"] = json!("sig");
        }
        k
    };
    let path = format!("/api/v1/clients/{id}/jwks");
    assert_eq!(
        call(&t, "889640782", M::POST, &path, Some(json!({"keys": [key("a", false)]}))).await.0,
        400,
        "use required"
    );
    let six: Vec<Value> = (0..6).map(|i| key(&format!("k{i}"), true)).collect();
    assert_eq!(call(&t, "889640782", M::POST, &path, Some(json!({"keys": six}))).await.0, 400, "at most five");
    assert_eq!(call(&t, "889640782", M::POST, &path, Some(json!({"keys": []}))).await.0, 400, "no empty set");
    assert_eq!(
        call(&t, "889640782", M::GET, &path, None).await.0,
        404,
        "no keys reads as 404 (docs/development/digdir-api.md, \"Keys\")"
    );
    // Another organisation's client: 403.
    assert_eq!(call(&t, "991825827", M::GET, &format!("/api/v1/clients/{id}"), None).await.0, 403);
}

/// An API provider granted scopes.write alone, as digdirator runs in production: a token request
/// naming anything else is refused whole (MP-200); each operation accepts the scopes Digdir's
/// description names, with production's exception for reading grants.
#[tokio::test]
async fn admin_scopes_are_granted_per_organisation_and_checked_per_operation() {
    use reqwest::Method as M;
    let dir = tempfile::tempdir().unwrap();
    let cfg = SimConfig::new(dir.path()).org_granted("991825827", Some("demo"), &["scopes.write"]);
    let t = T { sim: Simulator::start(cfg).await.unwrap(), _dir: dir, http: reqwest::Client::new() };
    for (scope, expect) in [
        ("idporten:scopes.write", 200),
        ("idporten:scopes.read idporten:scopes.write", 400),
        ("idporten:dcr.read", 400),
    ] {
        let (status, body) = grant(&t, &assertion(&t, "991825827", |c, _| c["scope"] = json!(scope))).await;
        assert_eq!(status, expect, "{scope}: {body}");
        if expect == 400 {
            assert_eq!(body["error"], "invalid_scope", "{body}");
            assert!(body["error_description"].as_str().unwrap().contains("MP-200"), "{body}");
        }
    }
    let outcomes: Vec<Value> = t.sim.token_requests().into_iter().map(|r| r["outcome"].clone()).collect();
    assert_eq!(outcomes, [json!("issued"), json!("invalid_scope"), json!("invalid_scope")]);
    let (_, token) = grant(&t, &assertion(&t, "991825827", |_, _| {})).await;
    let bearer = token["access_token"].as_str().unwrap().to_string();
    let as_writer = |method: M, path: &str| {
        let (http, url, bearer) = (t.http.clone(), format!("{}{path}", t.sim.url()), bearer.clone());
        async move { http.request(method, url).bearer_auth(bearer).send().await.unwrap().status().as_u16() }
    };
    let scope = json!({"prefix": "demo", "subscope": "a", "description": "A"});
    let created =
        t.http.post(format!("{}/api/v1/scopes", t.sim.url())).bearer_auth(&bearer).json(&scope).send().await.unwrap();
    assert_eq!(created.status().as_u16(), 200);
    assert_eq!(as_writer(M::GET, "/api/v1/scopes?inactive=true").await, 200, "scopes.read or scopes.write");
    assert_eq!(as_writer(M::GET, "/api/v1/scopes/scope?scope=demo:a").await, 403, "scopes.read alone");
    assert_eq!(
        as_writer(M::GET, "/api/v1/scopes/access?scope=demo:a").await,
        404,
        "production accepts scopes.write (empty: 404)"
    );
    assert_eq!(as_writer(M::GET, "/api/v1/clients").await, 403, "dcr.read");
}

/// The per-key operations add and remove one key without touching the others; with the knob
/// off they answer 404. A cut answer body arrives with its status and headers, then fails.
#[tokio::test]
async fn keys_one_at_a_time_and_answers_cut_midway() {
    use reqwest::Method as M;
    let t = start().await;
    call(
        &t,
        "991825827",
        M::POST,
        "/api/v1/scopes",
        Some(json!({"prefix": "demo", "subscope": "a", "description": "A"})),
    )
    .await;
    let client =
        json!({"integration_type": "maskinporten", "client_name": "c", "description": "d", "scopes": ["demo:a"]});
    let (_, c) = call(&t, "991825827", M::POST, "/api/v1/clients", Some(client)).await;
    let id = c["client_id"].as_str().unwrap();
    let key = |kid: &str| json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": "AQAB", "e": "AQAB"});
    for kid in ["a", "b"] {
        let (status, k) =
            call(&t, "991825827", M::PUT, &format!("/api/v1/clients/{id}/jwks/{kid}"), Some(key(kid))).await;
        assert_eq!((status, k["kid"].clone()), (200, json!(kid)), "{k}");
        assert!(k["exp"].is_i64(), "Digdir sets the expiry: {k}");
    }
    assert_eq!(call(&t, "991825827", M::DELETE, &format!("/api/v1/clients/{id}/jwks/a"), None).await.0, 200);
    assert_eq!(
        call(&t, "991825827", M::DELETE, &format!("/api/v1/clients/{id}/jwks/a"), None).await.0,
        404,
        "gone already"
    );
    let (_, set) = call(&t, "991825827", M::GET, &format!("/api/v1/clients/{id}/jwks"), None).await;
    assert_eq!(set["keys"].as_array().unwrap().iter().map(|k| k["kid"].clone()).collect::<Vec<_>>(), [json!("b")]);
    let mut private = key("c");
    private["d"] = json!("secret");
    assert_eq!(call(&t, "991825827", M::PUT, &format!("/api/v1/clients/{id}/jwks/c"), Some(private)).await.0, 400);

    t.sim.set_faults(maskinporten_sim::Faults {
        rate_cut_body_after_commit: 1.0,
        methods: vec!["GET".into()],
        limit: 1,
        ..Default::default()
    });
    let resp = t
        .http
        .get(format!("{}/api/v1/clients/{id}/jwks", t.sim.url()))
        .bearer_auth(t.sim.mint_token("991825827"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "status and headers arrive");
    assert!(resp.bytes().await.is_err(), "the body does not");

    let dir = tempfile::tempdir().unwrap();
    let mut cfg = SimConfig::new(dir.path());
    cfg.per_key_ops = false;
    let old = T { sim: Simulator::start(cfg).await.unwrap(), _dir: dir, http: reqwest::Client::new() };
    assert_eq!(call(&old, "991825827", M::PUT, "/api/v1/clients/x/jwks/a", Some(key("a"))).await.0, 404);
}

/// The merchant-data contract takes only tokens restricted to its own audience, and Digdir's API
/// refuses those: the admin token never needs to leave Digdir.
#[tokio::test]
async fn merchant_data_and_digdir_take_only_their_own_tokens() {
    let t = start().await;
    let get = |path: &str, token: String| {
        let (http, url) = (t.http.clone(), format!("{}{path}", t.sim.url()));
        async move { http.get(url).bearer_auth(token).send().await.unwrap().status().as_u16() }
    };
    let admin = t.sim.mint_token("991825827");
    let merchant = t.sim.mint_merchant_token("991825827");
    assert_eq!(get("/api/v1/contacts?prefix=demo", admin.clone()).await, 401, "the admin token is refused");
    assert_eq!(get("/api/v1/contacts?prefix=demo", merchant.clone()).await, 200);
    assert_eq!(get("/api/v1/scopes?inactive=true", merchant).await, 401, "a merchant-data token is not for Digdir");
    assert_eq!(get("/api/v1/scopes?inactive=true", admin).await, 404, "(no scopes: Digdir's \"does not have any\")");
    let resource = format!("{}/api/v1", t.sim.url());
    let (status, body) = grant(&t, &assertion(&t, "991825827", |c, _| c["resource"] = json!(resource.clone()))).await;
    assert_eq!(status, 200, "{body}");
    let claims = body["access_token"].as_str().unwrap().split('.').nth(1).unwrap().to_string();
    use base64::Engine;
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    assert_eq!(claims["aud"], json!(resource), "the token names its audience");
}
