//! The release command builds a registry-shaped release in a clean environment (no signing secret
//! reaches the build), signs it in a separate step, and terraform installs the zip from a local
//! filesystem mirror with `terraform init`; the simulator ships beside it.

use std::path::Path;
use std::process::Command;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn signed_release_installs_from_a_filesystem_mirror() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let gnupg = tmp.path().join("gnupg");
    std::fs::create_dir(&gnupg).unwrap();
    std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    // A throwaway signing key.
    run(Command::new("gpg").env("GNUPGHOME", &gnupg).args([
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        "Release Test <release@example.invalid>",
        "rsa3072",
        "sign",
        "1d",
    ]));
    let listing =
        run(Command::new("gpg").env("GNUPGHOME", &gnupg).args(["--batch", "--with-colons", "--list-secret-keys"]));
    let fpr = listing
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .expect("fingerprint")
        .to_string();

    let dist = tmp.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    // Something else lying in the output folder must not end up signed.
    std::fs::write(dist.join("terraform-provider-maskinporten_0.0.0_stray.zip"), b"not ours").unwrap();
    // The build step with an empty environment: only what a process needs to run (and where the
    // suite keeps its build, when it says).
    let mut build = Command::new("bash");
    build.arg(repo.join("scripts/release.sh")).args(["build", "--profile", "dev", "--out"]).arg(&dist).env_clear();
    for k in ["PATH", "HOME", "CARGO_TARGET_DIR"] {
        if let Some(v) = std::env::var_os(k) {
            build.env(k, v);
        }
    }
    let zip = run(&mut build);
    let zip = Path::new(zip.trim());
    let version = env!("CARGO_PKG_VERSION");
    let base = format!("terraform-provider-maskinporten_{version}");
    let sums = std::fs::read_to_string(dist.join(format!("{base}_SHA256SUMS"))).unwrap();
    let listed: Vec<&str> = sums.lines().filter_map(|l| l.split_whitespace().nth(1)).collect();
    let zip_name = zip.file_name().unwrap().to_string_lossy().into_owned();
    let os_arch = zip_name.trim_start_matches(&format!("{base}_")).trim_end_matches(".zip").to_string();
    assert_eq!(
        listed,
        [
            format!("{base}_{os_arch}.zip"),
            format!("maskinporten-sim_{version}_{os_arch}.zip"),
            format!("{base}_manifest.json")
        ],
        "exactly the artefacts just built"
    );
    // Signing is its own step, and wants a full fingerprint.
    let short = Command::new("bash")
        .arg(repo.join("scripts/release.sh"))
        .args(["sign", "--out"])
        .arg(&dist)
        .env("GNUPGHOME", &gnupg)
        .env("GPG_FINGERPRINT", &fpr[32..])
        .output()
        .unwrap();
    assert_eq!(short.status.code(), Some(2), "a short key id is refused: {}", String::from_utf8_lossy(&short.stderr));
    run(Command::new("bash")
        .arg(repo.join("scripts/release.sh"))
        .args(["sign", "--out"])
        .arg(&dist)
        .env("GNUPGHOME", &gnupg)
        .env("GPG_FINGERPRINT", &fpr));
    for f in [format!("{base}_SHA256SUMS"), format!("{base}_SHA256SUMS.sig"), format!("{base}_manifest.json")] {
        assert!(dist.join(&f).exists(), "{f}");
    }
    // The simulator's zip holds a binary that runs.
    let unpacked = tmp.path().join("sim");
    std::fs::create_dir(&unpacked).unwrap();
    run(Command::new("unzip")
        .arg("-q")
        .arg(dist.join(format!("maskinporten-sim_{version}_{os_arch}.zip")))
        .arg("-d")
        .arg(&unpacked));
    let help = Command::new(unpacked.join("maskinporten-sim")).arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&help.stderr).contains("--org ORGNO"), "the simulator runs");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join(format!("{base}_manifest.json"))).unwrap()).unwrap();
    assert_eq!(manifest["metadata"]["protocol_versions"], serde_json::json!(["6.0"]));
    run(Command::new("gpg")
        .env("GNUPGHOME", &gnupg)
        .arg("--verify")
        .arg(dist.join(format!("{base}_SHA256SUMS.sig")))
        .arg(dist.join(format!("{base}_SHA256SUMS"))));
    run(Command::new("sha256sum").arg("--check").arg(format!("{base}_SHA256SUMS")).current_dir(&dist));

    // A filesystem mirror in the packed layout, and a configuration that requires the version.
    let mirror = tmp.path().join("mirror/registry.terraform.io/digdir/maskinporten");
    std::fs::create_dir_all(&mirror).unwrap();
    std::fs::copy(zip, mirror.join(zip.file_name().unwrap())).unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let rc = tmp.path().join("terraformrc");
    std::fs::write(&rc, format!("provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/digdir/maskinporten\"]\n  }}\n}}\n", tmp.path().join("mirror").display())).unwrap();
    std::fs::write(work.join("main.tf"), format!("terraform {{\n  required_providers {{\n    maskinporten = {{\n      source  = \"digdir/maskinporten\"\n      version = \"= {version}\"\n    }}\n  }}\n}}\n")).unwrap();
    let terraform = std::env::var("TERRAFORM").unwrap_or_else(|_| "terraform".into());
    let init = run(Command::new(&terraform)
        .args(["init", "-no-color", "-input=false"])
        .current_dir(&work)
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("CHECKPOINT_DISABLE", "1"));
    assert!(init.contains(&format!("Installed digdir/maskinporten v{version}")), "{init}");
    // The installed provider serves its schema.
    let schema = run(Command::new(&terraform)
        .args(["providers", "schema", "-json"])
        .current_dir(&work)
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("CHECKPOINT_DISABLE", "1"));
    assert!(schema.contains("maskinporten_client_key"));
}
