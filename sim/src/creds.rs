//! Test credentials: a CA standing in for the enterprise-certificate issuers (Buypass,
//! Commfides), and per organisation an administration client with an RSA key and a leaf
//! certificate carrying the organisation number, as a virksomhetssertifikat does.

use std::path::Path;

pub struct Ca {
    key: rcgen::KeyPair,
    cert: rcgen::Certificate,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    /// Stands in for the production issuers, whose certificates TEST refuses (MP-124).
    prod_issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

/// What the simulator knows about one organisation's administration client.
#[derive(Clone)]
pub struct OrgCreds {
    pub orgno: String,
    pub prefixes: Vec<String>,
    /// The admin scopes Digdir granted this organisation's administration client: the token
    /// endpoint refuses a request for any other (MP-200).
    pub admin_scopes: Vec<String>,
    pub client_id: String,
    pub key_pem: String,
    pub public_key_pem: String,
    pub leaf_der: Vec<u8>,
    pub leaf_pem: String,
    /// The same key in a certificate of the *production* CA: refused in TEST with MP-124.
    pub prod_leaf_der: Vec<u8>,
    pub prod_leaf_pem: String,
    /// The same key in a certificate that expired: refused with MP-121.
    pub expired_leaf_der: Vec<u8>,
    pub expired_leaf_pem: String,
}

impl Ca {
    pub fn new() -> anyhow::Result<Ca> {
        let key = rcgen::KeyPair::generate()?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(rcgen::DnType::CommonName, "maskinporten-sim test CA");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key)?;
        let issuer = rcgen::Issuer::new(params, rcgen::KeyPair::from_pem(&key.serialize_pem())?);
        let mut prod = rcgen::CertificateParams::new(Vec::<String>::new())?;
        prod.distinguished_name.push(rcgen::DnType::CommonName, "maskinporten-sim production CA");
        prod.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let prod_issuer = rcgen::Issuer::new(prod, rcgen::KeyPair::generate()?);
        Ok(Ca { key, cert, issuer, prod_issuer })
    }

    pub fn pem(&self) -> String {
        let _ = &self.key;
        self.cert.pem()
    }

    /// An administration client for `orgno`: RSA-2048 key, leaf certificate with the orgno as
    /// subject serialNumber (as Norwegian enterprise certificates carry it).
    pub fn issue(&self, spec: &crate::OrgSpec) -> anyhow::Result<OrgCreds> {
        let orgno = spec.orgno.as_str();
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(rcgen::DnType::OrganizationName, format!("SIM ORG {orgno}"));
        params.distinguished_name.push(rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]), orgno);
        let cert = params.signed_by(&key, &self.issuer)?;
        let prod = params.signed_by(&key, &self.prod_issuer)?;
        let mut old = params.clone();
        old.not_before = rcgen::date_time_ymd(2020, 1, 1);
        old.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let expired = old.signed_by(&key, &self.issuer)?;
        Ok(OrgCreds {
            prod_leaf_der: prod.der().to_vec(),
            prod_leaf_pem: prod.pem(),
            expired_leaf_der: expired.der().to_vec(),
            expired_leaf_pem: expired.pem(),
            orgno: orgno.to_string(),
            prefixes: spec.prefixes.clone(),
            admin_scopes: if spec.admin_scopes.is_empty() {
                crate::auth::ADMIN_SCOPES.iter().map(|s| s.to_string()).collect()
            } else {
                spec.admin_scopes.clone()
            },
            client_id: uuid::Uuid::new_v4().to_string(),
            key_pem: key.serialize_pem(),
            public_key_pem: key.public_key_pem(),
            leaf_der: cert.der().to_vec(),
            leaf_pem: cert.pem(),
        })
    }
}

/// One line per variable; PEM newlines written as the two characters `\n`.
fn escape(s: &str) -> String {
    s.trim_end().replace('\n', "\\n")
}

pub fn env_pairs(base: &str, o: &OrgCreds, ca_pem: &str, ca_bundle: Option<&Path>) -> Vec<(String, String)> {
    let mut pairs = vec![
        ("MASKINPORTEN_ENVIRONMENT".into(), "test".into()),
        ("MASKINPORTEN_API_URL".into(), base.to_string()),
        ("MASKINPORTEN_ISSUER".into(), format!("{base}/")),
        ("MASKINPORTEN_CLIENT_ID".into(), o.client_id.clone()),
        ("MASKINPORTEN_PRIVATE_KEY_PEM".into(), escape(&o.key_pem)),
        ("MASKINPORTEN_CERTIFICATE_CHAIN_PEM".into(), escape(&format!("{}{}", o.leaf_pem, ca_pem))),
    ];
    if let Some(path) = ca_bundle {
        pairs.push(("MASKINPORTEN_CA_BUNDLE_FILE".into(), path.display().to_string()));
    }
    pairs
}

/// Write a file readable by the owner alone, as a new file: an existing one (or a symlink an
/// attacker placed there) is removed first, never followed, and the mode is set at creation, so
/// no other user can read it in between.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// Write `DIR/<orgno>.env` for each organisation and `DIR/provider.env` for the first, plus the
/// key and chain as PEM files; everything holding a private key is the owner's alone.
pub fn write_env_files(
    dir: &Path,
    base: &str,
    orgs: &[OrgCreds],
    ca: &Ca,
    ca_bundle: Option<&Path>,
) -> anyhow::Result<()> {
    for (i, o) in orgs.iter().enumerate() {
        let text: String = env_pairs(base, o, &ca.pem(), ca_bundle).iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        write_private(&dir.join(format!("{}.env", o.orgno)), &text)?;
        if i == 0 {
            write_private(&dir.join("provider.env"), &text)?;
        }
        write_private(&dir.join(format!("{}.key.pem", o.orgno)), &o.key_pem)?;
        std::fs::write(dir.join(format!("{}.chain.pem", o.orgno)), format!("{}{}", o.leaf_pem, ca.pem()))?;
    }
    // A key pair for an example integration (a client of the consumer), so the quickstart can
    // register a public key; the private half is what the integration would sign grants with.
    let client_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
    std::fs::write(dir.join("example-client.pub.pem"), client_key.public_key_pem())?;
    write_private(&dir.join("example-client.key.pem"), &client_key.serialize_pem())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_files_are_new_owner_only_and_never_follow_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "untouched").unwrap();
        let path = dir.path().join("key.pem");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        write_private(&path, "secret").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched", "the symlink was not followed");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "secret");
        assert_eq!(std::fs::symlink_metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
