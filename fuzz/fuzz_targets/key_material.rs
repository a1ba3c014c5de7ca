//! Client key material as users write it (ARCHITECTURE.md, "Rules every resource follows": keys):
//! PEM (SPKI, PKCS#1, certificate) or a JWK, parsed by our own DER reader. Arbitrary text must
//! never panic; a key that parses has at least 2048 bits, and its thumbprint is the one its JWK
//! form gives.

#![cfg_attr(fuzzing, no_main)]

use terraform_provider_maskinporten::provider::keys::{parse, thumbprint_of};

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

/// One input. cargo-fuzz calls it under libFuzzer; `tests/fuzz_seeds.rs` calls it on every seed
/// and a few thousand mutations of them on stable Rust, so the target is built and exercised by
/// the test suite.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(k) = parse(text) {
        assert!(k.bits() >= 2048, "a parsed key is RSA of at least 2048 bits");
        assert_eq!(k.thumbprint(), thumbprint_of(&k.n_b64(), &k.e_b64()));
    }
}
