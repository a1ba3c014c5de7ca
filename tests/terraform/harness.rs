//! The e2e harness: a simulator per test, and a working directory driven by the real terraform
//! CLI through `dev_overrides` (docs/development/plugin-protocol.md, "Getting a terraform
//! binary"). The terraform binary of each minor comes from `$TERRAFORM_1_11` … `$TERRAFORM_1_15`,
//! else from `scripts/install-terraform.sh`, which installs one when the machine has none: these
//! tests are never skipped.

use maskinporten_sim::{SimConfig, Simulator};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The terraform binary for a minor version ("1.15", "1.11", …), from the dev kit: `$TERRAFORM_1_15`
/// and so on, which `scripts/test.sh` sets once before the tests start, else
/// `scripts/install-terraform.sh`, which installs one when the machine has none (under a lock,
/// so parallel tests do not install over each other): these tests are never skipped.
pub fn terraform_bin(minor: &str) -> PathBuf {
    devkit::terraform(minor).unwrap_or_else(|e| panic!("no terraform {minor}: {e}"))
}

/// A running simulator with its own tokio runtime, so tests stay plain `#[test]` functions.
/// When it is dropped at the end of a passing test, every request it received is checked against
/// Digdir's contract ([`crate::contract`]): a violation fails the test.
pub struct Sim {
    pub sim: Simulator,
    _rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Drop for Sim {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let violations = crate::contract::check_log(&self.requests());
        assert!(violations.is_empty(), "requests Digdir's contract does not allow:\n{}", violations.join("\n"));
    }
}

impl Sim {
    pub fn start() -> Sim {
        Self::with(|c| c)
    }
    pub fn with(f: impl FnOnce(SimConfig) -> SimConfig) -> Sim {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let sim = rt.block_on(Simulator::start(f(SimConfig::new(dir.path().join("sim"))))).expect("simulator starts");
        Sim { sim, _rt: rt, _dir: dir }
    }
    /// The store as JSON (`GET /__sim/state`).
    pub fn state(&self) -> Json {
        self.sim.state()
    }
    /// The scope of that name in the simulator's store.
    pub fn scope(&self, name: &str) -> Option<Json> {
        self.state()["scopes"].as_array()?.iter().find(|s| s["name"] == name).cloned()
    }
    pub fn requests(&self) -> Vec<Json> {
        self.sim.requests().as_array().cloned().unwrap_or_default()
    }
    /// Token requests refused because the client asked for an admin scope it was not granted.
    pub fn refused_token_requests(&self) -> Vec<Json> {
        self.sim.token_requests().into_iter().filter(|t| t["outcome"] == "invalid_scope").collect()
    }

    /// API answers with status 403.
    pub fn forbidden_answers(&self) -> Vec<Json> {
        self.requests().into_iter().filter(|r| r["status"] == 403).collect()
    }

    /// Call the simulated API as the organisation would outside Terraform (Samarbeidsportalen);
    /// the call must succeed. Its answer's body.
    pub fn out_of_band(&self, orgno: &str, method: &str, path_and_query: &str, body: Option<Json>) -> Json {
        let (status, answer) = self.out_of_band_status(orgno, method, path_and_query, body);
        assert!((200..300).contains(&status), "{method} {path_and_query} out of band: {status} {answer}");
        answer
    }

    /// As [`Sim::out_of_band`], for a call that may fail: the status and the body.
    pub fn out_of_band_status(
        &self,
        orgno: &str,
        method: &str,
        path_and_query: &str,
        body: Option<Json>,
    ) -> (u16, Json) {
        let token = if path_and_query.starts_with("/api/v1/contacts") {
            self.sim.mint_merchant_token(orgno)
        } else {
            self.sim.mint_token(orgno)
        };
        let url = format!("{}{}", self.sim.url(), path_and_query);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        self._rt.block_on(async {
            let mut req = reqwest::Client::new().request(method, url).bearer_auth(token);
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await.expect("simulator reachable");
            let status = resp.status().as_u16();
            (status, resp.json::<Json>().await.unwrap_or(Json::Null))
        })
    }
}

/// A Terraform working directory wired to the provider binary and one simulated organisation.
/// Every command runs with a clean environment: only what the test sets, the organisation's
/// `MASKINPORTEN_*` variables, and the provider's debug log in `provider.log` of the directory.
/// When it is dropped at the end of a passing test, that log is checked for a provider process
/// that had more than one token request refused for a scope (see `api::admin_scopes`: a process
/// pays at most one).
pub struct Workdir {
    pub dir: tempfile::TempDir,
    /// The dev kit's directory: the CLI configuration and the environment of every command.
    kit: devkit::Workdir,
    /// The Terraform minor this directory runs ("1.15").
    minor: String,
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let late = self.late_scope_refusals();
        assert!(late.is_empty(), "provider processes with more than one refused token request:\n{}", late.join("\n"));
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
    pub fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
    /// [`Run::text`] on one line: whitespace collapsed and the `│` frame of Terraform's
    /// diagnostics dropped, so a check does not depend on where Terraform wraps a message.
    pub fn flat_text(&self) -> String {
        self.text().split_whitespace().filter(|t| *t != "│").collect::<Vec<_>>().join(" ")
    }
}

impl Workdir {
    /// A directory configured as the organisation 991825827 (the simulator's first).
    pub fn new(sim: &Sim, minor: &str, main_tf: &str) -> Workdir {
        Self::for_org(sim, "991825827", minor, main_tf)
    }

    /// A directory configured as organisation `orgno` of the simulator.
    pub fn for_org(sim: &Sim, orgno: &str, minor: &str, main_tf: &str) -> Workdir {
        let env = sim.sim.env_for(orgno);
        assert!(!env.is_empty(), "organisation {orgno} is in the simulator");
        Self::with_env(env, minor, main_tf)
    }

    /// A directory whose commands see `env` (`MASKINPORTEN_*` of an organisation) and nothing
    /// of the caller's environment.
    pub fn with_env(mut env: Vec<(String, String)>, minor: &str, main_tf: &str) -> Workdir {
        let dir = tempfile::tempdir().expect("workdir");
        let provider_dir =
            Path::new(env!("CARGO_BIN_EXE_terraform-provider-maskinporten")).parent().expect("bin dir").to_path_buf();
        env.push(("TF_LOG_PROVIDER".into(), "debug".into()));
        env.push(("TF_LOG_PATH".into(), dir.path().join("provider.log").display().to_string()));
        let kit = devkit::Workdir::new(dir.path(), terraform_bin(minor), &provider_dir, &[], env).expect("workdir");
        let w = Workdir { dir, kit, minor: minor.to_string() };
        w.write(main_tf);
        w
    }

    /// The variables a test added with [`Workdir::env`] (`TF_VAR_*` and the like), for a second
    /// directory that should see the same.
    pub fn test_env(&self) -> Vec<(String, String)> {
        self.kit.env.iter().filter(|(k, _)| k.starts_with("TF_VAR_")).cloned().collect()
    }

    /// Add environment variables for every later run (e.g. `TF_VAR_*`).
    pub fn env(&mut self, k: &str, v: &str) {
        self.kit.env.push((k.to_string(), v.to_string()));
    }

    /// Drop an environment variable for every later run (e.g. the organisation's PEM
    /// variables, when a test signs with something else).
    pub fn env_remove(&mut self, k: &str) {
        self.kit.env.retain(|(name, _)| name != k);
    }

    /// Write main.tf exactly as given (for configurations with their own provider blocks).
    pub fn write_raw(&self, main_tf: &str) {
        std::fs::write(self.dir.path().join("main.tf"), main_tf).expect("write main.tf");
    }

    /// Replace main.tf (a `terraform` block requiring the provider is prepended).
    pub fn write(&self, main_tf: &str) {
        let header = "terraform {\n  required_providers {\n    maskinporten = { source = \"digdir/maskinporten\" }\n  }\n}\n\nprovider \"maskinporten\" {}\n\n";
        std::fs::write(self.dir.path().join("main.tf"), format!("{header}{main_tf}")).expect("write main.tf");
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    /// Run with extra environment variables (e.g. `TF_LOG`).
    pub fn run_with_env(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("run terraform"))
    }

    /// The terraform command for this directory, not yet started: a clean environment (only
    /// what a process needs to run, and what the test set; [`devkit::PASSED_THROUGH`]), so the
    /// caller's `MASKINPORTEN_*`, `TF_*` and proxy variables cannot leak into a test.
    pub fn command(&self, args: &[&str]) -> Command {
        self.kit.command(args)
    }

    /// The provider's debug log of every command run here so far.
    pub fn provider_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("provider.log")).unwrap_or_default()
    }

    /// Log lines of token requests refused for a scope, beyond the first such refusal of their
    /// provider process (`pid` in the provider's log line).
    pub fn late_scope_refusals(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.provider_log()
            .lines()
            .filter(|l| l.contains("token request") && l.contains("outcome=invalid_scope"))
            .filter(|l| {
                let pid =
                    l.split(" pid=").nth(1).map(|r| r.chars().take_while(char::is_ascii_digit).collect::<String>());
                !seen.insert(pid.unwrap_or_default())
            })
            .map(String::from)
            .collect()
    }

    /// Run and require success.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "terraform {args:?} failed:\n{}", r.text());
        r
    }

    pub fn apply(&self) -> Run {
        self.ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// After every apply: `plan -detailed-exitcode` and `plan -refresh-only -detailed-exitcode`
    /// must both exit 0, as a scheduled drift-detection job judges them (2 would raise its
    /// alarm). One exception, Terraform's own: 1.15 counts every *data source* as changed in a
    /// refresh-only plan (since hashicorp/terraform 659d5e2218 its state comparison no longer
    /// skips data resources; a configuration of only `terraform_data` and
    /// `terraform_remote_state` exits 2 too), so with data sources on 1.15 that plan is judged by
    /// its JSON instead: no drift, no change. 1.11–1.14 leave data sources out, and exit 0.
    pub fn assert_converged(&self) {
        for mode in [&[][..], &["-refresh-only"][..]] {
            let mut args = vec!["plan", "-detailed-exitcode", "-input=false", "-no-color"];
            args.extend_from_slice(mode);
            let r = self.run(&args);
            assert!(r.stdout.contains("No changes"), "terraform {args:?}: {}", r.text());
            if r.code == 2 && !mode.is_empty() && self.minor == "1.15" && self.has_data_sources() {
                let plan = self.plan_json(&["-refresh-only"]);
                let drift = plan["resource_drift"].as_array().map_or(0, Vec::len);
                assert_eq!(drift, 0, "plan -refresh-only found drift: {}", plan["resource_drift"]);
                let managed_changes = plan["resource_changes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|c| c["mode"] == "managed" && c["change"]["actions"] != serde_json::json!(["no-op"]));
                assert_eq!(managed_changes.count(), 0, "plan -refresh-only changes managed resources");
                continue;
            }
            assert_eq!(r.code, 0, "terraform {args:?} is not empty (exit code {}):\n{}", r.code, r.text());
        }
    }

    /// Whether the state holds data sources.
    fn has_data_sources(&self) -> bool {
        let show: Json = serde_json::from_str(&self.ok(&["show", "-json"]).stdout).unwrap_or(Json::Null);
        show["values"]["root_module"]["resources"].as_array().into_iter().flatten().any(|r| r["mode"] == "data")
    }

    /// Plan into a file and return `terraform show -json` of it.
    pub fn plan_json(&self, extra: &[&str]) -> Json {
        let mut args = vec!["plan", "-out=tfplan", "-input=false", "-no-color"];
        args.extend_from_slice(extra);
        self.ok(&args);
        serde_json::from_str(&self.ok(&["show", "-json", "tfplan"]).stdout).expect("plan json")
    }

    /// The actions planned for one resource address, e.g. ["update"] or ["delete", "create"].
    pub fn planned_actions(plan: &Json, address: &str) -> Vec<String> {
        plan["resource_changes"]
            .as_array()
            .and_then(|rc| rc.iter().find(|c| c["address"] == address))
            .map(|c| {
                c["change"]["actions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `terraform show -json` of the state: the values of one resource address.
    pub fn state_values(&self, address: &str) -> Json {
        let show: Json = serde_json::from_str(&self.ok(&["show", "-json"]).stdout).expect("state json");
        show["values"]["root_module"]["resources"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["address"] == address))
            .map(|r| r["values"].clone())
            .unwrap_or(Json::Null)
    }
}
