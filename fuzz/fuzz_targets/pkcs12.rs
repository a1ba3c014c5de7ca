//! The enterprise certificate's PKCS#12 file (pkcs12_file): untrusted bytes from disk, read by
//! p12-keystore and our key-to-certificate matching. Any input must give an identity or a typed
//! error, never a panic; an identity always signs with x5c starting at the key's certificate.

#![cfg_attr(fuzzing, no_main)]

use terraform_provider_maskinporten::provider::pkcs12::{Password, load};

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

/// One input. cargo-fuzz calls it under libFuzzer; `tests/fuzz_seeds.rs` calls it on every seed
/// and a few thousand mutations of them on stable Rust, so the target is built and exercised by
/// the test suite.
pub fn run(data: &[u8]) {
    // The fixtures' password (tests/fixtures/pkcs12), so mutations get past the MAC.
    let password = Password::new("test-password-1".to_string());
    for with_certificate in [true, false] {
        if let Ok(id) = load(data, Some(&password), with_certificate) {
            assert_eq!(id.chain_der.is_empty(), !with_certificate);
            assert!(id.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        }
    }
    let _ = load(data, None, true);
}
