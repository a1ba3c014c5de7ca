use super::*;

fn rsa() -> rcgen::KeyPair {
    rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("rsa key")
}

#[test]
fn public_pem_certificate_and_jwk_are_the_same_key() {
    let k = rsa();
    let from_pem = parse(&k.public_key_pem()).unwrap();
    assert_eq!(from_pem.bits(), 2048);
    let cert = rcgen::CertificateParams::new(vec!["x".into()]).unwrap().self_signed(&k).unwrap();
    let from_cert = parse(&cert.pem()).unwrap();
    assert_eq!(from_cert.thumbprint(), from_pem.thumbprint());
    assert!(from_cert.x5c.is_some() && from_pem.x5c.is_none());
    let jwk = format!(r#"{{"kty":"RSA","n":"{}","e":"{}"}}"#, from_pem.n_b64(), from_pem.e_b64());
    assert_eq!(parse(&jwk).unwrap().thumbprint(), from_pem.thumbprint());
    // A reformatted PEM (different line breaks) is the same key.
    let flat = k.public_key_pem().replace('\n', "\n\n");
    assert_eq!(parse(&flat).unwrap().thumbprint(), from_pem.thumbprint());
}

#[test]
fn rfc7638_example_thumbprint() {
    // RFC 7638 §3.1.
    let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    assert_eq!(thumbprint_of(n, "AQAB"), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

#[test]
fn private_keys_are_refused_without_echo() {
    let k = rsa();
    let pem = k.serialize_pem();
    let err = parse(&pem).unwrap_err();
    assert_eq!(err, KeyError::Private);
    assert!(!err.to_string().contains(&pem[30..60]));
    let b64 = URL_SAFE_NO_PAD.encode([1u8; 300]);
    assert_eq!(parse(&format!(r#"{{"kty":"RSA","n":"{b64}","e":"AQAB","d":"AAAA"}}"#)).unwrap_err(), KeyError::Private);
    assert_eq!(
        parse("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----").unwrap_err(),
        KeyError::Private
    );
}

#[test]
fn small_and_non_rsa_keys_are_refused() {
    let small = format!(r#"{{"kty":"RSA","n":"{}","e":"AQAB"}}"#, URL_SAFE_NO_PAD.encode([0xffu8; 128]));
    assert_eq!(parse(&small).unwrap_err(), KeyError::TooSmall(1024));
    let ec = rcgen::KeyPair::generate().unwrap();
    assert_eq!(parse(&ec.public_key_pem()).unwrap_err(), KeyError::NotRsa);
    assert!(matches!(parse("hello"), Err(KeyError::Unreadable(_))));
}

#[test]
fn a_pem_whose_footer_overlaps_its_header_is_unreadable_not_a_panic() {
    // The footer was searched for from the header on, so it could end before the body began (a
    // slice panic). The key_material fuzz target finds the third input within seconds when the
    // fix is reverted.
    assert!(matches!(parse("-----BEGIN X-----END X-----"), Err(KeyError::Unreadable(_))));
    assert!(matches!(parse("-----BEGIN PUBLIC KEY-----END PUBLIC KEY-----"), Err(KeyError::Unreadable(_))));
    assert!(matches!(parse("-----BEGIN PUBLIC KEY------END PUBLIC KEY-----"), Err(KeyError::Unreadable(_))));
}
