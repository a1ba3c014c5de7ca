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

pub use devkit::root;

/// Build the provider and the simulator; returns the directory holding both binaries.
pub fn build(release: bool) -> Result<PathBuf> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // `--workspace`, so that dependency features resolve as for the tests and the release, and
    // this reuses their build (see xtask/Cargo.toml).
    cmd.current_dir(root()).args([
        "build",
        "--quiet",
        "--workspace",
        "--bin",
        "terraform-provider-maskinporten",
        "--bin",
        "maskinporten-sim",
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

/// Build the plugin-floor provider (`benches/floor_provider.rs`) and put it where
/// [`Tf::with_floor`]'s dev override for `bench/maskinporten` looks: `<bin_dir>/floor/`, under the name
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

/// A terraform ≥ 1.11, from the dev kit ([`devkit::terraform_any`]): `$TERRAFORM`, else
/// `terraform` on PATH, else 1.15 installed by scripts/install-terraform.sh.
pub fn terraform() -> Result<PathBuf> {
    devkit::terraform_any().map_err(|e| anyhow!("no terraform ≥ 1.11 found or installable: {e}"))
}

/// The version of a terraform binary, for reports.
pub fn terraform_version(tf: &Path) -> String {
    devkit::version(tf).map_or_else(|| "unknown".into(), |(a, b, c)| format!("{a}.{b}.{c}"))
}

/// A fresh directory under target/xtask/.
pub fn scratch(name: &str) -> Result<PathBuf> {
    let dir = root().join("target/xtask").join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The simulator binary running in the background, its log in `<dir>/sim.log`; killed on drop
/// unless [`SimProc::detach`]ed.
pub struct SimProc {
    child: Child,
    pub dir: PathBuf,
    addr: String,
    detached: bool,
}

impl SimProc {
    pub fn start(bin_dir: &Path, dir: &Path, args: &[&str]) -> Result<SimProc> {
        std::fs::create_dir_all(dir)?;
        let log = std::fs::File::create(dir.join("sim.log"))?;
        let mut child = Command::new(bin_dir.join("maskinporten-sim"))
            .args(["--port", "0", "--dir"])
            .arg(dir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("start maskinporten-sim")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("sim stdout")?).read_line(&mut line)?;
        let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) else {
            let _ = child.kill();
            let log = std::fs::read_to_string(dir.join("sim.log")).unwrap_or_default();
            bail!("the simulator did not start (banner {line:?}):\n{log}");
        };
        let addr = url.trim_start_matches("http://").to_string();
        Ok(SimProc { child, dir: dir.to_path_buf(), addr, detached: false })
    }

    /// The simulator's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Leave the simulator running after this handle is gone; returns its process id.
    pub fn detach(mut self) -> u32 {
        self.detached = true;
        self.child.id()
    }

    /// The `MASKINPORTEN_*` variables for one organisation, from the env file the simulator wrote.
    pub fn env_for(&self, orgno: &str) -> Result<Vec<(String, String)>> {
        devkit::org_env(&self.dir, orgno).with_context(|| format!("the simulator's env file of {orgno}"))
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
        if self.detached {
            return;
        }
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

/// A terraform working directory whose `digdir/maskinporten` comes from `bin_dir` (and, made
/// [`Tf::with_floor`], the benchmark's `bench/maskinporten` from `bin_dir/floor`), made by the
/// dev kit.
pub struct Tf {
    kit: devkit::Workdir,
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub secs: f64,
}

impl Tf {
    pub fn new(dir: &Path, terraform: &Path, bin_dir: &Path, env: Vec<(String, String)>) -> Result<Tf> {
        Ok(Tf { kit: devkit::Workdir::new(dir, terraform.to_path_buf(), bin_dir, &[], env)? })
    }

    /// [`Tf::new`], with the benchmark's plugin floor as `bench/maskinporten` from
    /// `bin_dir/floor` ([`build_plugin_floor`]).
    pub fn with_floor(dir: &Path, terraform: &Path, bin_dir: &Path, env: Vec<(String, String)>) -> Result<Tf> {
        let floor = bin_dir.join("floor");
        let more = [("registry.terraform.io/bench/maskinporten", floor.as_path())];
        Ok(Tf { kit: devkit::Workdir::new(dir, terraform.to_path_buf(), bin_dir, &more, env)? })
    }

    /// Where main.tf goes and every command runs.
    pub fn dir(&self) -> &Path {
        &self.kit.dir
    }

    /// A terraform command for this directory, not yet started (clean environment, our CLI
    /// configuration), for a caller that shows its output as it comes.
    pub fn command(&self, args: &[&str]) -> Command {
        self.kit.command(args)
    }

    pub fn write(&self, main_tf: &str) -> Result<()> {
        Ok(std::fs::write(self.dir().join("main.tf"), main_tf)?)
    }

    pub fn run(&self, args: &[&str]) -> Result<Out> {
        let mut cmd = self.command(args);
        cmd.arg("-no-color");
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
