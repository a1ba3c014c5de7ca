//! Acceptance suite against Digdir's TEST environment — opt-in, needs network access:
//!
//! ```sh
//! export TF_ACC=1 MASKINPORTEN_ENVIRONMENT=test MASKINPORTEN_CLIENT_ID=... \
//!        MASKINPORTEN_PRIVATE_KEY_PEM="$(cat key.pem)" MASKINPORTEN_CERTIFICATE_CHAIN_PEM="$(cat chain.pem)" \
//!        MASKINPORTEN_ACC_PREFIX=<a prefix Digdir assigned you> MASKINPORTEN_ACC_CONSUMER=<a TEST orgno>
//! cargo nextest run --test acceptance --run-ignored all
//! ```
//!
//! It settles the facts maskinporten-api.md marks [I] or [U] and records Digdir's real answers
//! as fixtures under `target/acceptance-fixtures/` for the simulator. Everything it creates is
//! named `tf-acc-*`; the sweeper deactivates all of it, also what an interrupted run left.

use std::time::Duration;
use terraform_provider_maskinporten::api::{ApiClient, ApiConfig, Client, Request, Scope, Signing};
use tokio_util::sync::CancellationToken;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set for the acceptance suite"))
}

fn client() -> ApiClient {
    assert_eq!(std::env::var("TF_ACC").as_deref(), Ok("1"), "set TF_ACC=1 to run the acceptance suite");
    let env = var("MASKINPORTEN_ENVIRONMENT");
    assert_eq!(env, "test", "the acceptance suite runs against TEST only");
    let chain = var("MASKINPORTEN_CERTIFICATE_CHAIN_PEM").replace("\\n", "\n");
    let chain_der = rustls_pki_types::pem::PemObject::pem_slice_iter(chain.as_bytes())
        .filter_map(|c: Result<rustls_pki_types::CertificateDer<'static>, _>| c.ok())
        .map(|c| c.to_vec())
        .collect();
    let cfg = ApiConfig {
        api_url: ApiConfig::normalise_api_url("https://api.test.samarbeid.digdir.no").unwrap(),
        issuer: "https://test.maskinporten.no/".into(),
        token_endpoint: None,
        client_id: var("MASKINPORTEN_CLIENT_ID"),
        signing: Signing::X5c { chain_der, key_pem: var("MASKINPORTEN_PRIVATE_KEY_PEM").replace("\\n", "\n") },
        scopes: [
            "idporten:scopes.read",
            "idporten:scopes.write",
            "idporten:dcr.read",
            "idporten:dcr.write",
            "idporten:dcr.modify",
        ]
        .map(String::from)
        .to_vec(),
        request_timeout: Duration::from_secs(30),
        max_retries: 3,
        max_concurrent_requests: 4,
        user_agent: format!("terraform-provider-maskinporten-acceptance/{}", env!("CARGO_PKG_VERSION")),
        extra_roots_pem: None,
        retry_deadline: Duration::from_secs(120),
    };
    ApiClient::new(cfg, CancellationToken::new()).expect("client")
}

/// Record a raw answer of Digdir's as a fixture for the simulator.
async fn record(api: &ApiClient, name: &str, req: Request) -> Result<serde_json::Value, String> {
    let result = api.execute::<serde_json::Value>(req).await;
    let value = match &result {
        Ok(v) => serde_json::json!({"ok": v}),
        Err(e) => serde_json::json!({"status": e.status(), "error": e.to_string()}),
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/acceptance-fixtures");
    std::fs::create_dir_all(&dir).ok();
    std::fs::write(dir.join(format!("{name}.json")), serde_json::to_string_pretty(&value).unwrap()).ok();
    result.map(|v| v.unwrap_or_default()).map_err(|e| e.to_string())
}

/// Deactivate every scope and client this suite ever made (names starting with tf-acc).
async fn sweep(api: &ApiClient) {
    for s in api.list_scopes(false).await.unwrap_or_default() {
        if s.subscope.as_deref().is_some_and(|x| x.starts_with("tf-acc")) {
            let name = s.name.unwrap_or_default();
            for g in api.list_accesses(&name, false).await.unwrap_or_default() {
                let _ = api.revoke_access(&name, g.consumer_orgno.as_deref().unwrap_or("")).await;
            }
            let _ = api.deactivate_scope(&name).await;
        }
    }
    for c in api.list_clients(false).await.unwrap_or_default() {
        if c.client_name.as_deref().is_some_and(|n| n.starts_with("tf-acc")) {
            let _ = api.deactivate_client(c.client_id.as_deref().unwrap_or("")).await;
        }
    }
}

#[tokio::test]
#[ignore = "needs TF_ACC=1, Digdir TEST credentials and network access"]
async fn settles_the_uncertain_facts_against_digdir_test() {
    let api = client();
    sweep(&api).await;
    let prefix = var("MASKINPORTEN_ACC_PREFIX");
    let consumer = var("MASKINPORTEN_ACC_CONSUMER");
    let sub = format!("tf-acc.{}", uuid::Uuid::new_v4().simple());
    let name = format!("{prefix}:{sub}");

    // §6.2 [U]: the status of "does not have any" on an empty grant list.
    record(&api, "scope-access-empty", Request::get("/scopes/access").query("scope", name.clone())).await.ok();
    let created = api
        .create_scope(&Scope {
            prefix: Some(prefix.clone()),
            subscope: Some(sub.clone()),
            description: Some("tf-acc".into()),
            ..Default::default()
        })
        .await
        .expect("create scope");
    record(&api, "scope-created", Request::get("/scopes/scope").query("scope", name.clone())).await.ok();
    // §3.2 [I]: default visibility.
    eprintln!("default visibility: {:?}", created.visibility);
    // §3.3 [U]: PUT on an approved grant is idempotent.
    api.grant_access(&name, &consumer).await.expect("grant");
    let again = record(
        &api,
        "grant-put-twice",
        Request::put(&format!("/scopes/access/{consumer}")).query("scope", name.clone()),
    )
    .await;
    eprintln!("second PUT of a grant: {again:?}");
    // §3.2 [I]: a PUT without `active` deactivates.
    let mut body = serde_json::to_value(&created).unwrap();
    body.as_object_mut().unwrap().remove("active");
    let put =
        record(&api, "scope-put-without-active", Request::put("/scopes").query("scope", name.clone()).json(body)).await;
    eprintln!("PUT without active: {:?}", put.map(|v| v["active"].clone()));
    // §3.2: grants survive deactivation; §3.3 [I]: revoked grants read as DENIED.
    api.deactivate_scope(&name).await.expect("deactivate");
    record(
        &api,
        "grants-of-deactivated-scope",
        Request::get("/scopes/access").query("scope", name.clone()).query("inactive", "true"),
    )
    .await
    .ok();
    // §4.1 [U]: a deactivated client reads as 404 or active:false.
    let c = api
        .create_client(&Client {
            client_name: Some("tf-acc-client".into()),
            description: Some("tf-acc".into()),
            integration_type: Some("maskinporten".into()),
            scopes: Some(vec!["idporten:dcr.read".into()]),
            ..Default::default()
        })
        .await;
    if let Ok(c) = c {
        let id = c.client_id.clone().unwrap_or_default();
        record(&api, "client-created", Request::get(&format!("/clients/{id}"))).await.ok();
        record(&api, "client-jwks-empty", Request::get(&format!("/clients/{id}/jwks"))).await.ok();
        api.deactivate_client(&id).await.ok();
        record(&api, "client-deactivated", Request::get(&format!("/clients/{id}"))).await.ok();
    }
    sweep(&api).await;
    let left = api
        .list_scopes(false)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.subscope.as_deref().is_some_and(|x| x.starts_with("tf-acc")))
        .count();
    assert_eq!(left, 0, "the sweeper deactivated everything it made");
}
