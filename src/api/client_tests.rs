//! Which requests the proxy variables send through a proxy. A fake proxy on loopback records the
//! first line of every request it receives: `CONNECT host:443` for a tunnelled HTTPS request, an
//! absolute URL for proxied plain HTTP, a bare path for a request that came to it directly.
//! Hosts under `.invalid` never resolve, so a request that is not proxied never arrives.

use super::with_proxies;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A proxy that answers every request with a 502 after recording its first line.
async fn fake_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head);
                record.lock().unwrap().push(text.lines().next().unwrap_or("").to_string());
                let _ =
                    conn.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
            });
        }
    });
    (addr, seen)
}

/// The first lines the proxy saw for one GET of `url`, with `vars` as the whole environment
/// (`PROXY` in a value stands for the fake proxy's URL, `SELF` in `url` for its address).
async fn proxied(vars: &[(&str, &str)], url: &str) -> Vec<String> {
    let (proxy, seen) = fake_proxy().await;
    let env: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.replace("PROXY", &proxy))).collect();
    let client = with_proxies(reqwest::Client::builder(), |k| env.get(k).cloned())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let _ = client.get(url.replace("SELF", proxy.trim_start_matches("http://"))).send().await;
    seen.lock().unwrap().clone()
}

#[tokio::test]
async fn https_proxy_tunnels_https_requests_only() {
    assert_eq!(
        proxied(&[("HTTPS_PROXY", "PROXY")], "https://api.invalid/x").await,
        ["CONNECT api.invalid:443 HTTP/1.1"]
    );
    assert_eq!(proxied(&[("HTTPS_PROXY", "PROXY")], "http://api.invalid/x").await, Vec::<String>::new());
}

#[tokio::test]
async fn http_proxy_carries_plain_http_requests_only() {
    assert_eq!(
        proxied(&[("HTTP_PROXY", "PROXY")], "http://api.invalid/x").await,
        ["GET http://api.invalid/x HTTP/1.1"]
    );
    assert_eq!(proxied(&[("HTTP_PROXY", "PROXY")], "https://api.invalid/x").await, Vec::<String>::new());
}

#[tokio::test]
async fn all_proxy_carries_both() {
    assert_eq!(proxied(&[("ALL_PROXY", "PROXY")], "https://api.invalid/x").await, ["CONNECT api.invalid:443 HTTP/1.1"]);
    assert_eq!(proxied(&[("ALL_PROXY", "PROXY")], "http://api.invalid/x").await, ["GET http://api.invalid/x HTTP/1.1"]);
}

#[tokio::test]
async fn lower_case_names_count_and_an_empty_value_means_unset() {
    assert_eq!(
        proxied(&[("https_proxy", "PROXY")], "https://api.invalid/x").await,
        ["CONNECT api.invalid:443 HTTP/1.1"]
    );
    assert_eq!(proxied(&[("HTTPS_PROXY", "")], "https://api.invalid/x").await, Vec::<String>::new());
}

#[tokio::test]
async fn no_proxy_and_loopback_go_direct() {
    let vars = [("ALL_PROXY", "PROXY"), ("NO_PROXY", "api.invalid")];
    assert_eq!(proxied(&vars, "https://api.invalid/x").await, Vec::<String>::new());
    // The proxy's own address as the target: reached directly, so it sees a bare path.
    assert_eq!(proxied(&[("ALL_PROXY", "PROXY")], "http://SELF/x").await, ["GET /x HTTP/1.1"]);
}

#[tokio::test]
async fn a_proxy_variable_that_is_no_url_is_ignored() {
    let vars = [("HTTP_PROXY", "::not a url::"), ("HTTPS_PROXY", "PROXY")];
    assert_eq!(proxied(&vars, "https://api.invalid/x").await, ["CONNECT api.invalid:443 HTTP/1.1"]);
}
