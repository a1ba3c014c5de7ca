//! `cargo xtask bench`: the scale benchmark of ARCHITECTURE.md, "Targets".
//!
//! For each N it starts the simulator with a per-request latency, generates N managed objects in
//! a realistic mix (a few dozen scopes, many grants, clients with keys), and times `apply`,
//! `plan` (with refresh) and `plan -refresh=false`; then the same three for N `terraform_data`
//! resources, the baseline that shows what Terraform itself costs. API and token requests come
//! from the simulator's request log; the network floor is API requests ÷ parallelism × latency.
//! A third run applies the very same configuration to benches/floor_provider.rs — our schemas on
//! our protocol layer with no API behind them — the plugin floor: what Terraform spends on these
//! objects through any out-of-process provider, which `terraform_data` (built into Terraform)
//! never pays. The real provider's time above the floor is what it adds itself.
//! Provider start-up (spawn to schema served) comes from `cargo bench --bench startup`.

use crate::common::{
    Out, ProcSampler, ProcUsage, SimProc, Tf, build, build_plugin_floor, root, scratch, terraform, terraform_version,
};
use crate::opts::Args;
use anyhow::{Result, bail};
use serde_json::{Value, json};
use std::path::Path;
use workload::{baseline, config, mix, plugin_floor};

mod workload;

/// One terraform command, timed, with what its provider processes used and the simulator's
/// requests it caused.
struct Step {
    out: Out,
    usage: ProcUsage,
    api: usize,
    /// API requests that write (POST, PUT, DELETE).
    writes: usize,
    tokens: usize,
    /// Rounds of requests, one after another (see [`rounds`]).
    rounds: usize,
    by_path: Value,
}

/// How many rounds of requests ran one after another: arrivals sorted and grouped, a new round
/// starting with the first request that arrives a whole `latency_ms` or more after the first of
/// the current round. An upper bound on the requests that waited on each other: a request held
/// back by the concurrency limit, or by Terraform's pace, starts a round too. Each round costs at
/// least one latency however many requests it holds, which is what binds a refresh of few objects
/// (README, "Performance"). Zero without latency, where rounds cannot be told apart.
fn rounds(mut arrivals: Vec<u64>, latency_ms: u64) -> usize {
    if latency_ms == 0 {
        return 0;
    }
    arrivals.sort_unstable();
    let mut started: Option<u64> = None;
    let mut n = 0;
    for at in arrivals {
        if started.is_none_or(|s| at >= s + latency_ms) {
            started = Some(at);
            n += 1;
        }
    }
    n
}

/// Runs one command; the simulator's log of the requests it caused, with arrival times, is kept
/// in the work directory as `requests-<phase>.json` for whoever wants to see what waited on what.
fn step(tf: &Tf, sim: Option<(&SimProc, u64)>, phase: &str, args: &[&str]) -> Result<Step> {
    let sampler = ProcSampler::start();
    let out = tf.run(args)?;
    let usage = sampler.finish();
    if out.code != 0 {
        bail!("terraform {args:?} exited {}:\n{}\n{}", out.code, out.stdout, out.stderr);
    }
    let (mut api, mut writes, mut tokens, mut round_count) = (0, 0, 0, 0);
    let mut by_path: std::collections::BTreeMap<String, usize> = Default::default();
    if let Some((sim, latency_ms)) = sim {
        let log = sim.take_requests()?;
        std::fs::write(tf.dir().join(format!("requests-{phase}.json")), serde_json::to_vec_pretty(&log)?)?;
        round_count = rounds(log.iter().filter_map(|r| r["at_ms"].as_u64()).collect(), latency_ms);
        for r in log {
            let path = r["path"].as_str().unwrap_or("");
            api += usize::from(path.starts_with("/api/"));
            writes += usize::from(path.starts_with("/api/") && r["method"] != "GET");
            tokens += usize::from(path == "/token");
            // Client ids and orgnos vary; group by the shape of the path.
            let shape: Vec<&str> = path
                .split('/')
                .map(|s| if s.len() > 8 && s.bytes().any(|b| b.is_ascii_digit()) { "{id}" } else { s })
                .collect();
            *by_path.entry(format!("{} {}", r["method"].as_str().unwrap_or(""), shape.join("/"))).or_default() += 1;
        }
    }
    Ok(Step { out, usage, api, writes, tokens, rounds: round_count, by_path: json!(by_path) })
}

impl Step {
    fn report(&self) -> Value {
        json!({
            "secs": self.out.secs, "api_requests": self.api, "writes": self.writes, "token_requests": self.tokens, "request_rounds": self.rounds,
            "provider_cpu_secs": self.usage.cpu_secs, "provider_processes": self.usage.processes,
            "peak_rss_mib": self.usage.peak_rss_mib, "requests_by_path": self.by_path,
        })
    }
}

/// The three commands, each run on every side in turn (ours, the plugin floor, the baseline)
/// before the next command starts, so that the sides of one command are timed back to back.
fn phases(sides: &[(&Tf, Option<(&SimProc, u64)>)], p: usize) -> Result<Vec<Value>> {
    let par = format!("-parallelism={p}");
    let commands: [(&str, &[&str]); 3] = [
        ("apply", &["apply", "-auto-approve", "-input=false", &par]),
        ("refresh_plan", &["plan", "-input=false", "-detailed-exitcode", &par]),
        ("plan_no_refresh", &["plan", "-input=false", "-detailed-exitcode", "-refresh=false", &par]),
    ];
    let mut steps: Vec<Vec<Step>> = sides.iter().map(|_| vec![]).collect();
    for (phase, args) in commands {
        for ((tf, sim), done) in sides.iter().zip(steps.iter_mut()) {
            done.push(step(tf, *sim, phase, args)?);
        }
    }
    Ok(steps
        .iter()
        .map(|done| {
            let peak = done.iter().map(|s| s.usage.peak_rss_mib).fold(0.0, f64::max);
            let mut out = json!({"peak_rss_mib": peak});
            for ((phase, _), s) in commands.iter().zip(done) {
                out[*phase] = s.report();
            }
            out
        })
        .collect())
}

/// Ours ÷ limit for `phase`, run by run, and the median of those (the upper middle one for an
/// even count). Each run times ours and the plugin floor of one command back to back ([`phases`]),
/// so pairing them cancels what the shared machine does between runs
/// (its speed drifts by a fifth within a bench, and a median of ours over a median of the floor
/// taken from different runs carries that drift into the ratio). The limit's network share is
/// each run's own: `count` (API requests or writes) ÷ parallelism × latency.
fn paired_ratio(os: &[Value], fs: &[Value], phase: &str, count: &str, p: usize, latency_ms: u64) -> f64 {
    let mut ratios: Vec<f64> = os
        .iter()
        .zip(fs)
        .filter_map(|(o, f)| {
            let net = o[phase][count].as_f64()? / p as f64 * latency_ms as f64 / 1000.0;
            Some(o[phase]["secs"].as_f64()? / (f[phase]["secs"].as_f64()? + net))
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The first run's figures, with each command's time the median over all runs (the times of
/// every run kept beside it as `secs_runs`).
fn median(runs: &[Value]) -> Value {
    let mut out = runs[0].clone();
    for phase in ["apply", "refresh_plan", "plan_no_refresh"] {
        let mut secs: Vec<f64> = runs.iter().filter_map(|r| r[phase]["secs"].as_f64()).collect();
        out[phase]["secs_runs"] = json!(secs);
        secs.sort_by(f64::total_cmp);
        out[phase]["secs"] = json!(secs[secs.len() / 2]);
    }
    out
}

pub fn run(args: &Args) -> Result<()> {
    let ns: Vec<usize> = args.list("--n")?.unwrap_or_default();
    let latency: u64 = args.get("--latency-ms")?;
    let p: usize = args.get("--parallelism")?;
    let reps: usize = args.get("--reps")?;
    // Unset `scopes` ("none") measures the provider learning them call by call: one more token
    // and, since the client area is then unknown until a client is read, one more round trip.
    let admin_scopes: Vec<String> = match args.text("--admin-scopes").trim() {
        "none" | "" => vec![],
        list => list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect(),
    };
    let out_file = root().join(args.text("--out"));
    let bin = build(true)?;
    build_plugin_floor(&bin)?;
    let terraform = terraform()?;
    let startup = startup()?;
    let mut rows = vec![];
    for &n in &ns {
        eprintln!("xtask bench: N = {n}");
        // Small runs are short and noisy: each side runs `reps` times, from scratch, and the
        // median of each command counts.
        let reps = if n <= 500 { reps } else { 1 };
        let (mut os, mut fs, mut bs) = (vec![], vec![], vec![]);
        let mut dirs = vec![];
        for rep in 0..reps {
            let dir = scratch(&format!("bench-{n}-{rep}"))?;
            let sim = SimProc::start(
                &bin,
                &dir.join("sim"),
                &["--org", "991825827:bench", "--latency-ms", &latency.to_string()],
            )?;
            let key = std::fs::read_to_string(sim.dir.join("example-client.pub.pem"))?;
            // As many requests in flight as Terraform runs operations, so the floor below holds.
            let mut env = sim.env_for("991825827")?;
            env.push(("MASKINPORTEN_MAX_CONCURRENT_REQUESTS".into(), p.to_string()));
            let ours = Tf::with_floor(&dir.join("ours"), &terraform, &bin, env)?;
            ours.write(&config(n, &key, &admin_scopes))?;
            let null = Tf::with_floor(&dir.join("plugin-floor"), &terraform, &bin, vec![])?;
            null.write(&plugin_floor(n, &key, &admin_scopes))?;
            let base = Tf::with_floor(&dir.join("baseline"), &terraform, &bin, vec![])?;
            base.write(&baseline(n))?;
            let mut sides = phases(&[(&ours, Some((&sim, latency))), (&null, None), (&base, None)], p)?.into_iter();
            let (Some(o), Some(f), Some(b)) = (sides.next(), sides.next(), sides.next()) else {
                bail!("three sides measured");
            };
            os.push(o);
            fs.push(f);
            bs.push(b);
            dirs.push(dir);
        }
        let (o, f, b) = (median(&os), median(&fs), median(&bs));
        let (scopes, grants, clients, keys) = mix(n);
        let floor = |phase: &str| o[phase]["api_requests"].as_f64().unwrap_or(0.0) / p as f64 * latency as f64 / 1000.0;
        let secs = |side: &Value, phase: &str| side[phase]["secs"].as_f64().unwrap_or(0.0);
        // What a plugin can reach (ARCHITECTURE.md, "Targets"): the plugin floor plus the network's
        // share — every request of the refresh, or every write of the apply — at Terraform's
        // parallelism.
        let writes_floor = o["apply"]["writes"].as_f64().unwrap_or(0.0) / p as f64 * latency as f64 / 1000.0;
        let refresh_limit = secs(&f, "refresh_plan") + floor("refresh_plan");
        let apply_limit = secs(&f, "apply") + writes_floor;
        let ratio_to = |base: &Value, phase: &str| {
            o[phase]["secs"].as_f64().unwrap_or(0.0) / base[phase]["secs"].as_f64().unwrap_or(1.0)
        };
        let ratio = |phase: &str| ratio_to(&b, phase);
        let refresh_target = 1.5 * b["refresh_plan"]["secs"].as_f64().unwrap_or(0.0) + floor("refresh_plan");
        rows.push(json!({
            "n": n, "scopes": scopes, "grants": grants, "clients": clients, "keys": keys,
            "ours": o, "plugin_floor": f, "terraform_data": b,
            "floor_secs": {"apply": floor("apply"), "refresh_plan": floor("refresh_plan")},
            "ratio": {"apply": ratio("apply"), "refresh_plan": ratio("refresh_plan"), "plan_no_refresh": ratio("plan_no_refresh")},
            "ratio_to_plugin_floor": {"apply": ratio_to(&f, "apply"), "refresh_plan": ratio_to(&f, "refresh_plan"),
                "plan_no_refresh": ratio_to(&f, "plan_no_refresh")},
            "refresh_target_secs": refresh_target,
            "limits": {
                "refresh_plan": {"secs": refresh_limit, "ratio": paired_ratio(&os, &fs, "refresh_plan", "api_requests", p, latency),
                    "ratio_of_medians": secs(&o, "refresh_plan") / refresh_limit, "target": 1.15},
                "apply": {"secs": apply_limit, "ratio": paired_ratio(&os, &fs, "apply", "writes", p, latency),
                    "ratio_of_medians": secs(&o, "apply") / apply_limit, "target": 1.25},
            },
            "refresh_request_budget": scopes + clients + 1,
        }));
        if !args.on("--keep") {
            dirs.iter().for_each(|d| drop(std::fs::remove_dir_all(d)));
        }
    }
    let report = json!({
        "machine": machine(),
        "terraform": terraform_version(&terraform),
        "latency_ms": latency,
        "parallelism": p,
        "admin_scopes": admin_scopes,
        "startup": startup,
        "rows": rows,
    });
    print_table(&report);
    if let Some(d) = Path::new(&out_file).parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(&out_file, serde_json::to_string_pretty(&report)?)?;
    eprintln!("xtask bench: wrote {}", Path::new(&out_file).display());
    Ok(())
}

/// Spawn to schema served, and the provider's memory then, from `cargo bench --bench startup`.
fn startup() -> Result<Value> {
    let file = root().join("target/bench/startup.json");
    let status = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root())
        .args(["bench", "--quiet", "--bench", "startup", "--", "--json"])
        .arg(&file)
        .status()?;
    if !status.success() {
        bail!("cargo bench --bench startup failed");
    }
    Ok(serde_json::from_str(&std::fs::read_to_string(file)?)?)
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<u64>().ok()))
        .map_or(0, |kib| kib / 1024 / 1024);
    json!({"cpus": std::thread::available_parallelism().map_or(0, |n| n.get()), "cpu": cpu, "memory_gib": mem})
}

fn print_table(r: &Value) {
    let f = |v: &Value| v.as_f64().unwrap_or(0.0);
    println!(
        "\nmachine: {} cores, {} · terraform {} · latency {} ms · parallelism {}",
        r["machine"]["cpus"],
        r["machine"]["cpu"].as_str().unwrap_or(""),
        r["terraform"].as_str().unwrap_or(""),
        r["latency_ms"],
        r["parallelism"]
    );
    println!(
        "provider start to schema served: median {:.1} ms (min {:.1}, max {:.1}, {} runs); RSS then {:.1} MiB\n",
        f(&r["startup"]["median_ms"]),
        f(&r["startup"]["min_ms"]),
        f(&r["startup"]["max_ms"]),
        r["startup"]["runs"],
        f(&r["startup"]["rss_mib"])
    );
    let secs = |side: &Value, phase: &str| f(&side[phase]["secs"]);
    println!(
        "Seconds per command: ours / plugin floor (same configuration and schemas, no API) / terraform_data; the limit is what a plugin can reach\n(refresh: plugin floor + requests ÷ parallelism × latency; apply: plugin floor + writes ÷ parallelism × latency).\nSeconds are medians over the runs; the ratio is the median of each run's ours ÷ limit, ours and floor of the same run paired.\n"
    );
    println!(
        "| N | scopes/grants/clients/keys | apply | apply limit (ratio, target ≤ 1.25) | refresh plan | refresh limit (ratio, target ≤ 1.15) | plan -refresh=false |"
    );
    println!("|---|---|---|---|---|---|---|");
    for row in r["rows"].as_array().into_iter().flatten() {
        let (o, n, b) = (&row["ours"], &row["plugin_floor"], &row["terraform_data"]);
        let three = |phase: &str| format!("{:.2} / {:.2} / {:.2}", secs(o, phase), secs(n, phase), secs(b, phase));
        let limit = |phase: &str| {
            let l = &row["limits"][phase];
            let mark = if f(&l["ratio"]) <= f(&l["target"]) { "met" } else { "missed" };
            format!(
                "{:.2} ({:.2}×, {mark}; of medians {:.2}×)",
                f(&l["secs"]),
                f(&l["ratio"]),
                f(&l["ratio_of_medians"])
            )
        };
        println!(
            "| {} | {}/{}/{}/{} | {} | {} | {} | {} | {} |",
            row["n"],
            row["scopes"],
            row["grants"],
            row["clients"],
            row["keys"],
            three("apply"),
            limit("apply"),
            three("refresh_plan"),
            limit("refresh_plan"),
            three("plan_no_refresh"),
        );
    }
    println!(
        "\n| N | API requests: apply (writes) / refresh plan (budget: scopes + clients + 1) / plan -refresh=false | token requests: apply / refresh / no refresh | refresh: rounds of requests in a row | provider CPU s in the refresh plan (plugin floor) | provider processes per plan | peak RSS MiB |"
    );
    println!("|---|---|---|---|---|---|---|");
    for row in r["rows"].as_array().into_iter().flatten() {
        let (o, n) = (&row["ours"], &row["plugin_floor"]);
        println!(
            "| {} | {} ({}) / {} ({}) / {} | {} / {} / {} | {} | {:.2} ({:.2}) | {} | {:.1} |",
            row["n"],
            o["apply"]["api_requests"],
            o["apply"]["writes"],
            o["refresh_plan"]["api_requests"],
            row["refresh_request_budget"],
            o["plan_no_refresh"]["api_requests"],
            o["apply"]["token_requests"],
            o["refresh_plan"]["token_requests"],
            o["plan_no_refresh"]["token_requests"],
            o["refresh_plan"]["request_rounds"],
            f(&o["refresh_plan"]["provider_cpu_secs"]),
            f(&n["refresh_plan"]["provider_cpu_secs"]),
            o["refresh_plan"]["provider_processes"],
            f(&o["peak_rss_mib"]),
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rounds_count_requests_that_waited_on_earlier_ones() {
        // Metadata and token side by side, six lists, a token, a list: four rounds at 25 ms.
        assert_eq!(super::rounds(vec![101, 0, 0, 28, 28, 29, 28, 30, 28, 72], 25), 4);
        // Requests less than a latency after a round's first share it: five in 40 ms make two.
        assert_eq!(super::rounds(vec![0, 10, 20, 30, 40], 25), 2);
        assert_eq!(super::rounds(vec![], 25), 0);
        assert_eq!(super::rounds(vec![0, 10], 0), 0, "no latency, no rounds to tell apart");
    }
}
