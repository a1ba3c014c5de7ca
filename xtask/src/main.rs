//! Project automation that needs the real terraform CLI, the provider binary and the simulator
//! together, run as `cargo xtask <command>`:
//!
//! * `bench`: the scale benchmark of ARCHITECTURE.md, "Targets" (issue 7) — apply, refresh and
//!   plan of N managed objects against the simulator at a set latency, next to N `terraform_data`
//!   resources, with request counts, provider start-up time and peak memory. Prints a table,
//!   writes JSON.
//! * `chaos`: the resilience run of ARCHITECTURE.md, "Reliability" (issue 8) — the complete
//!   example applied, changed and destroyed over and over under each fault profile, checking after
//!   every round that nothing is orphaned, duplicated or left unconverged.
//! * `fuzz`: a short cargo-fuzz run of every target in `fuzz/`, seeded from the test suite.
//! * `docs`: writes the reference pages under `docs/` from the provider's schema and the
//!   templates in `docs/templates/` ([`docs`]); `--check` only reports pages that differ.
//!
//! None of the first three runs in the test suite: they take minutes and their figures are
//! measurements, not assertions (the suite counts requests, runs a few chaos rounds, and checks
//! the fuzz seeds). `docs` is fast, and `tests/docs.rs` runs the same generator.

mod bench;
mod chaos;
mod common;
mod docs;
mod fuzz;

const USAGE: &str =
    "usage: cargo xtask bench [--n 100,500,2000] [--latency-ms 25] [--parallelism 10] [--reps 3] [--keep] [--out FILE]
       cargo xtask chaos [--rounds 200] [--profiles a,b,...] [--seed N] [--jobs 3] [--release] [--verbose] [--out FILE]
       cargo xtask fuzz [--secs 60] [--targets dynamic_value,api_response,key_material,pkcs12]
       cargo xtask docs [--check]   write docs/ from the schema and docs/templates/ (--check: exit 1 when a page differs)";

/// Per command: the flags that take a value, and the switches. Anything else (`--help` too) prints
/// the usage instead of starting a run that takes minutes.
const FLAGS: &[(&str, &[&str], &[&str])] = &[
    ("bench", &["--n", "--latency-ms", "--parallelism", "--reps", "--out"], &["--keep"]),
    ("chaos", &["--rounds", "--profiles", "--seed", "--jobs", "--out"], &["--release", "--verbose"]),
    ("fuzz", &["--secs", "--targets"], &[]),
    ("docs", &[], &["--check"]),
];

/// The first argument of `rest` the command does not know, if any.
fn unknown_arg<'a>(command: &str, rest: &'a [String]) -> Option<&'a str> {
    let (_, values, switches) = FLAGS.iter().find(|(c, _, _)| *c == command)?;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        if values.contains(&a.as_str()) {
            if it.next().is_none() {
                return Some(a);
            }
        } else if !switches.contains(&a.as_str()) {
            return Some(a);
        }
    }
    None
}

/// `cargo xtask docs`: write every generated page, or with `check` only name those that differ
/// (exit 1), as `tests/docs.rs` does.
fn write_docs(check: bool) -> anyhow::Result<()> {
    let root = common::root();
    if check {
        let stale = docs::stale(&root);
        if stale.is_empty() {
            return Ok(());
        }
        anyhow::bail!("the docs are out of date; run `cargo xtask docs`:\n  {}", stale.join("\n  "));
    }
    let mut written = 0;
    for (path, text) in docs::render_all(&root) {
        let full = root.join(&path);
        if std::fs::read_to_string(&full).ok().as_deref() != Some(text.as_str()) {
            std::fs::create_dir_all(full.parent().expect("a page has a directory"))?;
            std::fs::write(&full, text)?;
            eprintln!("xtask docs: wrote {}", path.display());
            written += 1;
        }
    }
    for problem in docs::stale(&root) {
        eprintln!("xtask docs: {problem}");
    }
    eprintln!("xtask docs: {written} page(s) written");
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(cmd) = args.first()
        && let Some(bad) = unknown_arg(cmd, &args[1..])
    {
        if bad != "--help" && bad != "-h" {
            eprintln!("xtask {cmd}: unexpected argument {bad:?} (or a flag without its value)");
        }
        eprintln!("{USAGE}");
        std::process::exit(2);
    }
    let result = match args.first().map(String::as_str) {
        Some("bench") => bench::run(&args[1..]),
        Some("chaos") => chaos::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("docs") => write_docs(args[1..].iter().any(|a| a == "--check")),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}
