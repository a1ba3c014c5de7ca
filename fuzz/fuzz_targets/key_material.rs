//! Client key material as users write it (ARCHITECTURE.md, "Rules every resource follows": keys):
//! PEM (SPKI, PKCS#1, certificate) or a JWK, parsed by our own DER reader. Arbitrary text must
//! never panic; a key that parses has at least 2048 bits, and its thumbprint is the one its JWK
//! form gives.

#![no_main]

use libfuzzer_sys::fuzz_target;
use terraform_provider_maskinporten::provider::keys::{parse, thumbprint_of};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(k) = parse(text) {
        assert!(k.bits() >= 2048, "a parsed key is RSA of at least 2048 bits");
        assert_eq!(k.thumbprint(), thumbprint_of(&k.n_b64(), &k.e_b64()));
    }
});
