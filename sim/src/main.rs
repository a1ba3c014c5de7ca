//! `maskinporten-sim --port 0 --dir DIR [--org ORGNO[:PREFIX][@SCOPE,...]]... [--token-lifetime SECS]
//! [--latency-ms MS] [--propagation-ms MS] [--consistency-delay-ms MS] [--faults JSON] [--tls]
//! [--no-empty-list-quirk] [--no-per-key-ops]`: runs until killed. `@SCOPE,...` names the admin
//! scopes Digdir granted the organisation's administration client (`scopes.read`, `dcr.write`,
//! …; all of them when left out). `--faults` takes the body of `PUT /__sim/faults`
//! (e.g. `{"rate_429": 0.05, "retry_after_secs": 1, "rate_drop_after_commit": 0.02}`), which
//! changes them at run time.

use maskinporten_sim::{SimConfig, Simulator};

const USAGE: &str = "usage: maskinporten-sim --dir DIR [--port PORT] [--org ORGNO[:PREFIX][@SCOPE,...]]... [--token-lifetime SECS] [--latency-ms MS] [--propagation-ms MS] [--consistency-delay-ms MS] [--faults JSON] [--tls] [--no-empty-list-quirk] [--no-per-key-ops]

  --org 991825827:demo@scopes.read,scopes.write   an API provider with Digdir's usual admin scopes
  --org 889640782@dcr.read,dcr.write              an API consumer (no prefix)";

fn parse() -> Result<SimConfig, String> {
    let mut args = std::env::args().skip(1);
    let mut cfg: Option<SimConfig> = None;
    let (mut port, mut orgs, mut lifetime, mut latency, mut quirk) = (0u16, vec![], None, 0u64, true);
    let (mut propagation, mut consistency, mut tls, mut per_key) = (0u64, None, false, true);
    let mut faults = maskinporten_sim::Faults::default();
    let num = |v: Option<String>, f: &str| {
        v.ok_or(format!("{f} needs a value"))?.parse::<u64>().map_err(|e| format!("{f}: {e}"))
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--dir" => cfg = Some(SimConfig::new(args.next().ok_or("--dir needs a value")?)),
            "--port" => port = num(args.next(), "--port")? as u16,
            "--org" => orgs.push(args.next().ok_or("--org needs a value")?),
            "--token-lifetime" => lifetime = Some(num(args.next(), "--token-lifetime")?),
            "--latency-ms" => latency = num(args.next(), "--latency-ms")?,
            "--propagation-ms" => propagation = num(args.next(), "--propagation-ms")?,
            "--consistency-delay-ms" => consistency = Some(num(args.next(), "--consistency-delay-ms")?),
            "--faults" => {
                let json = args.next().ok_or("--faults needs a value")?;
                faults = serde_json::from_str(&json).map_err(|e| format!("--faults: {e}"))?;
            }
            "--tls" => tls = true,
            "--no-empty-list-quirk" => quirk = false,
            "--no-per-key-ops" => per_key = false,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let mut cfg = cfg.ok_or("--dir is required")?;
    for o in orgs {
        let spec = maskinporten_sim::OrgSpec::parse(&o)?;
        let scopes: Vec<&str> = spec.admin_scopes.iter().map(String::as_str).collect();
        cfg = cfg.org_granted(&spec.orgno, spec.prefixes.first().map(String::as_str), &scopes);
    }
    cfg.port = port;
    cfg.latency_ms = latency;
    cfg.propagation_ms = propagation;
    cfg.empty_list_quirk = quirk;
    cfg.faults = faults;
    if let Some(c) = consistency {
        cfg.faults.consistency_delay_ms = c;
    }
    cfg.tls = tls;
    cfg.per_key_ops = per_key;
    if let Some(l) = lifetime {
        cfg.token_lifetime_secs = l;
    }
    Ok(cfg)
}

#[tokio::main]
async fn main() {
    let cfg = match parse() {
        Ok(c) => c,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("maskinporten-sim: {e}");
            }
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    let dir = cfg.dir.clone();
    let sim = match Simulator::start(cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("maskinporten-sim: {e}");
            std::process::exit(1);
        }
    };
    println!("maskinporten-sim listening on {} (env files in {})", sim.url(), dir.display());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
    }
}
