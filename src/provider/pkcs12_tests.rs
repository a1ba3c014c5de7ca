use super::*;
use crate::api::Signing;
use crate::api::grant::sign_grant;
use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey, PrivateKeyChain,
};
use std::path::PathBuf;

const PASSWORD: &str = "test-password-1";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pkcs12").join(name)
}

fn pw(s: &str) -> Password {
    Password::new(s.to_string())
}

/// The leaf's RSA public key (DER `RSAPublicKey`).
fn public_key(cert_der: &[u8]) -> Vec<u8> {
    let (_, c) = x509_parser::parse_x509_certificate(cert_der).unwrap();
    c.public_key().subject_public_key.data.to_vec()
}

/// The key signs a grant, as the provider does, that verifies against the leaf's public key;
/// the grant's `x5c` is the chain, leaf first.
fn assert_signs_for_leaf(id: &Identity) {
    let signing = Signing::X5c { chain_der: id.chain_der.clone(), key_pem: id.key_pem.clone() };
    let jwt = sign_grant(
        "https://test.maskinporten.no/",
        "admin",
        "idporten:scopes.read",
        &signing,
        None,
        std::time::SystemTime::now(),
    )
    .expect("the key from the file signs");
    let key = jsonwebtoken::DecodingKey::from_rsa_der(&public_key(&id.chain_der[0]));
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.validate_exp = false;
    v.validate_aud = false;
    let data = jsonwebtoken::decode::<serde_json::Value>(jwt.expose(), &key, &v).expect("verifies with the leaf");
    let x5c: Vec<Vec<u8>> = data
        .header
        .x5c
        .unwrap_or_default()
        .iter()
        .map(|c| base64::engine::general_purpose::STANDARD.decode(c).unwrap())
        .collect();
    assert_eq!(x5c, id.chain_der);
}

#[test]
fn legacy_3des_rc2_sha1_file_as_issued() {
    let id = load(&fixture("legacy.p12"), Some(&pw(PASSWORD)), true).unwrap();
    assert_eq!(id.chain_der, vec![fixture("leaf.der")]);
    assert!(id.key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert_signs_for_leaf(&id);
}

#[test]
fn aes_256_pbkdf2_sha256_file() {
    let id = load(&fixture("aes.p12"), Some(&pw(PASSWORD)), true).unwrap();
    assert_eq!(id.chain_der, vec![fixture("leaf.der")]);
    assert_signs_for_leaf(&id);
}

#[test]
fn chain_is_leaf_then_intermediate_without_the_root_whatever_the_file_order() {
    // chain.p12 holds leaf, root, intermediate in that order.
    let id = load(&fixture("chain.p12"), Some(&pw(PASSWORD)), true).unwrap();
    assert_eq!(id.chain_der, vec![fixture("leaf.der"), fixture("intermediate.der")]);
    assert_signs_for_leaf(&id);
    // Unencrypted and without MAC, the same content.
    let plain = load(&fixture("plain-nomac.p12"), None, true).unwrap();
    assert_eq!(plain.chain_der, id.chain_der);
}

#[test]
fn with_key_id_only_the_key_is_needed() {
    let id = load(&fixture("legacy.p12"), Some(&pw(PASSWORD)), false).unwrap();
    assert!(id.chain_der.is_empty());
}

#[test]
fn wrong_missing_and_right_password() {
    for f in ["legacy.p12", "aes.p12", "chain.p12"] {
        let bytes = fixture(f);
        assert_eq!(load(&bytes, Some(&pw("wrong")), true).unwrap_err(), P12Error::WrongPassword, "{f}");
        assert_eq!(load(&bytes, None, true).unwrap_err(), P12Error::MissingPassword, "{f}");
        assert_eq!(load(&bytes, Some(&pw("")), true).unwrap_err(), P12Error::WrongPassword, "{f}");
    }
    let e = P12Error::WrongPassword;
    assert_eq!(e.attribute(), "pkcs12_password");
    assert!(!e.detail("/x/cert.p12").contains(PASSWORD));
}

#[test]
fn truncated_files_are_malformed_never_a_panic() {
    let bytes = fixture("legacy.p12");
    for len in (0..bytes.len()).step_by(7) {
        let e = load(&bytes[..len], Some(&pw(PASSWORD)), true).unwrap_err();
        assert!(matches!(e, P12Error::Malformed(_)), "length {len}: {e:?}");
        assert_eq!(e.attribute(), "pkcs12_file");
    }
}

#[test]
fn certificates_only_ec_key_pem_and_base64_text() {
    assert_eq!(
        load(&fixture("certs-only.p12"), Some(&pw(PASSWORD)), true).unwrap_err(),
        P12Error::NoKey { certificates: 3 }
    );
    assert_eq!(load(&fixture("ec.p12"), Some(&pw(PASSWORD)), true).unwrap_err(), P12Error::NotRsa("EC".into()));
    let pem = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap().serialize_pem();
    assert_eq!(load(pem.as_bytes(), None, true).unwrap_err(), P12Error::Pem);
    let b64 = base64::engine::general_purpose::STANDARD.encode(fixture("aes.p12"));
    assert_eq!(load(b64.as_bytes(), Some(&pw(PASSWORD)), true).unwrap_err(), P12Error::Base64Text);
}

/// A keystore written by the crate's own writer: `key` with `certs` (leaf first).
fn written(
    key: &rcgen::KeyPair,
    certs: &[Vec<u8>],
    alg: EncryptionAlgorithm,
    mac: MacAlgorithm,
    password: &str,
) -> Vec<u8> {
    let chain = PrivateKeyChain::new(
        b"k1".as_slice(),
        PrivateKey::from_der(&key.serialize_der()).unwrap(),
        certs.iter().map(|c| Certificate::from_der(c).unwrap()),
    );
    let mut ks = KeyStore::new();
    ks.add_entry("enterprise certificate", KeyStoreEntry::PrivateKeyChain(chain));
    ks.writer(password).encryption_algorithm(alg).mac_algorithm(mac).encryption_iterations(2048).write().unwrap()
}

fn rsa() -> rcgen::KeyPair {
    rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap()
}

/// Root (self-signed), intermediate and leaf with the organisation number, built in the test.
fn hierarchy(leaf_key: &rcgen::KeyPair) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let ca = |cn: &str| {
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p
    };
    let root_key = rcgen::KeyPair::generate().unwrap();
    let root_params = ca("Test Root CA");
    let root = root_params.self_signed(&root_key).unwrap();
    let root_issuer = rcgen::Issuer::new(root_params, root_key);
    let int_key = rcgen::KeyPair::generate().unwrap();
    let int_params = ca("Test Class 3 CA");
    let int = int_params.signed_by(&int_key, &root_issuer).unwrap();
    let int_issuer = rcgen::Issuer::new(int_params, int_key);
    let mut leaf = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.distinguished_name.push(rcgen::DnType::OrganizationName, "TEST ORG AS");
    leaf.distinguished_name.push(rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]), "991825827");
    let leaf = leaf.signed_by(leaf_key, &int_issuer).unwrap();
    (leaf.der().to_vec(), int.der().to_vec(), root.der().to_vec())
}

#[test]
fn files_written_in_the_test_in_every_flavour() {
    let key = rsa();
    let (leaf, int, root) = hierarchy(&key);
    let flavours = [
        (EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc, MacAlgorithm::HmacSha1),
        (EncryptionAlgorithm::PbeWithShaAnd40BitRc4Cbc, MacAlgorithm::HmacSha1),
        (EncryptionAlgorithm::PbeWithHmacSha256AndAes256, MacAlgorithm::HmacSha256),
    ];
    for (alg, mac) in flavours {
        // Root before intermediate: the file's order is not the chain's.
        let bytes = written(&key, &[leaf.clone(), root.clone(), int.clone()], alg, mac, PASSWORD);
        let id = load(&bytes, Some(&pw(PASSWORD)), true).unwrap_or_else(|e| panic!("{alg:?}: {e:?}"));
        assert_eq!(id.chain_der, vec![leaf.clone(), int.clone()], "{alg:?}");
        assert_signs_for_leaf(&id);
        assert_eq!(load(&bytes, Some(&pw("wrong")), true).unwrap_err(), P12Error::WrongPassword);
    }
    // A Norwegian password, as UTF-8.
    let bytes = written(&key, std::slice::from_ref(&leaf), flavours[0].0, flavours[0].1, "blåbærsyltetøy");
    assert!(load(&bytes, Some(&pw("blåbærsyltetøy")), true).is_ok());
}

#[test]
fn a_certificate_of_another_key_is_not_the_leaf() {
    let (key, other) = (rsa(), rsa());
    let (leaf_of_other, _, _) = hierarchy(&other);
    let bytes = written(
        &key,
        &[leaf_of_other],
        EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
        MacAlgorithm::HmacSha256,
        PASSWORD,
    );
    let e = load(&bytes, Some(&pw(PASSWORD)), true).unwrap_err();
    assert_eq!(e, P12Error::NoMatchingCertificate { certificates: 1 });
    assert!(e.detail("cert.p12").contains("key_id"));
    // Signing with kid needs no certificate.
    assert!(load(&bytes, Some(&pw(PASSWORD)), false).is_ok());
}

/// Mutated files (bytes flipped, inserted, removed) give an error or an identity, never a
/// panic. The unencrypted fixture without MAC lets mutations reach the bag and certificate
/// parsers; the legacy one exercises the MAC and decryption paths.
#[test]
fn mutated_files_never_panic() {
    let mut rng = fastrand::Rng::with_seed(12);
    for (name, password) in [("plain-nomac.p12", None), ("legacy.p12", Some(pw(PASSWORD)))] {
        let original = fixture(name);
        let rounds = if password.is_some() { 150 } else { 1500 };
        for _ in 0..rounds {
            let mut bytes = original.clone();
            for _ in 0..rng.usize(1..4) {
                let at = rng.usize(..bytes.len());
                match rng.u8(..3) {
                    0 => bytes[at] = rng.u8(..),
                    1 => bytes.insert(at, rng.u8(..)),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            if let Ok(id) = load(&bytes, password.as_ref(), true) {
                assert!(!id.chain_der.is_empty());
            }
        }
    }
}

#[test]
fn secrets_stay_out_of_debug_output() {
    assert_eq!(format!("{:?}", pw(PASSWORD)), "Password(<redacted>)");
    let id = load(&fixture("aes.p12"), Some(&pw(PASSWORD)), true).unwrap();
    let dbg = format!("{id:?}");
    assert!(!dbg.contains("PRIVATE KEY") && dbg.contains("<redacted>"), "{dbg}");
}

mod provider_config {
    use super::*;
    use crate::tfplugin::{Diagnostics, Value};

    fn config(attrs: &[(&str, &str)]) -> Value {
        let mut m: std::collections::BTreeMap<String, Value> = [("environment", "test"), ("client_id", "admin")]
            .iter()
            .chain(attrs)
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect();
        m.entry("api_url".into()).or_insert(Value::String("http://127.0.0.1:1".into()));
        Value::Object(m)
    }

    #[test]
    fn pkcs12_file_signs_with_x5c_or_with_kid() {
        let path = fixture_path("chain.p12").display().to_string();
        let mut diags = Diagnostics::default();
        let cfg = config(&[("pkcs12_file", &path), ("pkcs12_password", PASSWORD)]);
        let s = crate::provider::config::resolve(&cfg, "1.15.0", &mut diags).expect("resolves");
        assert!(matches!(&s.api.signing, Signing::X5c { chain_der, .. } if chain_der.len() == 2), "{diags:?}");
        let cfg = config(&[("pkcs12_file", &path), ("pkcs12_password", PASSWORD), ("key_id", "k1")]);
        let s = crate::provider::config::resolve(&cfg, "1.15.0", &mut diags).expect("resolves");
        assert!(matches!(&s.api.signing, Signing::Kid { kid, .. } if kid == "k1"));
    }

    #[test]
    fn pkcs12_and_pem_together_point_at_pkcs12_file() {
        let path = fixture_path("legacy.p12").display().to_string();
        let cfg = config(&[("pkcs12_file", &path), ("pkcs12_password", PASSWORD), ("private_key_pem", "x")]);
        let mut diags = Diagnostics::default();
        crate::provider::config::validate(&cfg, &mut diags);
        assert!(crate::provider::config::resolve(&cfg, "1.15.0", &mut diags).is_none());
        let d: Vec<_> = diags.iter().collect();
        assert_eq!(d.len(), 2, "{d:?}");
        for d in d {
            assert_eq!(d.summary, "Conflicting signing material");
            assert_eq!(d.path, Some(crate::tfplugin::AttrPath::attr("pkcs12_file")));
        }
    }

    #[test]
    fn a_wrong_password_points_at_pkcs12_password_and_is_not_repeated() {
        let path = fixture_path("aes.p12").display().to_string();
        let secret = "not-the-password-123";
        let mut diags = Diagnostics::default();
        assert!(
            crate::provider::config::resolve(
                &config(&[("pkcs12_file", &path), ("pkcs12_password", secret)]),
                "1",
                &mut diags
            )
            .is_none()
        );
        let d = diags.iter().next().unwrap();
        assert_eq!(d.path, Some(crate::tfplugin::AttrPath::attr("pkcs12_password")));
        assert!(!format!("{diags:?}").contains(secret));
    }
}
