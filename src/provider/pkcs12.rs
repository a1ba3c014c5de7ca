//! The enterprise certificate as its issuer delivers it: a PKCS#12 file (`.p12`/`.pfx`) holding
//! the private key, the enterprise certificate and usually its CA chain. Buypass and Commfides
//! have issued both the legacy protection (PBES1: 3DES for the key, 40-bit RC2 for the
//! certificates, SHA-1 MAC) and the current one (PBES2: AES-256-CBC with PBKDF2-HMAC-SHA256);
//! `p12-keystore` reads both in pure Rust.
//!
//! The file is untrusted input: every failure is a [`P12Error`] that says what to do, and none
//! of them — nor any `Debug` output here — carries the password or key material.

use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use p12_keystore::Pkcs12Archive;
use p12_keystore::error::Error as CrateError;
use std::io::Read;
use x509_parser::extensions::ParsedExtension;

/// An enterprise certificate file is a few kilobytes; anything this large is not one.
const MAX_FILE_BYTES: u64 = 1 << 20;
/// Longer chains than this are not built (a hostile file could hold many certificates).
const MAX_CHAIN: usize = 8;
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// The password of a PKCS#12 file: never printed.
pub struct Password(String);

impl Password {
    pub fn new(s: String) -> Password {
        Password(s)
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// What the provider signs with, taken from the file.
pub struct Identity {
    /// The private key as PKCS#8 PEM (what `jsonwebtoken::EncodingKey::from_rsa_pem` reads).
    pub key_pem: crate::api::config::KeyPem,
    /// DER certificates for `x5c`: the certificate of the key first, then the intermediates
    /// that issued it, in order. The self-signed root is left out: a verifier holds it already,
    /// and Maskinporten accepts the leaf alone as well as a fuller chain. Empty when no
    /// certificate was asked for (signing with `kid`).
    pub chain_der: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity {{ certificates: {}, key: <redacted> }}", self.chain_der.len())
    }
}

/// Why a PKCS#12 file could not be used. [`P12Error::attribute`] names the provider attribute a
/// diagnostic points at; [`P12Error::summary`] and [`P12Error::detail`] say what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum P12Error {
    Unreadable(String),
    TooLarge(u64),
    Pem,
    Base64Text,
    /// The integrity check (MAC) or the decryption failed: the password is wrong.
    WrongPassword,
    /// As `WrongPassword`, but no password was configured.
    MissingPassword,
    Malformed(String),
    Unsupported(String),
    NoKey {
        certificates: usize,
    },
    NotRsa(String),
    KeyRejected(String),
    NoMatchingCertificate {
        certificates: usize,
    },
}

impl P12Error {
    pub fn attribute(&self) -> &'static str {
        match self {
            P12Error::WrongPassword | P12Error::MissingPassword => "pkcs12_password",
            _ => "pkcs12_file",
        }
    }

    pub fn summary(&self) -> &'static str {
        match self {
            P12Error::Unreadable(_) => "Unreadable PKCS#12 file",
            P12Error::TooLarge(_) | P12Error::Pem | P12Error::Base64Text | P12Error::Malformed(_) => {
                "Invalid PKCS#12 file"
            }
            P12Error::WrongPassword => "Wrong PKCS#12 password",
            P12Error::MissingPassword => "Missing pkcs12_password",
            P12Error::Unsupported(_) => "Unsupported PKCS#12 protection",
            P12Error::NoKey { .. } => "No private key in the PKCS#12 file",
            P12Error::NotRsa(_) | P12Error::KeyRejected(_) => "Unusable private key in the PKCS#12 file",
            P12Error::NoMatchingCertificate { .. } => "No certificate for the key in the PKCS#12 file",
        }
    }

    /// The explanation, naming the file (never the password).
    pub fn detail(&self, path: &str) -> String {
        match self {
            P12Error::Unreadable(e) => format!(
                "{path}: {e}. Check the path (a relative path is read from the directory Terraform runs in) and that the user running Terraform may read the file."
            ),
            P12Error::TooLarge(n) => format!(
                "{path} is {n} bytes; an enterprise certificate file is a few kilobytes. Point pkcs12_file at the .p12/.pfx file of the enterprise certificate."
            ),
            P12Error::Pem => format!(
                "{path} is a PEM text file, not PKCS#12. Give its contents as certificate_chain_pem and private_key_pem instead, or point pkcs12_file at the .p12/.pfx file."
            ),
            P12Error::Base64Text => format!(
                "{path} is text that looks base64-encoded, not the binary PKCS#12 file. Decode it first (for example `base64 -d stored.txt > cert.p12`) and point pkcs12_file at the result."
            ),
            P12Error::WrongPassword => format!(
                "The password does not open {path}: its integrity check or decryption failed. Set pkcs12_password (or MASKINPORTEN_PKCS12_PASSWORD) to the password that came with the certificate file; the issuer sends it separately. If the password is right, the file is damaged: fetch it again."
            ),
            P12Error::MissingPassword => format!(
                "{path} is protected by a password. Set pkcs12_password, or better MASKINPORTEN_PKCS12_PASSWORD from a secret store, to the password that came with the certificate file."
            ),
            P12Error::Malformed(e) => format!(
                "{path} is not a readable PKCS#12 (.p12/.pfx) file ({e}). Check that it is the certificate file itself, copied as binary and complete (not a truncated download or a text conversion)."
            ),
            P12Error::Unsupported(e) => format!(
                "{path} uses a protection the provider cannot read ({e}). Supported: PBES2 with AES and PBKDF2, and the legacy 3DES and RC2 schemes, each with an HMAC-SHA-1 or SHA-2 MAC. Convert the file to PEM with openssl as the enterprise-certificate guide shows, and use certificate_chain_pem and private_key_pem."
            ),
            P12Error::NoKey { certificates } => format!(
                "{path} holds {certificates} certificate(s) but no private key. Use the file that holds the enterprise certificate together with its private key (when exporting from a certificate store, choose to export the private key)."
            ),
            P12Error::NotRsa(alg) => format!(
                "The private key in {path} is not an RSA key (algorithm {alg}). The grant is signed with RS256, and enterprise certificates from Buypass and Commfides carry RSA keys: check that this is the enterprise certificate."
            ),
            P12Error::KeyRejected(why) => format!(
                "The RSA key in {path} cannot sign the grant ({why}). RSA keys of 2048 to 8192 bits are accepted: check that this is the enterprise certificate."
            ),
            P12Error::NoMatchingCertificate { certificates } => format!(
                "{path} holds a private key and {certificates} certificate(s), but none of them is the certificate of that key. Export the enterprise certificate together with its own key, or set key_id to sign with a key registered on the administration client instead."
            ),
        }
    }
}

/// Read a PKCS#12 file (at most 1 MiB).
pub fn read_file(path: &str) -> Result<Vec<u8>, P12Error> {
    let file = std::fs::File::open(path).map_err(|e| P12Error::Unreadable(e.to_string()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_FILE_BYTES {
        return Err(P12Error::TooLarge(len));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| P12Error::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(P12Error::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The signing key of the file and, when `with_certificate`, its certificate chain for `x5c`.
/// `password` is `None` when none was configured: the empty password is tried then.
pub fn load(bytes: &[u8], password: Option<&Password>, with_certificate: bool) -> Result<Identity, P12Error> {
    let text = bytes.trim_ascii_start();
    if text.starts_with(b"-----BEGIN") {
        return Err(P12Error::Pem);
    }
    if !text.is_empty() && text.iter().all(|b| b.is_ascii_alphanumeric() || b"+/=\r\n ".contains(b)) {
        return Err(P12Error::Base64Text);
    }
    let archive =
        Pkcs12Archive::from_pkcs12(bytes, password.map_or("", |p| p.0.as_str())).map_err(|e| match classify(e) {
            P12Error::WrongPassword if password.is_none() => P12Error::MissingPassword,
            other => other,
        })?;
    let certs: Vec<Cert> = archive.certs.iter().filter_map(|c| Cert::parse(c.cert.as_der())).collect();
    if archive.keys.is_empty() {
        return Err(P12Error::NoKey { certificates: certs.len() });
    }
    let mut first_problem = None;
    for bag in &archive.keys {
        let pkcs8 = bag.key.as_der();
        let alg = bag.key.oid().to_string();
        if alg != RSA_ENCRYPTION {
            first_problem.get_or_insert(P12Error::NotRsa(algorithm_name(&alg)));
            continue;
        }
        let public = match aws_lc_rs::rsa::KeyPair::from_pkcs8(pkcs8) {
            Ok(k) => k.public_key().as_ref().to_vec(),
            Err(e) => {
                first_problem.get_or_insert(P12Error::KeyRejected(e.to_string()));
                continue;
            }
        };
        let key_pem: crate::api::config::KeyPem = pkcs8_pem(pkcs8).into();
        if !with_certificate {
            return Ok(Identity { key_pem, chain_der: vec![] });
        }
        if let Some(leaf) = certs.iter().position(|c| c.public_key == public) {
            return Ok(Identity { key_pem, chain_der: chain(&certs, leaf) });
        }
        first_problem.get_or_insert(P12Error::NoMatchingCertificate { certificates: certs.len() });
    }
    Err(first_problem.unwrap_or(P12Error::NoKey { certificates: certs.len() }))
}

/// The crate's error as one of ours: a failed MAC or decryption means a wrong password; a scheme
/// it does not implement is unsupported; anything else is a damaged or foreign file.
fn classify(e: CrateError) -> P12Error {
    match e {
        CrateError::MacError(_) | CrateError::UnpadError => P12Error::WrongPassword,
        CrateError::Pkcs5Error(m) if m.contains("decryption failed") => P12Error::WrongPassword,
        CrateError::Pkcs5Error(m) => P12Error::Unsupported(m),
        CrateError::UnsupportedEncryptionScheme
        | CrateError::UnsupportedMacAlgorithm
        | CrateError::UnsupportedContentType
        | CrateError::UnsupportedCertificateType => P12Error::Unsupported(e.to_string()),
        CrateError::InvalidParameters => P12Error::Malformed(
            "invalid or excessive algorithm parameters, such as an iteration count over 1,000,000".into(),
        ),
        other => P12Error::Malformed(other.to_string().chars().take(200).collect()),
    }
}

fn algorithm_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.2.1" => "EC".to_string(),
        "1.3.101.112" => "Ed25519".to_string(),
        "1.2.840.10040.4.1" => "DSA".to_string(),
        other => other.to_string(),
    }
}

fn pkcs8_pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for (i, c) in b64.chars().enumerate() {
        if i > 0 && i % 64 == 0 {
            pem.push('\n');
        }
        pem.push(c);
    }
    pem.push_str("\n-----END PRIVATE KEY-----\n");
    pem
}

/// What chain building needs of a certificate.
struct Cert {
    der: Vec<u8>,
    subject: Vec<u8>,
    issuer: Vec<u8>,
    /// The subjectPublicKey bits: for RSA, the DER `RSAPublicKey` that aws-lc-rs also gives.
    public_key: Vec<u8>,
    subject_key_id: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
}

impl Cert {
    fn parse(der: &[u8]) -> Option<Cert> {
        let (_, c) = x509_parser::parse_x509_certificate(der).ok()?;
        let mut cert = Cert {
            der: der.to_vec(),
            subject: c.subject().as_raw().to_vec(),
            issuer: c.issuer().as_raw().to_vec(),
            public_key: c.public_key().subject_public_key.data.to_vec(),
            subject_key_id: None,
            authority_key_id: None,
        };
        for ext in c.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => cert.subject_key_id = Some(k.0.to_vec()),
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    cert.authority_key_id = a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                _ => {}
            }
        }
        Some(cert)
    }

    fn self_signed(&self) -> bool {
        self.subject == self.issuer
    }

    /// `self` names `parent` as its issuer (by name, and by key id when both carry one).
    fn issued_by(&self, parent: &Cert) -> bool {
        self.issuer == parent.subject
            && match (&self.authority_key_id, &parent.subject_key_id) {
                (Some(a), Some(s)) => a == s,
                _ => true,
            }
    }
}

/// The leaf, then each issuer found in the file up to (not including) a self-signed root.
fn chain(certs: &[Cert], leaf: usize) -> Vec<Vec<u8>> {
    let mut order = vec![leaf];
    while order.len() < MAX_CHAIN {
        let Some(current) = order.last().and_then(|&i| certs.get(i)) else { break };
        if current.self_signed() {
            break;
        }
        let next = certs
            .iter()
            .enumerate()
            .find(|(i, c)| !order.contains(i) && !c.self_signed() && current.issued_by(c))
            .map(|(i, _)| i);
        match next {
            Some(i) => order.push(i),
            None => break,
        }
    }
    order.iter().filter_map(|&i| certs.get(i)).map(|c| c.der.clone()).collect()
}

#[cfg(test)]
#[path = "pkcs12_tests.rs"]
mod tests;
