//! Project automation that needs the real terraform CLI, the provider binary and the simulator
//! together, run as `cargo xtask <command>`:
//!
//! * `bench`: the scale benchmark of design.md §6 (issue 7) — apply, refresh and plan of N managed
//!   objects against the simulator at a set latency, next to N `terraform_data` resources, with
//!   request counts, provider start-up time and peak memory. Prints a table, writes JSON.
//! * `chaos`: the resilience run of design.md §7 (issue 8) — the complete example applied,
//!   changed and destroyed over and over under each fault profile, checking after every round
//!   that nothing is orphaned, duplicated or left unconverged.
//! * `fuzz`: a short cargo-fuzz run of every target in `fuzz/`, seeded from the test suite.
//!
//! None runs in the test suite: they take minutes and their figures are measurements, not
//! assertions (the suite counts requests, runs a few chaos rounds, and checks the fuzz seeds).

mod bench;
mod chaos;
mod common;
mod fuzz;

const USAGE: &str =
    "usage: cargo xtask bench [--n 100,500,2000] [--latency-ms 25] [--parallelism 10] [--keep] [--out FILE]
       cargo xtask chaos [--rounds 200] [--profiles a,b,...] [--seed N] [--jobs 3] [--release] [--verbose] [--out FILE]
       cargo xtask fuzz [--secs 60] [--targets dynamic_value,api_response,key_material,pkcs12]";

/// Per command: the flags that take a value, and the switches. Anything else (`--help` too) prints
/// the usage instead of starting a run that takes minutes.
const FLAGS: &[(&str, &[&str], &[&str])] = &[
    ("bench", &["--n", "--latency-ms", "--parallelism", "--out"], &["--keep"]),
    ("chaos", &["--rounds", "--profiles", "--seed", "--jobs", "--out"], &["--release", "--verbose"]),
    ("fuzz", &["--secs", "--targets"], &[]),
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
