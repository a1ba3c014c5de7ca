//! Transport security (ARCHITECTURE.md, "Reliability"; issue 8): the API is reached over TLS with
//! the certificate verified — against the system's roots plus `ca_bundle_file` —, `HTTPS_PROXY` is
//! honoured, and plain http is refused for anything but loopback.

use crate::harness::{Sim, Workdir};
use maskinporten_sim::SimConfig;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

const SCOPE: &str = r#"resource "maskinporten_scope" "s" {
  prefix      = "demo"
  subscope    = "tls.checked"
  description = "Reached over verified TLS"
}
"#;

fn tls_sim() -> Sim {
    Sim::with(|mut c: SimConfig| {
        c.tls = true;
        c
    })
}

#[test]
fn the_api_is_trusted_through_the_ca_bundle_and_only_through_it() {
    let sim = tls_sim();
    assert!(sim.sim.url().starts_with("https://localhost:"), "{}", sim.sim.url());
    let mut untrusting = Workdir::new(&sim, "1.15", SCOPE);
    untrusting.env("MASKINPORTEN_CA_BUNDLE_FILE", "");
    let run = untrusting.run(&["plan", "-no-color", "-input=false"]);
    assert_ne!(run.code, 0, "a certificate from an unknown CA is refused");
    let text = run.text();
    assert!(text.contains("invalid peer certificate"), "the error names the certificate: {text}");
    assert!(text.contains("ca_bundle_file"), "and says what to do: {text}");
    assert!(sim.requests().is_empty(), "no request was answered: {:?}", sim.requests());
    // Repeating cannot help (ARCHITECTURE.md, "Rules every resource follows"): one handshake
    // per request — the issuer's metadata and the first grant, which goes out beside it — and no
    // retry, although max_retries allows three.
    assert_eq!(sim.sim.refused_tls_handshakes(), 2, "the refused certificate was tried once per request: {text}");

    let w = Workdir::new(&sim, "1.15", SCOPE);
    w.apply();
    w.assert_converged();
    assert_eq!(sim.scope("demo:tls.checked").expect("created over TLS")["active"], true);
}

/// A CONNECT proxy that records the targets it tunnelled to.
fn connect_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let addr = listener.local_addr().expect("addr").to_string();
    let seen = Arc::new(Mutex::new(vec![]));
    let log = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || tunnel(client, &log));
        }
    });
    (addr, seen)
}

fn tunnel(client: TcpStream, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().expect("clone"));
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let target = request.split_whitespace().nth(1).unwrap_or("").to_string();
    log.lock().expect("log").push(format!("{} {target}", request.split_whitespace().next().unwrap_or("")));
    let port = target.rsplit(':').next().unwrap_or("");
    let Ok(upstream) = TcpStream::connect(format!("127.0.0.1:{port}")) else { return };
    let mut c = client;
    if c.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").is_err() {
        return;
    }
    let (mut up_r, mut up_w) = (upstream.try_clone().expect("clone"), upstream);
    let mut c_w = c.try_clone().expect("clone");
    let up = std::thread::spawn(move || std::io::copy(&mut up_r, &mut c_w));
    let _ = std::io::copy(&mut reader, &mut up_w);
    let _ = up_w.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}

/// The simulator under a name no resolver knows (`.test` is reserved): only the proxy maps it to
/// the simulator, so an apply that works went through the proxy for every call.
#[test]
fn https_proxy_carries_every_call() {
    let sim = Sim::with(|mut c: SimConfig| {
        c.tls = true;
        c.tls_host = Some("maskinporten-sim.test".into());
        c
    });
    let (proxy, seen) = connect_proxy();
    let mut w = Workdir::new(&sim, "1.15", SCOPE);
    w.env("HTTPS_PROXY", &format!("http://{proxy}"));
    w.apply();
    w.assert_converged();
    let port = sim.sim.addr().port();
    let tunnels = seen.lock().expect("log").clone();
    assert!(!tunnels.is_empty(), "the provider went through the proxy");
    assert!(tunnels.iter().all(|t| t == &format!("CONNECT maskinporten-sim.test:{port}")), "{tunnels:?}");
    assert!(sim.scope("demo:tls.checked").is_some());
}

/// A proxy from the environment is not used for loopback addresses: the simulator (or a local
/// tunnel) is reached directly, even with a proxy that answers nothing.
#[test]
fn a_proxy_from_the_environment_is_bypassed_for_loopback() {
    let sim = Sim::start();
    let dead = TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut w = Workdir::new(&sim, "1.15", SCOPE);
    for k in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"] {
        w.env(k, &format!("http://{}", dead.local_addr().unwrap()));
    }
    w.apply();
    assert!(sim.scope("demo:tls.checked").is_some(), "reached directly");
}

#[test]
fn plain_http_is_refused_beyond_loopback() {
    let sim = Sim::start();
    let mut w = Workdir::new(&sim, "1.15", SCOPE);
    w.env("MASKINPORTEN_API_URL", "http://api.test.samarbeid.digdir.no");
    let run = w.run(&["plan", "-no-color", "-input=false"]);
    assert_ne!(run.code, 0);
    assert!(run.text().contains("must use https"), "{}", run.text());
    assert!(sim.requests().iter().all(|r| !r["path"].as_str().unwrap_or("").starts_with("/api/")), "no API call");
}

/// Test credentials never travel to production and back: an `api_url` or `issuer` of the other
/// environment is refused at configure, named by its attribute, before anything is sent.
#[test]
fn the_other_environment_s_urls_are_refused_before_anything_is_sent() {
    let sim = Sim::start();
    for (var, url, env) in [
        ("MASKINPORTEN_API_URL", "https://api.samarbeid.digdir.no", "test"),
        ("MASKINPORTEN_ISSUER", "https://maskinporten.no/", "test"),
        ("MASKINPORTEN_API_URL", "https://api.test.samarbeid.digdir.no", "prod"),
        ("MASKINPORTEN_ISSUER", "https://test.maskinporten.no/", "prod"),
    ] {
        let mut w = Workdir::new(&sim, "1.15", SCOPE);
        w.env("MASKINPORTEN_ENVIRONMENT", env);
        w.env(var, url);
        let run = w.run(&["plan", "-no-color", "-input=false"]);
        assert_ne!(run.code, 0, "{var}={url} with environment {env}");
        let attr = var.trim_start_matches("MASKINPORTEN_").to_lowercase();
        let text = run.flat_text();
        assert!(text.contains(&format!("{attr} = \"{url}\" belongs to Digdir's other environment")), "{text}");
    }
    assert!(sim.requests().is_empty(), "nothing was sent: {:?}", sim.requests());
    assert!(sim.sim.token_requests().is_empty(), "no token was asked for");
}

/// The issuer is where the signed grant goes: plain http to another machine is refused before
/// anything is sent, and metadata that names another issuer is refused (RFC 8414 §3.3).
#[test]
fn an_http_issuer_elsewhere_and_a_foreign_metadata_issuer_are_refused() {
    let sim = Sim::start();
    let mut w = Workdir::new(&sim, "1.15", "data \"maskinporten_prefixes\" \"p\" {}\n");
    w.env("MASKINPORTEN_ISSUER", "http://maskinporten.example.no/");
    let run = w.run(&["plan", "-no-color", "-input=false"]);
    assert_ne!(run.code, 0);
    assert!(run.flat_text().contains("http://maskinporten.example.no/ must use https"), "{}", run.text());
    assert!(sim.sim.token_requests().is_empty(), "no grant was sent anywhere");

    // Metadata naming another issuer than the configured one: the simulator's, reached under
    // another spelling of the same address. The first grant goes out beside the metadata, to the
    // configured issuer's own `/token` (api/auth.rs, `send_grant`), and is abandoned when the
    // metadata fails its check: whether it reached the simulator first is a race, and if it did
    // it was refused (its audience is the other spelling). The plan fails with the metadata's
    // error, and no API request is made. That a token an early grant did bring is dropped is
    // shown in tests/api_client.
    let mut w = Workdir::new(&sim, "1.15", "data \"maskinporten_prefixes\" \"p\" {}\n");
    let other = sim.sim.issuer().replace("127.0.0.1", "localhost");
    w.env("MASKINPORTEN_ISSUER", &other);
    let run = w.run(&["plan", "-no-color", "-input=false"]);
    assert_ne!(run.code, 0);
    assert!(run.flat_text().contains("the issuer's metadata names the issuer"), "{}", run.text());
    let grants = sim.sim.token_requests();
    assert!(
        grants.len() <= 1 && grants.iter().all(|g| g["outcome"] != "issued"),
        "at most the early grant, refused: {grants:?}"
    );
    let api: Vec<_> =
        sim.requests().into_iter().filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/api/"))).collect();
    assert!(api.is_empty(), "no API request: {api:?}");
}
