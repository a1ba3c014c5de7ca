//! Provider functions evaluated by terraform itself.

use crate::harness::{Sim, Workdir};

#[test]
fn orgno_valid_and_jwk_thumbprint() {
    let sim = Sim::start();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let w = Workdir::new(
        &sim,
        "1.15",
        r#"output "checks" {
  value = {
    valid   = provider::maskinporten::orgno_valid("991825827")
    invalid = provider::maskinporten::orgno_valid("991825828")
    thumb   = provider::maskinporten::jwk_thumbprint(file("k.pem"))
  }
}
"#,
    );
    std::fs::write(w.dir.path().join("k.pem"), key.public_key_pem()).unwrap();
    w.apply();
    let out: serde_json::Value = serde_json::from_str(&w.ok(&["output", "-json", "checks"]).stdout).unwrap();
    assert_eq!(out["valid"], true);
    assert_eq!(out["invalid"], false);
    let thumb = out["thumb"].as_str().unwrap();
    assert_eq!(thumb.len(), 43, "base64url of a SHA-256");

    // A private key is refused, pointing at the argument, without echoing it.
    std::fs::write(w.dir.path().join("k.pem"), key.serialize_pem()).unwrap();
    let r = w.run(&["plan", "-no-color", "-input=false"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("this is a private key"), "{}", r.stderr);
    let secret_line = key.serialize_pem().lines().nth(3).unwrap().to_string();
    assert!(!r.stderr.contains(&secret_line));
}
