//! The benchmark's workload: N managed objects in a realistic mix, as Terraform configuration for
//! the real provider, for the plugin floor, and N `terraform_data` resources as the baseline.

use terraform_provider_maskinporten::provider::orgno::with_check_digit;

/// How N objects are made up: scopes, grants, clients, keys (one key per client).
pub fn mix(n: usize) -> (usize, usize, usize, usize) {
    let scopes = (n / 20).max(2);
    let clients = (n / 10).max(2);
    (scopes, n - scopes - 2 * clients, clients, clients)
}

/// A valid organisation number (mod 11) for consumer `i`.
fn orgno(i: usize) -> String {
    let i = u32::try_from(i).expect("a consumer index fits u32");
    (31_000_000 + i * 13..).find_map(with_check_digit).unwrap_or_default()
}

/// The `terraform` block, and the provider block with `scopes` set to `admin_scopes` (unset when
/// empty: the provider then learns them per operation, one token per admin-scope area).
fn header(admin_scopes: &[String]) -> String {
    let provider = if admin_scopes.is_empty() {
        "provider \"maskinporten\" {}".to_string()
    } else {
        format!("provider \"maskinporten\" {{\n  scopes = {admin_scopes:?}\n}}")
    };
    format!(
        "terraform {{\n  required_providers {{\n    maskinporten = {{ source = \"digdir/maskinporten\" }}\n  }}\n}}\n\n{provider}\n\n"
    )
}

pub fn config(n: usize, key_pem: &str, admin_scopes: &[String]) -> String {
    let (scopes, grants, clients, _) = mix(n);
    let mut tf = header(admin_scopes);
    tf += &format!("locals {{\n  key = <<-EOT\n{key_pem}EOT\n}}\n\n");
    for s in 0..scopes {
        tf += &format!(
            "resource \"maskinporten_scope\" \"s{s}\" {{\n  prefix      = \"bench\"\n  subscope    = \"api.s{s}\"\n  description = \"Benchmark scope {s}\"\n}}\n\n"
        );
    }
    for g in 0..grants {
        tf += &format!(
            "resource \"maskinporten_scope_access\" \"g{g}\" {{\n  scope          = maskinporten_scope.s{}.name\n  consumer_orgno = \"{}\"\n}}\n\n",
            g % scopes,
            orgno(g / scopes)
        );
    }
    for c in 0..clients {
        tf += &format!(
            "resource \"maskinporten_client\" \"c{c}\" {{\n  client_name = \"bench-client-{c}\"\n  description = \"Benchmark client {c}\"\n  scopes      = [maskinporten_scope.s{}.name]\n}}\n\nresource \"maskinporten_client_key\" \"k{c}\" {{\n  client_id = maskinporten_client.c{c}.client_id\n  key       = local.key\n}}\n\n",
            c % scopes
        );
    }
    tf
}

pub fn baseline(n: usize) -> String {
    (0..n).map(|i| format!("resource \"terraform_data\" \"d{i}\" {{\n  input = \"value-{i}\"\n}}\n\n")).collect()
}

/// The benchmark's configuration, served by the plugin floor instead of the real provider.
pub fn plugin_floor(n: usize, key_pem: &str, admin_scopes: &[String]) -> String {
    config(n, key_pem, admin_scopes).replacen("digdir/maskinporten", "bench/maskinporten", 1)
}
