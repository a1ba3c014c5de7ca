//! `cargo xtask fuzz`: a short coverage-guided run of every cargo-fuzz target in `fuzz/`
//! (issue 8): the DynamicValue codec, parsing of Digdir's answers, client key material, and the
//! enterprise certificate's PKCS#12 file.
//!
//! Seeds come from the test suite (`tests/fuzz_seeds.rs` writes them to `fuzz/seeds/` when
//! `FUZZ_SEEDS_DIR` is set); the growing corpus stays in `fuzz/corpus/` between runs; crashes go
//! to `fuzz/artifacts/`. Built without a sanitizer: the code under test is safe Rust, where a
//! panic is the failure to find, and ASan would halve the executions for nothing.
//! `RUSTC_BOOTSTRAP=1` lets the stable toolchain take cargo-fuzz's nightly-only flags.

use crate::common::root;
use crate::opts::Args;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::process::Command;

const TARGETS: &[&str] = &["dynamic_value", "api_response", "key_material", "pkcs12"];

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// cargo-fuzz, installed from crates.io when missing.
fn ensure_cargo_fuzz() -> Result<()> {
    if cargo().args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success()) {
        return Ok(());
    }
    eprintln!("xtask fuzz: installing cargo-fuzz from crates.io");
    if !cargo().args(["install", "--locked", "cargo-fuzz"]).status()?.success() {
        bail!("cargo install cargo-fuzz failed");
    }
    Ok(())
}

/// The last value libFuzzer printed for `key` (`cov: 123`, `stat::number_of_executed_units: 9`).
fn stat(text: &str, key: &str) -> Option<u64> {
    text.rmatch_indices(key).next().and_then(|(i, _)| {
        text[i + key.len()..].trim_start_matches([':', ' ']).split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    })
}

pub fn run(args: &Args) -> Result<()> {
    let secs: u64 = args.get("--secs")?;
    let targets: Vec<String> =
        args.list("--targets")?.unwrap_or_else(|| TARGETS.iter().map(|t| t.to_string()).collect());
    if let Some(unknown) = targets.iter().find(|t| !TARGETS.contains(&t.as_str())) {
        bail!("no fuzz target {unknown:?}; there are {}", TARGETS.join(", "));
    }
    ensure_cargo_fuzz()?;
    let fuzz = root().join("fuzz");
    let seeds = fuzz.join("seeds");
    eprintln!("xtask fuzz: writing seeds from the test suite to {}", seeds.display());
    let status = cargo()
        .current_dir(root())
        .args(["test", "--quiet", "--test", "fuzz_seeds"])
        .env("FUZZ_SEEDS_DIR", &seeds)
        .status()?;
    if !status.success() {
        bail!("the seed tests failed");
    }
    let mut rows = vec![];
    for t in &targets {
        let corpus = fuzz.join("corpus").join(t);
        std::fs::create_dir_all(&corpus)?;
        eprintln!("xtask fuzz: {t} for {secs} s");
        let out = cargo()
            .current_dir(&fuzz)
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", "--sanitizer", "none", "--release", t])
            .arg(&corpus)
            .arg(seeds.join(t))
            .args(["--", &format!("-max_total_time={secs}"), "-print_final_stats=1", "-timeout=10"])
            .output()
            .context("cargo fuzz run")?;
        let err = String::from_utf8_lossy(&out.stderr);
        let crashed = !out.status.success();
        if crashed {
            let tail: Vec<&str> = err.lines().rev().take(40).collect();
            eprintln!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
        }
        let seeds_n = std::fs::read_dir(seeds.join(t)).map_or(0, |d| d.count());
        let corpus_n = std::fs::read_dir(&corpus).map_or(0, |d| d.count());
        rows.push(json!({
            "target": t, "seconds": secs, "seeds": seeds_n, "corpus": corpus_n,
            "executions": stat(&err, "stat::number_of_executed_units"),
            "execs_per_sec": stat(&err, "stat::average_exec_per_sec"),
            "coverage": stat(&err, "cov"), "features": stat(&err, "ft"),
            "peak_rss_mb": stat(&err, "stat::peak_rss_mb"), "crashed": crashed,
        }));
    }
    print_table(&rows);
    let file = root().join("target/fuzz/fuzz.json");
    std::fs::create_dir_all(file.parent().expect("parent"))?;
    std::fs::write(&file, serde_json::to_string_pretty(&rows)?)?;
    eprintln!("xtask fuzz: wrote {}", file.display());
    if rows.iter().any(|r| r["crashed"] == true) {
        bail!("a fuzz target failed; the input is in fuzz/artifacts/");
    }
    Ok(())
}

fn print_table(rows: &[Value]) {
    println!(
        "\n| target | seconds | seeds | corpus after | executions | execs/s | coverage (edges) | features | peak RSS MB | result |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r["target"].as_str().unwrap_or(""),
            r["seconds"],
            r["seeds"],
            r["corpus"],
            r["executions"],
            r["execs_per_sec"],
            r["coverage"],
            r["features"],
            r["peak_rss_mb"],
            if r["crashed"] == true { "FAILED" } else { "no failure" }
        );
    }
}
