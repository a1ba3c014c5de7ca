//! Parsing of whatever Digdir's API and Maskinporten's token endpoint might answer
//! (docs/development/digdir-api.md, "Errors" to "Keys", and "Quirks"): every response type the
//! provider reads, error bodies through the one conversion to a diagnostic, token answers, and
//! `Retry-After` values.
//!
//! Input: what the body claims to be (a word, then a newline), then the body. Nothing may panic; whatever parses
//! into a type we send back (scopes, clients, keys, contacts) must survive a serialise → parse
//! round trip unchanged, since a GET → merge → PUT relies on it.

#![cfg_attr(fuzzing, no_main)]

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant, SystemTime};
use terraform_provider_maskinporten::api::auth::token_from_response;
use terraform_provider_maskinporten::api::contacts::Contact;
use terraform_provider_maskinporten::api::response::{error_from_response, retry_after_value};
use terraform_provider_maskinporten::api::types::*;
use terraform_provider_maskinporten::provider::errors::api_diag;

/// Types the provider sends back after reading them: parse → serialise → parse is the identity.
fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(body: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<T>(body) {
        let json = serde_json::to_vec(&v).expect("serialises");
        let back: T = serde_json::from_slice(&json).expect("our own JSON parses");
        assert_eq!(back, v, "round trip");
    }
}

fn parses<T: DeserializeOwned>(body: &[u8]) {
    let _ = serde_json::from_slice::<T>(body);
}

fn error_answer(status: u16, body: &[u8]) {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("date", "Tue, 24 Nov 2026 13:00:00 GMT".parse().expect("header"));
    let err = error_from_response("GET", "/scopes", status, &headers, body);
    let _ = (err.is_does_not_have_any(), err.may_have_committed(), err.to_string());
    let _ = api_diag(&err, "read scope demo:x", "test", None, false);
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

/// One input. cargo-fuzz calls it under libFuzzer; `tests/fuzz_seeds.rs` calls it on every seed
/// and a few thousand mutations of them on stable Rust, so the target is built and exercised by
/// the test suite.
pub fn run(data: &[u8]) {
    // "<what>\n<body>": the seeds name what they are, and the fuzzer may mutate either part.
    let (what, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    match what {
        b"scopes" => parses::<Vec<Scope>>(body),
        b"scope" => round_trip::<Scope>(body),
        b"clients" => parses::<Vec<Client>>(body),
        b"client" => round_trip::<Client>(body),
        b"jwks" => round_trip::<Jwks>(body),
        b"jwk" => round_trip::<Jwk>(body),
        b"accesses" => parses::<Vec<ScopeAccess>>(body),
        b"access" => parses::<ScopeAccess>(body),
        b"prefixes" => parses::<Vec<ScopePrefix>>(body),
        b"delegation_sources" => parses::<Vec<DelegationSource>>(body),
        b"organization" => parses::<Organization>(body),
        b"contact" => round_trip::<Contact>(body),
        b"error" => error_answer(400 + u16::from(body.len() as u8 % 200), body),
        b"token" => {
            if let Ok(t) = token_from_response(200, body, "/token", &Default::default(), Instant::now()) {
                assert!(t.expires_at <= Instant::now() + Duration::from_secs(86_400));
            }
        }
        b"token_error" => {
            let _ = token_from_response(400, body, "/token", &Default::default(), Instant::now())
                .map_err(|e| api_diag(&e, "x", "test", None, false));
        }
        b"retry_after" => {
            if let Ok(v) = std::str::from_utf8(body) {
                let _ = retry_after_value(v, SystemTime::now());
            }
        }
        _ => {}
    }
}
