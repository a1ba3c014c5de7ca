//! The one way this repository's tooling runs the real terraform CLI against its own provider:
//! the end-to-end tests (`tests/terraform/harness.rs`), `cargo xtask` (bench, chaos, quickstart)
//! and `scripts/quickstart.sh` (through `cargo xtask quickstart`) all get Terraform and wire a
//! working directory to our binary here, so a change to either is made once.
//!
//! * [`terraform`] and [`terraform_any`]: a terraform binary, installed by
//!   `scripts/install-terraform.sh` when the machine has none (docs/development/plugin-protocol.md,
//!   "Getting a terraform binary"), so nothing is ever skipped for want of one.
//! * [`Workdir`]: a directory whose CLI configuration points `digdir/maskinporten` (and any other
//!   source the caller names) at a directory of binaries through `dev_overrides`, and whose
//!   commands see only the environment the caller gives them.
//!
//! Standard library and `serde_json` only: it is compiled into every test binary and the xtask.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The provider's source address, as `required_providers` names it and `dev_overrides` matches it.
pub const SOURCE: &str = "registry.terraform.io/digdir/maskinporten";

/// The Terraform minors the provider supports and tests, oldest first.
pub const MINORS: [&str; 5] = ["1.11", "1.12", "1.13", "1.14", "1.15"];

/// The workspace root (this crate lives one level below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("devkit lives in the workspace").to_path_buf()
}

/// The terraform binary of one minor ("1.11" … "1.15"): `$TERRAFORM_1_11` and so on when set
/// (`scripts/test.sh` sets them once, so parallel tests do not each run the installer), else
/// whatever `scripts/install-terraform.sh` prints: a matching `$TERRAFORM` or `terraform` on
/// PATH, or one it installs into `.tools/` under a lock.
pub fn terraform(minor: &str) -> Result<PathBuf, String> {
    if !MINORS.contains(&minor) {
        return Err(format!("Terraform {minor} is not supported (1.11 to 1.15)"));
    }
    let var = format!("TERRAFORM_{}", minor.replace('.', "_"));
    if let Some(p) = std::env::var_os(&var).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    install(minor)
}

/// Any supported terraform, for tools that do not test a particular minor (bench, chaos,
/// quickstart): `$TERRAFORM`, else `terraform` on PATH when it is 1.11 or later, else 1.15 from
/// [`terraform`].
pub fn terraform_any() -> Result<PathBuf, String> {
    let given = std::env::var_os("TERRAFORM").filter(|p| !p.is_empty()).map(PathBuf::from);
    for candidate in given.into_iter().chain([PathBuf::from("terraform")]) {
        if version(&candidate).is_some_and(|(major, minor, _)| major > 1 || minor >= 11) {
            return Ok(candidate);
        }
    }
    terraform("1.15")
}

/// `(major, minor, patch)` of a terraform binary, or `None` when it does not run.
pub fn version(terraform: &Path) -> Option<(u32, u32, u32)> {
    let out = Command::new(terraform).args(["version", "-json"]).env_remove("TF_CLI_CONFIG_FILE").output().ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let mut parts = v["terraform_version"].as_str()?.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??, parts.next().flatten().unwrap_or(0)))
}

fn install(minor: &str) -> Result<PathBuf, String> {
    let script = root().join("scripts/install-terraform.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(minor)
        .output()
        .map_err(|e| format!("could not run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!("install-terraform.sh {minor} failed:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// A terraform working directory wired to local provider binaries.
pub struct Workdir {
    /// Where `main.tf` goes and every command runs.
    pub dir: PathBuf,
    /// The terraform binary its commands run.
    pub terraform: PathBuf,
    /// What every command sees besides [`PASSED_THROUGH`]: the caller's variables and the CLI
    /// configuration.
    pub env: Vec<(String, String)>,
}

/// The only variables of the caller's environment a command inherits: what any process needs.
/// Everything else, the caller's `MASKINPORTEN_*`, `TF_*` and proxy variables included, stays
/// out, so a developer's shell cannot change what a test or a benchmark measures.
pub const PASSED_THROUGH: [&str; 5] = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL"];

impl Workdir {
    /// Create `dir` (if need be) with a `terraformrc` whose `dev_overrides` send [`SOURCE`] to
    /// `provider_dir` and each `(source, dir)` of `more` to its directory; commands see `env`, the
    /// CLI configuration, `CHECKPOINT_DISABLE` and `TF_IN_AUTOMATION`.
    pub fn new(
        dir: &Path,
        terraform: PathBuf,
        provider_dir: &Path,
        more: &[(&str, &Path)],
        mut env: Vec<(String, String)>,
    ) -> std::io::Result<Workdir> {
        std::fs::create_dir_all(dir)?;
        let rc = dir.join("terraformrc");
        std::fs::write(&rc, cli_config(provider_dir, more))?;
        env.push(("TF_CLI_CONFIG_FILE".into(), rc.display().to_string()));
        env.push(("CHECKPOINT_DISABLE".into(), "1".into()));
        env.push(("TF_IN_AUTOMATION".into(), "1".into()));
        Ok(Workdir { dir: dir.to_path_buf(), terraform, env })
    }

    /// The terraform command for this directory, not yet started, with a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.terraform);
        cmd.args(args).current_dir(&self.dir).env_clear();
        for k in PASSED_THROUGH {
            if let Some(v) = std::env::var_os(k) {
                cmd.env(k, v);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }
}

/// The CLI configuration text: `dev_overrides` for [`SOURCE`] and `more`, every other provider
/// installed as usual.
pub fn cli_config(provider_dir: &Path, more: &[(&str, &Path)]) -> String {
    let mut lines = format!("    \"{SOURCE}\" = \"{}\"\n", provider_dir.display());
    for (source, dir) in more {
        lines.push_str(&format!("    \"{source}\" = \"{}\"\n", dir.display()));
    }
    format!("provider_installation {{\n  dev_overrides {{\n{lines}  }}\n  direct {{}}\n}}\n")
}

/// The `MASKINPORTEN_*` variables of one organisation, from the `<orgno>.env` file the simulator
/// writes into its directory (one `NAME=value` per line).
pub fn org_env(sim_dir: &Path, orgno: &str) -> std::io::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(sim_dir.join(format!("{orgno}.env")))?;
    Ok(text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_config_overrides_every_source_named() {
        let text =
            cli_config(Path::new("/bin/a"), &[("registry.terraform.io/bench/maskinporten", Path::new("/bin/b"))]);
        assert!(text.contains("\"registry.terraform.io/digdir/maskinporten\" = \"/bin/a\""), "{text}");
        assert!(text.contains("\"registry.terraform.io/bench/maskinporten\" = \"/bin/b\""), "{text}");
        assert!(text.contains("direct {}"), "other providers install as usual: {text}");
    }

    #[test]
    fn an_unsupported_minor_is_refused_before_anything_runs() {
        let err = terraform("1.10").unwrap_err();
        assert!(err.contains("1.11 to 1.15"), "{err}");
    }

    #[test]
    fn commands_see_only_what_they_are_given() {
        let w = Workdir { dir: "/tmp".into(), terraform: "terraform".into(), env: vec![("A".into(), "1".into())] };
        let cmd = w.command(&["version"]);
        let names: Vec<_> = cmd.get_envs().map(|(k, _)| k.to_string_lossy().into_owned()).collect();
        assert!(names.iter().all(|n| n == "A" || PASSED_THROUGH.contains(&n.as_str())), "{names:?}");
        assert!(names.contains(&"A".to_string()));
    }
}
