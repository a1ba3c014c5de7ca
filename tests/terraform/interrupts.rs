//! Terraform interrupted: Ctrl-C mid-apply lets writes already sent finish and land in state, and
//! a killed terraform leaves no provider process behind (the provider exits with its parent), and
//! the next apply names, with its import command, what the killed one created but did not record.

use crate::harness::{Sim, Workdir};
use maskinporten_sim::SimConfig;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn scopes(n: usize) -> String {
    (0..n).map(|i| format!("resource \"maskinporten_scope\" \"s{i}\" {{\n  prefix = \"demo\"\n  subscope = \"slow{i}\"\n  description = \"x\"\n}}\n")).collect()
}

/// This test's provider processes (those started in its working directory — terraform starts
/// providers there) whose parent is gone: adopted by init or a subreaper. Other tests' providers,
/// running beside this one, are not looked at.
fn orphans(dir: &std::path::Path) -> Vec<String> {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut found = vec![];
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let proc = entry.path();
        let Ok(cmdline) = std::fs::read(proc.join("cmdline")) else { continue };
        if !String::from_utf8_lossy(&cmdline).contains("terraform-provider-maskinporten") {
            continue;
        }
        if std::fs::read_link(proc.join("cwd")).ok().as_deref() != Some(dir.as_path()) {
            continue;
        }
        let stat = std::fs::read_to_string(proc.join("stat")).unwrap_or_default();
        // pid (comm) state ppid …: the fields after the command name, which may hold spaces.
        let ppid: u32 = stat.rsplit(')').next().and_then(|r| r.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0);
        let parent_alive = ppid > 1 && std::path::Path::new(&format!("/proc/{ppid}")).exists();
        if !parent_alive {
            found.push(format!("{} (parent {ppid})", proc.display()));
        }
    }
    found
}

fn spawn_apply(w: &Workdir) -> std::process::Child {
    let mut cmd = w.command(&["apply", "-auto-approve", "-no-color", "-input=false", "-parallelism=1"]);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    cmd.spawn().expect("terraform apply")
}

#[test]
fn ctrl_c_mid_apply_keeps_what_was_written_and_the_next_apply_converges() {
    let sim = Sim::with(|mut c: SimConfig| {
        c.latency_ms = 400;
        c
    });
    let w = Workdir::new(&sim, "1.15", &scopes(6));
    let mut child = spawn_apply(&w);
    // Wait until some scopes exist, then interrupt as a terminal would (the process group).
    let start = Instant::now();
    while sim.state()["scopes"].as_array().map_or(0, Vec::len) < 2 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let before = sim.state()["scopes"].as_array().map_or(0, Vec::len);
    assert!(before >= 2, "two scopes were created before the interrupt, in 60 s ({before})");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(!status.success(), "the apply was interrupted");
    // Every scope the simulator created is in state: nothing orphaned.
    let created: Vec<String> =
        sim.state()["scopes"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect();
    let state = std::fs::read_to_string(w.dir.path().join("terraform.tfstate")).unwrap_or_default();
    assert!(created.len() >= 2, "the loop below checks something: {created:?}");
    for name in &created {
        assert!(state.contains(&format!("\"{name}\"")), "{name} was created but is not in state");
    }
    assert!(created.len() < 6, "interrupted before the end ({} created)", created.len());
    w.apply();
    w.assert_converged();
    assert_eq!(sim.state()["scopes"].as_array().unwrap().len(), 6, "no duplicates after the rerun");
}

#[test]
fn a_killed_terraform_leaves_no_provider_process_and_the_next_apply_names_what_to_import() {
    // Every write is committed at once and answered a minute later: a kill after the first
    // scope is committed lands before its answer, however slow the machine — it is in the API and
    // not in state, what a killed apply leaves behind.
    let sim = Sim::with(|mut c: SimConfig| {
        c.faults.answer_delay_after_write_ms = 60_000;
        c
    });
    let w = Workdir::new(&sim, "1.15", &scopes(4));
    let mut child = spawn_apply(&w);
    let start = Instant::now();
    while sim.state()["scopes"].as_array().map_or(0, Vec::len) < 1 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(sim.state()["scopes"].as_array().map_or(0, Vec::len), 1, "one scope committed, within 60 s");
    child.kill().unwrap();
    child.wait().unwrap();
    // The provider notices its parent is gone (polled every 0.5 s) and exits.
    let deadline = Instant::now() + Duration::from_secs(15);
    while !orphans(w.dir.path()).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(orphans(w.dir.path()).is_empty(), "orphaned provider processes: {:?}", orphans(w.dir.path()));

    // The next apply converges, or names every scope it cannot adopt with its import command.
    sim.sim.set_faults(maskinporten_sim::Faults::default());
    let state = std::fs::read_to_string(w.dir.path().join("terraform.tfstate")).unwrap_or_default();
    let untracked: Vec<String> = sim.state()["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .filter(|n| !state.contains(&format!("\"{n}\"")))
        .map(String::from)
        .collect();
    assert!(!untracked.is_empty(), "the kill came after a create and before state was written");
    let again = w.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_ne!(again.code, 0, "an untracked active scope must not be adopted silently:\n{}", again.text());
    let text = again.flat_text();
    for name in &untracked {
        assert!(text.contains(&format!("Scope {name} already exists")), "{name} not named:\n{text}");
        assert!(text.contains(&format!("terraform import maskinporten_scope.<name> {name}")), "{text}");
        let address = format!("maskinporten_scope.s{}", name.trim_start_matches("demo:slow"));
        w.ok(&["import", "-input=false", "-no-color", &address, name]);
    }
    w.apply();
    w.assert_converged();
    assert_eq!(sim.state()["scopes"].as_array().unwrap().len(), 4, "no duplicates after the import");
}
