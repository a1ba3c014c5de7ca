//! Signing with the enterprise certificate's PKCS#12 file (pkcs12_file, pkcs12_password): the
//! simulator's organisation credentials written as a .p12 the legacy way (PBES1 3DES with a
//! SHA-1 MAC, by the same pure-Rust crate the provider reads with), and the provider given
//! nothing else.

use crate::harness::{Sim, Workdir};
use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey, PrivateKeyChain,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;

const SCOPE: &str = "resource \"maskinporten_scope\" \"s\" {\n  prefix      = \"demo\"\n  subscope    = \"p12\"\n  description = \"Signed with a .p12\"\n}\n";
pub const PASSWORD: &str = "Bl\u{e5}b\u{e6}r-p12-hemmelig-7319";

/// Write organisation `orgno`'s key and certificate chain (leaf, test CA) as a legacy .p12.
pub fn write_org_p12(sim: &Sim, orgno: &str, path: &Path) {
    let env = sim.sim.env_for(orgno);
    let var = |name: &str| {
        env.iter().find(|(k, _)| k == name).map(|(_, v)| v.replace("\\n", "\n")).unwrap_or_else(|| panic!("{name}"))
    };
    let key = rcgen::KeyPair::from_pem(&var("MASKINPORTEN_PRIVATE_KEY_PEM")).expect("the organisation's key");
    let chain: Vec<Certificate> = CertificateDer::pem_slice_iter(var("MASKINPORTEN_CERTIFICATE_CHAIN_PEM").as_bytes())
        .map(|c| Certificate::from_der(&c.expect("PEM certificate")).expect("certificate"))
        .collect();
    assert_eq!(chain.len(), 2, "leaf and CA");
    let entry = PrivateKeyChain::new(b"1".as_slice(), PrivateKey::from_der(&key.serialize_der()).unwrap(), chain);
    let mut ks = KeyStore::new();
    ks.add_entry("virksomhetssertifikat", KeyStoreEntry::PrivateKeyChain(entry));
    let bytes = ks
        .writer(PASSWORD)
        .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
        .mac_algorithm(MacAlgorithm::HmacSha1)
        .encryption_iterations(2048)
        .mac_iterations(2048)
        .write()
        .expect("write .p12");
    std::fs::write(path, bytes).expect("write .p12");
}

/// A working directory for the first organisation that signs with its .p12 only.
pub fn p12_workdir(sim: &Sim, main_tf: &str) -> Workdir {
    let mut w = Workdir::new(sim, "1.15", main_tf);
    w.env_remove("MASKINPORTEN_PRIVATE_KEY_PEM");
    w.env_remove("MASKINPORTEN_CERTIFICATE_CHAIN_PEM");
    let path = w.dir.path().join("virksomhetssertifikat.p12");
    write_org_p12(sim, "991825827", &path);
    w.env("MASKINPORTEN_PKCS12_FILE", &path.display().to_string());
    w.env("MASKINPORTEN_PKCS12_PASSWORD", PASSWORD);
    w
}

#[test]
fn p12_legacy_file_alone_signs_applies_and_converges() {
    let sim = Sim::start();
    let w = p12_workdir(&sim, SCOPE);
    w.apply();
    w.assert_converged();
    assert!(sim.scope("demo:p12").is_some(), "the scope was created");
    let tokens = sim.sim.token_requests();
    assert!(!tokens.is_empty() && tokens.iter().all(|t| t["outcome"] == "issued"), "{tokens:?}");
}

/// At TF_LOG=trace, neither the password nor the key taken from the file shows in the output,
/// the logs or the state.
#[test]
fn p12_password_and_key_never_leak_at_trace() {
    let sim = Sim::start();
    let w = p12_workdir(&sim, SCOPE);
    let trace = [("TF_LOG", "trace"), ("TF_LOG_PATH", "trace.log")];
    let plan = w.run_with_env(&["plan", "-out=tfplan", "-no-color", "-input=false"], &trace);
    let apply = w.run_with_env(&["apply", "-no-color", "-input=false", "tfplan"], &trace);
    assert_eq!(apply.code, 0, "{}", apply.text());
    let refresh = w.run_with_env(&["plan", "-no-color", "-input=false"], &trace);
    // A wrong password fails, and its diagnostic repeats neither password.
    let mut bad = p12_workdir(&sim, SCOPE);
    bad.env_remove("MASKINPORTEN_PKCS12_PASSWORD");
    bad.env("MASKINPORTEN_PKCS12_PASSWORD", "Feil-passord-4417");
    let wrong = bad.run_with_env(&["plan", "-no-color", "-input=false"], &trace);
    assert_ne!(wrong.code, 0);
    assert!(wrong.flat_text().contains("Wrong PKCS#12 password"), "{}", wrong.text());
    let read = |w: &Workdir, f: &str| std::fs::read_to_string(w.dir.path().join(f)).unwrap_or_default();
    let log = read(&w, "trace.log");
    assert!(log.contains("token request"), "the provider's own trace logs were captured");
    let key = sim.sim.env_for("991825827").into_iter().find(|(k, _)| k == "MASKINPORTEN_PRIVATE_KEY_PEM").unwrap().1;
    let mut secrets: Vec<String> =
        key.split("\\n").filter(|l| !l.starts_with("-----") && l.len() > 20).map(String::from).collect();
    secrets.extend([PASSWORD.to_string(), "Feil-passord-4417".to_string()]);
    let places = [
        ("plan output", plan.text()),
        ("apply output", apply.text()),
        ("refresh output", refresh.text()),
        ("wrong-password output", wrong.text()),
        ("trace log", log),
        ("wrong-password trace log", read(&bad, "trace.log")),
        ("provider log", w.provider_log()),
        ("state", read(&w, "terraform.tfstate")),
        ("plan JSON", w.ok(&["show", "-json", "tfplan"]).stdout),
    ];
    let mut hits = vec![];
    for (place, text) in &places {
        for s in &secrets {
            if text.contains(s.as_str()) {
                hits.push(format!("{place}: {}…", &s[..6]));
            }
        }
    }
    assert!(hits.is_empty(), "secrets leaked: {hits:?}");
}
