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
//! * `quickstart`: what `scripts/quickstart.sh` runs ([`quickstart`]).
//!
//! Every command's options, with their defaults and the usage text, are declared once in
//! [`opts`].
//!
//! None of the first three runs in the test suite: they take minutes and their figures are
//! measurements, not assertions (the suite counts requests, runs a few chaos rounds, and checks
//! the fuzz seeds). `docs` is fast, and `tests/docs.rs` runs the same generator.

mod bench;
mod chaos;
mod common;
mod docs;
mod fuzz;
mod opts;
mod quickstart;

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
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match opts::Args::parse(&argv) {
        Ok(args) => args,
        Err(why) => {
            if !argv.iter().any(|a| a == "--help" || a == "-h") && !argv.is_empty() {
                eprintln!("{why}");
            }
            eprintln!("{}", opts::usage());
            std::process::exit(2);
        }
    };
    let result = match args.command() {
        "bench" => bench::run(&args),
        "chaos" => chaos::run(&args),
        "fuzz" => fuzz::run(&args),
        "docs" => write_docs(args.on("--check")),
        "quickstart" => quickstart::run(&args),
        other => unreachable!("{other} is declared in opts::COMMANDS but has no handler"),
    };
    if let Err(e) = result {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}
