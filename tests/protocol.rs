//! The protocol harness: spawns the provider binary as Terraform would (no Terraform needed) and
//! checks the process contract — the magic cookie, the handshake line, strict client-certificate
//! pinning, SIGINT ignored, UpgradeResourceState, and Shutdown.

#[path = "common/plugin.rs"]
mod plugin;

use pb::provider_client::ProviderClient;
use plugin::{BIN, COOKIE, channel, client_identity, spawn};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use terraform_provider_maskinporten::proto::plugin::{Empty, grpc_controller_client::GrpcControllerClient};
use terraform_provider_maskinporten::proto::tfplugin6 as pb;

#[test]
fn run_by_hand_prints_the_plugin_message_and_exits_1() {
    let out = Command::new(BIN).env_remove("TF_PLUGIN_MAGIC_COOKIE").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("This binary is a plugin. These are not meant to be executed directly.")
    );
}

#[test]
fn refuses_terraform_without_protocol_6() {
    let out = Command::new(BIN)
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 6"));
}

#[tokio::test]
async fn serves_pinned_mtls_ignores_sigint_upgrades_state_and_shuts_down() {
    let (pem, der, key) = client_identity();
    let mut p = spawn(&pem);

    // Strangers on the machine that connect and say nothing do not keep Terraform out (each
    // handshake is bounded in time, and runs off the accept loop).
    let silent: Vec<std::net::TcpStream> =
        (0..4).map(|_| std::net::TcpStream::connect(&p.addr).expect("connect")).collect();

    // A client presenting any other certificate is refused.
    let (_, other_der, other_key) = client_identity();
    let refused = match channel(&p, other_der, other_key).await {
        Err(_) => true,
        Ok(ch) => ProviderClient::new(ch).get_provider_schema(pb::get_provider_schema::Request {}).await.is_err(),
    };
    assert!(refused, "a foreign client certificate must be refused");

    let ch = channel(&p, der, key).await.expect("pinned client connects");
    let mut client = ProviderClient::new(ch.clone());
    let schema = client.get_provider_schema(pb::get_provider_schema::Request {}).await.expect("schema").into_inner();
    assert!(schema.server_capabilities.expect("caps").get_provider_schema_optional);
    assert!(schema.resource_schemas.contains_key("maskinporten_scope"));
    drop(silent);

    // Ctrl-C in a terminal reaches the provider too; it must keep serving.
    // SAFETY: kill with a valid pid and signal number.
    unsafe { libc::kill(p.child.id() as i32, libc::SIGINT) };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(p.child.try_wait().unwrap().is_none(), "SIGINT ignored");

    // A stored version-0 state passes through: unknown attributes dropped, new ones null.
    let raw = br#"{"id":"demo:a","name":"demo:a","prefix":"demo","subscope":"a","description":"d","removed_attr":1}"#;
    let up = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "maskinporten_scope".into(),
            version: 0,
            raw_state: Some(pb::RawState { json: raw.to_vec(), flatmap: Default::default() }),
        })
        .await
        .expect("upgrade")
        .into_inner();
    assert!(up.diagnostics.is_empty(), "{:?}", up.diagnostics);
    let state = rmpv::decode::read_value(&mut up.upgraded_state.expect("state").msgpack.as_slice()).expect("msgpack");
    let map = state.as_map().expect("object");
    let get = |k: &str| map.iter().find(|(key, _)| key.as_str() == Some(k)).map(|(_, v)| v.clone());
    assert_eq!(get("description").and_then(|v| v.as_str().map(String::from)).as_deref(), Some("d"));
    assert!(get("removed_attr").is_none());
    assert!(get("active").expect("active present").is_nil());

    GrpcControllerClient::new(ch).shutdown(Empty {}).await.expect("shutdown");
    let start = Instant::now();
    while p.child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(10), "exits after Shutdown");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(p.child.wait().unwrap().code(), Some(0));
}

/// Without Terraform's client certificate (TF_DISABLE_PLUGIN_TLS), the plugin refuses to serve
/// plaintext — it holds credentials — unless PLUGIN_ALLOW_PLAINTEXT=1 says so while debugging.
#[test]
fn refuses_plaintext_unless_allowed_for_debugging() {
    let run = |allow: bool| {
        let mut cmd = Command::new(plugin::BIN);
        cmd.env_clear()
            .env("TF_PLUGIN_MAGIC_COOKIE", plugin::COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if allow {
            cmd.env("PLUGIN_ALLOW_PLAINTEXT", "1");
        }
        cmd.spawn().expect("spawn")
    };
    let refused = run(false).wait_with_output().expect("exit");
    assert_eq!(refused.status.code(), Some(1));
    assert!(refused.stdout.is_empty(), "no handshake line");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("refusing to serve over plaintext"));
    let mut allowed = run(true);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(allowed.stdout.take().unwrap()), &mut line).unwrap();
    assert!(line.starts_with("1|6|tcp|127.0.0.1:") && line.trim_end().ends_with("|grpc|"), "{line:?}");
    let _ = allowed.kill();
    let _ = allowed.wait();
}
