//! Client key material (ARCHITECTURE.md, "Rules every resource follows": keys): a public key PEM
//! (SPKI or PKCS#1), a certificate PEM, or a public JWK is accepted; any private key is refused
//! without ever echoing it. RSA of at least 2048 bits only. A key's identity is its RFC 7638
//! thumbprint, so a reformatted PEM of the same key is the same key.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// An RSA public key ready to register.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicKey {
    /// Modulus and exponent, unsigned big-endian without leading zeros.
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    /// The certificate (standard base64 DER) when the key came as one: registering it locks the
    /// client to that certificate (docs/development/digdir-api.md, "Keys").
    pub x5c: Option<String>,
}

impl PublicKey {
    pub fn bits(&self) -> usize {
        self.n.first().map_or(0, |b| self.n.len() * 8 - b.leading_zeros() as usize)
    }
    pub fn n_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.n)
    }
    pub fn e_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.e)
    }
    /// RFC 7638: SHA-256 over `{"e":…,"kty":"RSA","n":…}`, base64url.
    pub fn thumbprint(&self) -> String {
        thumbprint_of(&self.n_b64(), &self.e_b64())
    }
}

pub fn thumbprint_of(n_b64: &str, e_b64: &str) -> String {
    let canonical = format!(r#"{{"e":"{e_b64}","kty":"RSA","n":"{n_b64}"}}"#);
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()).as_ref())
}

/// Why key material was refused. Messages never contain the material.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum KeyError {
    #[error(
        "this is a private key. Give the public key, a certificate or a public JWK instead: the private key must never leave your systems (it would end up in Terraform's plan and state)"
    )]
    Private,
    #[error("only RSA keys are accepted by Maskinporten")]
    NotRsa,
    #[error("the RSA key has {0} bits; Maskinporten needs at least 2048")]
    TooSmall(usize),
    #[error("not a public key PEM, certificate PEM or public JWK: {0}")]
    Unreadable(String),
}

const PRIVATE_LABELS: &[&str] = &[
    "PRIVATE KEY",
    "RSA PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "EC PRIVATE KEY",
    "OPENSSH PRIVATE KEY",
    "DSA PRIVATE KEY",
];
const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// Parse key material as the user wrote it.
pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
    let t = text.trim();
    if t.starts_with('{') {
        return parse_jwk(t);
    }
    let (label, der) = pem(t)?;
    if PRIVATE_LABELS.contains(&label.as_str()) {
        return Err(KeyError::Private);
    }
    let key = match label.as_str() {
        "PUBLIC KEY" => spki(&der)?,
        "RSA PUBLIC KEY" => rsa_public_key(&der)?,
        "CERTIFICATE" => PublicKey { x5c: Some(STANDARD.encode(&der)), ..certificate_spki(&der)? },
        other => return Err(KeyError::Unreadable(format!("unexpected PEM block {other:?}"))),
    };
    match key.bits() {
        b if b < 2048 => Err(KeyError::TooSmall(b)),
        _ => Ok(key),
    }
}

fn pem(t: &str) -> Result<(String, Vec<u8>), KeyError> {
    let begin = t.find("-----BEGIN ").ok_or_else(|| KeyError::Unreadable("no PEM header".into()))?;
    let rest = &t[begin + 11..];
    let end_label = rest.find("-----").ok_or_else(|| KeyError::Unreadable("broken PEM header".into()))?;
    let label = rest[..end_label].to_string();
    if PRIVATE_LABELS.contains(&label.as_str()) || label.contains("PRIVATE") {
        return Err(KeyError::Private);
    }
    let body_start = end_label + 5;
    let footer = format!("-----END {label}-----");
    // The footer is looked for after the header: "-----BEGIN X-----END X-----" has none.
    let body = &rest[body_start..];
    let body_end = body.find(&footer).ok_or_else(|| KeyError::Unreadable("no PEM footer".into()))?;
    let b64: String = body[..body_end].chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD.decode(b64).map_err(|_| KeyError::Unreadable("PEM body is not base64".into()))?;
    Ok((label, der))
}

fn parse_jwk(t: &str) -> Result<PublicKey, KeyError> {
    let v: serde_json::Value = serde_json::from_str(t).map_err(|_| KeyError::Unreadable("invalid JSON".into()))?;
    if ["d", "p", "q", "dp", "dq", "qi"].iter().any(|m| v.get(m).is_some()) {
        return Err(KeyError::Private);
    }
    if v["kty"] != "RSA" {
        return Err(KeyError::NotRsa);
    }
    let field = |f: &str| {
        v[f].as_str()
            .and_then(|s| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok())
            .ok_or_else(|| KeyError::Unreadable(format!("JWK member {f} missing or not base64url")))
    };
    let key = PublicKey { n: strip(field("n")?), e: strip(field("e")?), x5c: v["x5c"][0].as_str().map(String::from) };
    match key.bits() {
        b if b < 2048 => Err(KeyError::TooSmall(b)),
        _ => Ok(key),
    }
}

/// Drop leading zero bytes (DER integers carry one before a high bit), keeping at least one byte.
fn strip(mut b: Vec<u8>) -> Vec<u8> {
    let zeros = b.iter().take_while(|x| **x == 0).count().min(b.len().saturating_sub(1));
    b.drain(..zeros);
    b
}

/// One DER element: (tag, contents, rest).
fn tlv(d: &[u8]) -> Result<(u8, &[u8], &[u8]), KeyError> {
    let bad = || KeyError::Unreadable("malformed DER".into());
    let (&tag, d) = d.split_first().ok_or_else(bad)?;
    let (&l0, d) = d.split_first().ok_or_else(bad)?;
    let (len, d) = if l0 < 0x80 {
        (l0 as usize, d)
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 4 || d.len() < n {
            return Err(bad());
        }
        (d[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize), &d[n..])
    };
    if d.len() < len {
        return Err(bad());
    }
    Ok((tag, &d[..len], &d[len..]))
}

fn expect(d: &[u8], tag: u8) -> Result<(&[u8], &[u8]), KeyError> {
    match tlv(d)? {
        (t, c, r) if t == tag => Ok((c, r)),
        _ => Err(KeyError::Unreadable("unexpected DER structure".into())),
    }
}

/// PKCS#1 RSAPublicKey ::= SEQUENCE { n INTEGER, e INTEGER }.
fn rsa_public_key(der: &[u8]) -> Result<PublicKey, KeyError> {
    let (seq, _) = expect(der, 0x30)?;
    let (n, rest) = expect(seq, 0x02)?;
    let (e, _) = expect(rest, 0x02)?;
    Ok(PublicKey { n: strip(n.to_vec()), e: strip(e.to_vec()), x5c: None })
}

/// SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING }.
fn spki(der: &[u8]) -> Result<PublicKey, KeyError> {
    let (seq, _) = expect(der, 0x30)?;
    let (alg, rest) = expect(seq, 0x30)?;
    let (oid, _) = expect(alg, 0x06)?;
    if oid != RSA_OID {
        return Err(KeyError::NotRsa);
    }
    let (bits, _) = expect(rest, 0x03)?;
    rsa_public_key(bits.get(1..).ok_or_else(|| KeyError::Unreadable("empty key".into()))?)
}

/// The SPKI inside a certificate's TBSCertificate (after version, serial, signature, issuer,
/// validity, subject).
fn certificate_spki(der: &[u8]) -> Result<PublicKey, KeyError> {
    let (cert, _) = expect(der, 0x30)?;
    let (mut tbs, _) = expect(cert, 0x30)?;
    if tbs.first() == Some(&0xa0) {
        tbs = tlv(tbs)?.2;
    }
    for _ in 0..5 {
        tbs = tlv(tbs)?.2;
    }
    let (tag, content, _) = tlv(tbs)?;
    if tag != 0x30 {
        return Err(KeyError::Unreadable("certificate without a public key".into()));
    }
    let mut wrapped = vec![0x30];
    wrapped.extend(der_len(content.len()));
    wrapped.extend_from_slice(content);
    spki(&wrapped)
}

fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        vec![n as u8]
    } else {
        let bytes: Vec<u8> = n.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
        std::iter::once(0x80 | bytes.len() as u8).chain(bytes).collect()
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
