//! `cargo xtask quickstart`, which `scripts/quickstart.sh` runs: build the provider and the
//! simulator, start the simulator with two organisations holding the admin scopes Digdir
//! typically hands out to each side, `terraform apply` both halves of `examples/complete/` (the
//! API provider's, then the API consumer's), show what Terraform and the simulator hold, and
//! prove that `plan -detailed-exitcode` exits 0 for both, as a drift-detection job checks.
//!
//! It uses the same pieces as `bench` and `chaos` (the dev kit's terraform and working
//! directories, [`SimProc`]), so the first thing a newcomer runs is what the tools measure.

use crate::common::{SimProc, Tf, build, root, terraform, terraform_version};
use crate::opts::Args;
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::Path;

/// The API provider: scopes under the prefix "demo"; `scopes.read` and `scopes.write`.
const PROVIDER_ORG: &str = "991825827";
/// The API consumer: clients; `dcr.read` and `dcr.write`.
const CONSUMER_ORG: &str = "889640782";

fn step(what: &str) {
    eprintln!("\x1b[1m==> {what}\x1b[0m");
}

pub fn run(args: &Args) -> Result<()> {
    let keep = args.on("--keep");
    step("terraform");
    let terraform = terraform()?;
    eprintln!("Terraform {} ({})", terraform_version(&terraform), terraform.display());
    step("building the provider and the simulator");
    let bin = build(false)?;

    let work = root().join(".quickstart");
    let _ = std::fs::remove_dir_all(&work);
    for half in ["api-provider", "api-consumer"] {
        copy_dir(&root().join("examples/complete").join(half), &work.join(half))?;
    }
    step("starting the simulator");
    let sim = SimProc::start(
        &bin,
        &work.join("sim"),
        &[
            "--org",
            &format!("{PROVIDER_ORG}:demo@scopes.read,scopes.write"),
            "--org",
            &format!("{CONSUMER_ORG}@dcr.read,dcr.write"),
        ],
    )?;
    eprintln!("simulator at {} (log in {})", sim.url(), sim.dir.join("sim.log").display());

    let mut env = sim.env_for(PROVIDER_ORG)?;
    env.push(("TF_VAR_consumer_orgno".into(), CONSUMER_ORG.into()));
    let provider = Tf::new(&work.join("api-provider"), &terraform, &bin, env)?;
    step(&format!("API provider ({PROVIDER_ORG}): terraform apply"));
    shown(&provider, &["apply", "-auto-approve", "-input=false"])?;
    let scope = provider.run(&["output", "-raw", "scope"])?;
    if scope.code != 0 {
        bail!("terraform output scope: {}", scope.stderr);
    }
    let scope = scope.stdout.trim().to_string();

    step(&format!("API consumer ({CONSUMER_ORG}): terraform apply, using {scope}"));
    let public_key = std::fs::read_to_string(sim.dir.join("example-client.pub.pem"))?;
    let mut env = sim.env_for(CONSUMER_ORG)?;
    env.push(("TF_VAR_scope".into(), scope));
    env.push(("TF_VAR_client_public_key_pem".into(), public_key));
    let consumer = Tf::new(&work.join("api-consumer"), &terraform, &bin, env)?;
    shown(&consumer, &["apply", "-auto-approve", "-input=false"])?;

    step("what Terraform manages");
    shown(&provider, &["state", "list"])?;
    shown(&consumer, &["state", "list"])?;
    step("what the simulator holds");
    print_store(&sim.get("/__sim/state")?);

    step("second plans (expect: No changes, exit code 0, as a drift-detection job checks)");
    shown(&provider, &["plan", "-input=false", "-detailed-exitcode"])?;
    shown(&consumer, &["plan", "-input=false", "-detailed-exitcode"])?;

    if keep {
        let (url, dir) = (sim.url(), sim.dir.clone());
        let pid = sim.detach();
        eprintln!(
            "\nThe simulator at {url} keeps running (pid {pid}). To continue by hand, as the API provider:\n  \
             cd {}\n  while IFS= read -r l; do [ -n \"$l\" ] && export \"$l\"; done < {}\n  \
             export TF_CLI_CONFIG_FILE={} TF_VAR_consumer_orgno={CONSUMER_ORG}\n  {} plan\n\
             (the consumer's credentials are in {}). Stop it with: kill {pid}",
            provider.dir().display(),
            dir.join(format!("{PROVIDER_ORG}.env")).display(),
            provider.dir().join("terraformrc").display(),
            terraform.display(),
            dir.join(format!("{CONSUMER_ORG}.env")).display(),
        );
    }
    Ok(())
}

/// Run a terraform command with its output on the terminal; anything but exit 0 fails the
/// quickstart (for `plan -detailed-exitcode`, 2 means a change was planned).
fn shown(tf: &Tf, args: &[&str]) -> Result<()> {
    let status = tf.command(args).status().context("run terraform")?;
    if !status.success() {
        bail!("terraform {} in {} exited {status}", args.join(" "), tf.dir().display());
    }
    Ok(())
}

/// The simulator's store, one line per object.
fn print_store(state: &Value) {
    let list = |k: &str| state[k].as_array().cloned().unwrap_or_default();
    let s = |v: &Value| v.as_str().map_or_else(|| v.to_string(), String::from);
    for sc in list("scopes") {
        println!("  scope  {:<30} active={}  owner={}", s(&sc["name"]), sc["active"], s(&sc["owner_orgno"]));
    }
    for a in list("accesses") {
        let who = format!("{} ({})", s(&a["consumer_orgno"]), s(&a["consumer_organization_name"]));
        println!("  grant  {:<30} to {who} {}", s(&a["scope"]), s(&a["state"]));
    }
    for c in list("clients") {
        let keys: Vec<String> =
            state["keys"][s(&c["client_id"])].as_array().into_iter().flatten().map(|k| s(&k["kid"])).collect();
        println!(
            "  client {:<30} {} of {} scopes={} keys={keys:?}",
            s(&c["client_name"]),
            s(&c["client_id"]),
            s(&c["client_orgno"]),
            c["scopes"]
        );
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("read {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
