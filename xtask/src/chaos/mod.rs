//! `cargo xtask chaos`: the resilience run of ARCHITECTURE.md, "Reliability" (issue 8).
//!
//! For each fault profile, a fresh simulator (two organisations, each granted its side's usual
//! admin scopes, as in the README walkthrough) and a working directory per half of
//! examples/complete/; then rounds of: apply both halves, apply a change to both, plan, destroy
//! — each terraform command repeated while it fails, as a user would. After every command it
//! compares the simulator's store with both state files ([`audit`]):
//!
//! * orphan: an object active in the simulator that is neither in state nor named by a failed
//!   create (which lists the candidates to import);
//! * duplicate: two active objects where the configuration has one;
//! * mismatch: state that disagrees with the simulator after a successful apply;
//! * non-converged: a round whose plan after the change was not empty, or whose commands never
//!   succeeded.
//!
//! Totals per profile are printed and written as JSON; the exit code is 1 when any is non-zero.

mod audit;

use crate::common::{Out, SimProc, Tf, build, root, scratch, terraform, terraform_version};
use crate::opts::Args;
use anyhow::{Result, bail};
use audit::{audit, mismatches};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const PROVIDER_ORG: &str = "991825827";
const CONSUMER_ORG: &str = "889640782";
/// How often one terraform command is repeated while it fails under faults.
const ATTEMPTS: usize = 8;
/// Every command's debug log, in its half's work directory (`TF_LOG_PATH`); see [`run_counted`].
const COMMAND_LOG: &str = "command.log";

/// The fault profiles: name and the simulator's fault settings (`PUT /__sim/faults`).
fn profiles() -> Vec<(&'static str, Value)> {
    vec![
        ("429", json!({"rate_429": 0.06, "retry_after_secs": 1})),
        ("5xx", json!({"rate_5xx": 0.08})),
        ("drop-before", json!({"rate_drop_before": 0.08})),
        ("lost-after-commit", json!({"rate_drop_after_commit": 0.05, "rate_lost_after_commit": 0.04})),
        ("consistency", json!({"consistency_delay_ms": 2000})),
        (
            "mixed",
            json!({"rate_429": 0.04, "retry_after_secs": 1, "rate_5xx": 0.04, "rate_drop_before": 0.04,
                   "rate_drop_after_commit": 0.03, "rate_lost_after_commit": 0.03, "consistency_delay_ms": 1000}),
        ),
    ]
}

#[derive(Default)]
struct Tally {
    rounds: u64,
    commands: u64,
    failed_commands: u64,
    injected: u64,
    orphans: u64,
    duplicates: u64,
    mismatches: u64,
    non_converged: u64,
    listed_candidates: u64,
    notes: Vec<String>,
}

pub fn run(args: &Args) -> Result<()> {
    let rounds: u64 = args.get("--rounds")?;
    let seed: u64 = args.get("--seed")?;
    let wanted: Option<Vec<String>> = args.list("--profiles")?;
    let out_file = root().join(args.text("--out"));
    let bin = build(args.on("--release"))?;
    let terraform = terraform()?;
    let jobs: usize = args.get("--jobs")?;
    let known = profiles();
    if let Some(unknown) = wanted.iter().flatten().find(|w| !known.iter().any(|(n, _)| n == w)) {
        let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
        bail!("no chaos profile {unknown:?}; there are {}", names.join(", "));
    }
    let chosen: Vec<(&str, Value)> =
        known.into_iter().filter(|(n, _)| wanted.as_ref().is_none_or(|w| w.iter().any(|x| x == n))).collect();
    // Profiles are independent (own simulator, own directory): run a few at once.
    let mut results = vec![];
    for batch in chosen.chunks(jobs.max(1)) {
        let done: Vec<Result<(Tally, f64)>> = std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .iter()
                .map(|(name, faults)| {
                    let (bin, terraform) = (&bin, &terraform);
                    s.spawn(move || {
                        let started = std::time::Instant::now();
                        profile(bin, terraform, name, faults, rounds, seed)
                            .map(|t| (t, started.elapsed().as_secs_f64()))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("profile thread panicked"))))
                .collect()
        });
        for ((name, faults), r) in batch.iter().zip(done) {
            results.push((*name, faults.clone(), r?));
        }
    }
    let mut report = vec![];
    let mut bad = false;
    let verbose = args.on("--verbose");
    for (name, faults, (t, secs)) in results {
        eprintln!(
            "xtask chaos: {name}: {} rounds, {} injected faults, {} orphans, {} duplicates, {} mismatches, {} non-converged ({secs:.0} s)",
            t.rounds, t.injected, t.orphans, t.duplicates, t.mismatches, t.non_converged
        );
        bad |= t.orphans + t.duplicates + t.mismatches + t.non_converged > 0;
        if verbose {
            for n in &t.notes {
                eprintln!("  {name}: {n}");
            }
        }
        report.push(json!({
            "profile": name, "faults": faults, "rounds": t.rounds, "terraform_commands": t.commands,
            "failed_commands": t.failed_commands, "injected_faults": t.injected, "orphans": t.orphans,
            "duplicates": t.duplicates, "mismatches": t.mismatches, "non_converged": t.non_converged,
            "listed_candidates": t.listed_candidates, "seconds": secs, "notes": t.notes,
        }));
    }
    println!("\nterraform {} · seed {seed}", terraform_version(&terraform));
    println!(
        "| profile | rounds | terraform commands (failed, repeated) | injected faults | orphans | duplicates | state mismatches | non-converged rounds |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in &report {
        println!(
            "| {} | {} | {} ({}) | {} | {} | {} | {} | {} |",
            r["profile"].as_str().unwrap_or(""),
            r["rounds"],
            r["terraform_commands"],
            r["failed_commands"],
            r["injected_faults"],
            r["orphans"],
            r["duplicates"],
            r["mismatches"],
            r["non_converged"]
        );
    }
    if let Some(d) = std::path::Path::new(&out_file).parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(&out_file, serde_json::to_string_pretty(&json!({"seed": seed, "profiles": report}))?)?;
    if bad {
        bail!(
            "orphans, duplicates, mismatches or non-converged rounds found (see {})",
            std::path::Path::new(&out_file).display()
        );
    }
    Ok(())
}

/// One half of the complete example as round `r` configures it: `changed` alters descriptions
/// and a lifetime.
fn example(half: &str, r: u64, changed: bool) -> Result<String> {
    let text = std::fs::read_to_string(root().join(format!("examples/complete/{half}/main.tf")))?;
    let v = if changed { format!(" (round {r}, changed)") } else { String::new() };
    let age = if changed { "at_max_age                = 600" } else { "at_max_age                = 300" };
    let out = text
        .replace("\"Read access to the orders API\"", &format!("\"Read access to the orders API{v}\""))
        .replace("\"Reads orders from the demo API\"", &format!("\"Reads orders from the demo API{v}\""))
        .replace("at_max_age                = 300", age);
    if out == text && changed {
        bail!("examples/complete/{half}/main.tf changed shape; update xtask chaos");
    }
    Ok(out)
}

fn profile(
    bin: &std::path::Path,
    terraform: &std::path::Path,
    name: &str,
    faults: &Value,
    rounds: u64,
    seed: u64,
) -> Result<Tally> {
    let dir = scratch(&format!("chaos-{name}"))?;
    let (provider_org, consumer_org) =
        (format!("{PROVIDER_ORG}:demo@scopes.read,scopes.write"), format!("{CONSUMER_ORG}@dcr.read,dcr.write"));
    let sim = SimProc::start(bin, &dir.join("sim"), &["--org", &provider_org, "--org", &consumer_org])?;
    // Every command logs at debug level to one file per half; a failed command's log is kept
    // (see `run_counted`).
    let logging = |mut env: Vec<(String, String)>, half: &str| {
        env.push(("TF_LOG".into(), "debug".into()));
        env.push(("TF_LOG_PATH".into(), dir.join(half).join(COMMAND_LOG).display().to_string()));
        env
    };
    let mut env = sim.env_for(PROVIDER_ORG)?;
    env.push(("TF_VAR_consumer_orgno".into(), CONSUMER_ORG.into()));
    let provider = Tf::new(&dir.join("api-provider"), terraform, bin, logging(env, "api-provider"))?;
    let mut env = sim.env_for(CONSUMER_ORG)?;
    env.push(("TF_VAR_scope".into(), "demo:orders.read".into()));
    env.push(("TF_VAR_client_public_key_pem".into(), std::fs::read_to_string(sim.dir.join("example-client.pub.pem"))?));
    let consumer = Tf::new(&dir.join("api-consumer"), terraform, bin, logging(env, "api-consumer"))?;
    let both = [&provider, &consumer];
    let mut f = faults.clone();
    f["seed"] = json!(seed);
    sim.put("/__sim/faults", &f)?;
    let mut t = Tally::default();
    let before = injected(&sim)?;
    for r in 0..rounds {
        t.rounds += 1;
        let mut listed = BTreeSet::new();
        let mut ok = true;
        for step in ["create", "change", "destroy"] {
            // The provider's half first on the way up (the grant comes before the client that
            // uses it), the consumer's first on the way down.
            let order = if step == "destroy" { [&consumer, &provider] } else { [&provider, &consumer] };
            for tf in order {
                let half = if std::ptr::eq(tf, &provider) { "api-provider" } else { "api-consumer" };
                let args: &[&str] = if step == "destroy" {
                    &["destroy", "-auto-approve", "-input=false"]
                } else {
                    tf.write(&example(half, r, step == "change")?)?;
                    &["apply", "-auto-approve", "-input=false"]
                };
                ok &= repeat(tf, &both, &sim, args, &mut t, &mut listed, &format!("round {r} {step} {half}"))?;
                if !ok {
                    break;
                }
            }
            if ok && step != "destroy" {
                t.mismatches += mismatches(&both, &sim, &mut t.notes, &format!("round {r} {step}"))?;
            }
            if ok && step == "change" {
                for tf in both {
                    ok &= converged(tf, &mut t, &format!("round {r}"))?;
                }
            }
            if !ok {
                break;
            }
        }
        if !ok {
            t.non_converged += 1;
            cleanup(&both, &sim, &f)?;
        }
        // Candidates a failed create listed for import are the user's to resolve; resolve them
        // here (deactivate) so the next round starts clean.
        t.listed_candidates += listed.len() as u64;
        retire(&sim, &listed, &f)?;
        if (r + 1) % 10 == 0 {
            eprintln!(
                "xtask chaos: {name}: {} rounds, {} orphans, {} duplicates so far",
                r + 1,
                t.orphans,
                t.duplicates
            );
        }
    }
    t.injected = injected(&sim)? - before;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(t)
}

/// Faults injected so far, stale reads served by the lagging replica included.
fn injected(sim: &SimProc) -> Result<u64> {
    let f = sim.get("/__sim/faults")?;
    Ok(f["injected"].as_u64().unwrap_or(0) + f["injected_by_kind"]["stale_read"].as_u64().unwrap_or(0))
}

/// Run a terraform command in one half until it succeeds (at most [`ATTEMPTS`] times), checking
/// both halves for orphans and duplicates after every attempt.
fn repeat(
    tf: &Tf,
    both: &[&Tf],
    sim: &SimProc,
    args: &[&str],
    t: &mut Tally,
    listed: &mut BTreeSet<String>,
    what: &str,
) -> Result<bool> {
    for _ in 0..ATTEMPTS {
        let (out, kept) = run_counted(tf, args, &[0], t, what)?;
        if let Some(kept) = kept {
            let text = format!("{}{}", out.stdout, out.stderr);
            // Each error with its detail (up to the next blank line after it), so a note says
            // which resource and attribute, not only the summary.
            let lines: Vec<&str> = text.lines().collect();
            let why: Vec<String> = (0..lines.len())
                .filter(|&i| lines[i].starts_with("Error: "))
                .map(|i| {
                    let detail = lines[i + 1..].iter().skip_while(|l| l.trim().is_empty());
                    let detail: Vec<&str> = detail.take_while(|l| !l.trim().is_empty()).map(|l| l.trim()).collect();
                    format!("{} — {}", lines[i], detail.join(" "))
                })
                .collect();
            t.notes.push(format!("{what}: terraform {} failed (repeated; log {kept}): {}", args[0], why.join(" | ")));
            // A failed create names the candidates to import (client ids, scope names).
            for word in text.split(|c: char| c.is_whitespace() || c == '"') {
                if word.len() == 36 && word.matches('-').count() == 4 {
                    listed.insert(word.to_string());
                }
            }
        }
        let (orphans, dups) = audit(both, sim, listed)?;
        for o in &orphans {
            t.notes.push(format!("{what}: orphan {o}"));
        }
        for d in &dups {
            t.notes.push(format!("{what}: duplicate {d}"));
        }
        t.orphans += orphans.len() as u64;
        t.duplicates += dups.len() as u64;
        if out.code == 0 {
            return Ok(true);
        }
    }
    t.notes.push(format!("{what}: terraform {args:?} failed {ATTEMPTS} times"));
    Ok(false)
}

/// Run one terraform command and count it. One that exits with a code not in `ok` is counted as
/// failed and its debug log is kept; the second value says where (`None`: it did not fail).
fn run_counted(tf: &Tf, args: &[&str], ok: &[i32], t: &mut Tally, what: &str) -> Result<(Out, Option<String>)> {
    t.commands += 1;
    let log = tf.dir().join(COMMAND_LOG);
    let _ = std::fs::remove_file(&log);
    let out = tf.run(args)?;
    if ok.contains(&out.code) {
        return Ok((out, None));
    }
    t.failed_commands += 1;
    let run = tf.dir().parent().and_then(|d| d.file_name()).map(|d| d.to_string_lossy().into_owned());
    Ok((out, Some(keep_log(&log, &format!("{} {what} {} {}", run.unwrap_or_default(), args[0], t.failed_commands)))))
}

/// Keep a failed command's debug log (terraform's and the provider's) under `target/chaos/logs/`,
/// named after the round and step, for reading after the run; returns where it went.
fn keep_log(log: &std::path::Path, what: &str) -> String {
    let name: String = what.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let to = root().join("target/chaos/logs").join(format!("{name}.log"));
    let kept = std::fs::create_dir_all(to.parent().unwrap_or(&to)).and_then(|()| std::fs::copy(log, &to));
    match kept {
        Ok(_) => to.display().to_string(),
        Err(e) => format!("not kept: {e}"),
    }
}

/// The plan after a successful apply must be empty; a plan that errors under faults is repeated.
fn converged(tf: &Tf, t: &mut Tally, what: &str) -> Result<bool> {
    for _ in 0..ATTEMPTS {
        let (out, kept) = run_counted(tf, &["plan", "-input=false", "-detailed-exitcode"], &[0, 2], t, what)?;
        match (out.code, kept) {
            (0, _) => return Ok(true),
            (2, _) => {
                t.notes.push(format!("{what}: plan not empty:\n{}", out.stdout));
                return Ok(false);
            }
            (_, kept) => t.notes.push(format!("{what}: plan failed (repeated; log {})", kept.unwrap_or_default())),
        }
    }
    t.notes.push(format!("{what}: plan failed {ATTEMPTS} times"));
    Ok(false)
}

/// Faults off, destroy whatever is left (the consumer's half first), faults back on: the next
/// round starts clean.
fn cleanup(both: &[&Tf; 2], sim: &SimProc, faults: &Value) -> Result<()> {
    sim.put("/__sim/faults", &json!({}))?;
    for tf in both.iter().rev() {
        let _ = tf.run(&["destroy", "-auto-approve", "-input=false"])?;
    }
    sim.put("/__sim/faults", faults)?;
    Ok(())
}

/// Deactivate objects a failed create listed as candidates (what the user would do after
/// importing the right one), with faults off.
fn retire(sim: &SimProc, listed: &BTreeSet<String>, faults: &Value) -> Result<()> {
    if listed.is_empty() {
        return Ok(());
    }
    sim.put("/__sim/faults", &json!({}))?;
    let state = sim.get("/__sim/state")?;
    for id in listed {
        let owner = state["clients"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["client_id"] == id.as_str())
            .map(|c| c["owner_orgno"].clone());
        if let Some(org) = owner.and_then(|o| o.as_str().map(String::from)) {
            sim.authed(&org, "DELETE", &format!("/api/v1/clients/{id}"))?;
        }
    }
    sim.put("/__sim/faults", faults)?;
    Ok(())
}
