//! Provider start-up, as Terraform experiences it on every command: spawn the binary, read the
//! handshake line, connect over pinned mTLS and receive the full schema (ARCHITECTURE.md,
//! "Targets": ≤ 50 ms, RSS ≤ 30 MB). Run with
//! `cargo bench --bench startup [-- --json FILE] [--runs N]`; `cargo xtask bench` runs it and puts
//! the figures in its report. Prints figures; asserts nothing.

#[path = "../tests/common/plugin.rs"]
mod plugin;

use std::time::Instant;
use terraform_provider_maskinporten::proto::tfplugin6 as pb;

/// Peak resident memory of a process so far, in KiB (VmHWM).
fn peak_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let runs: usize = arg("--runs").and_then(|r| r.parse().ok()).unwrap_or(30);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (pem, cert, key) = plugin::client_identity();
    let (mut ms, mut kib, mut schema_bytes) = (vec![], 0u64, 0usize);
    for _ in 0..runs {
        let start = Instant::now();
        let p = plugin::spawn(&pem);
        let schema = rt.block_on(async {
            let ch = plugin::channel(&p, cert.clone(), key.clone()).await.expect("connect");
            pb::provider_client::ProviderClient::new(ch)
                .get_provider_schema(pb::get_provider_schema::Request {})
                .await
                .expect("schema")
                .into_inner()
        });
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
        kib = kib.max(peak_kib(p.child.id()));
        schema_bytes = prost::Message::encoded_len(&schema);
    }
    ms.sort_by(f64::total_cmp);
    let median = ms[ms.len() / 2];
    println!(
        "start to schema served: median {median:.1} ms, min {:.1}, max {:.1} over {runs} runs; schema {schema_bytes} bytes; peak RSS {:.1} MiB",
        ms[0],
        ms[ms.len() - 1],
        kib as f64 / 1024.0
    );
    if let Some(file) = arg("--json") {
        let report = serde_json::json!({
            "runs": runs, "median_ms": median, "min_ms": ms[0], "max_ms": ms[ms.len() - 1],
            "rss_mib": kib as f64 / 1024.0, "schema_bytes": schema_bytes,
        });
        if let Some(d) = std::path::Path::new(&file).parent() {
            let _ = std::fs::create_dir_all(d);
        }
        std::fs::write(&file, report.to_string()).expect("write report");
    }
}
