//! The DynamicValue codec (docs/development/plugin-protocol.md, "Values on the wire") on arbitrary
//! bytes, decoded against the types Terraform really sends us: every resource, data source,
//! ephemeral resource and provider schema, or any cty type the input names.
//!
//! Input: a two-byte length and that many bytes of cty type JSON (or, when they are not a type,
//! a pick among the schema types), then the payload, tried as msgpack and as JSON (raw state).
//! Decoding must never panic; whatever decodes must encode, and encoding what that encoding
//! decodes to must give the same bytes (the codec is stable on its own output).

#![cfg_attr(fuzzing, no_main)]

use std::sync::OnceLock;
use terraform_provider_maskinporten::provider::MaskinportenProvider;
use terraform_provider_maskinporten::tfplugin::value::{decode_json, decode_msgpack, encode_json, encode_msgpack};
use terraform_provider_maskinporten::tfplugin::{Provider, Type};

/// The value types of every schema Terraform may send values of.
fn schema_types() -> &'static [Type] {
    static TYPES: OnceLock<Vec<Type>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let p = MaskinportenProvider::new(tokio_util::sync::CancellationToken::new());
        let mut t = vec![p.schema().value_type()];
        t.extend(p.resources().iter().map(|r| r.schema().value_type()));
        t.extend(p.data_sources().iter().map(|d| d.schema().value_type()));
        t.extend(p.ephemeral_resources().iter().map(|e| e.schema().value_type()));
        t
    })
}

/// The input's type: a big-endian u16 length `n`, then `n` bytes of cty type JSON (the seeds
/// carry their schema's type this way); when those bytes are not a type, one of the provider's
/// schema types picked by `n`.
fn split(data: &[u8]) -> Option<(Type, &[u8])> {
    let (len, rest) = data.split_at_checked(2)?;
    let n = usize::from(u16::from_be_bytes([len[0], len[1]]));
    let named = rest.get(..n).and_then(|t| serde_json::from_slice(t).ok()).and_then(|j| Type::from_json(&j).ok());
    if let Some(ty) = named {
        return Some((ty, &rest[n..]));
    }
    let all = schema_types();
    Some((all[n % all.len()].clone(), rest))
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

/// One input. cargo-fuzz calls it under libFuzzer; `tests/fuzz_seeds.rs` calls it on every seed
/// and a few thousand mutations of them on stable Rust, so the target is built and exercised by
/// the test suite.
pub fn run(data: &[u8]) {
    let Some((ty, payload)) = split(data) else { return };
    let ty = &ty;
    if let Ok(v) = decode_msgpack(payload, ty) {
        let once = encode_msgpack(&v, ty).expect("a decoded value encodes");
        let back = decode_msgpack(&once, ty).expect("our own encoding decodes");
        assert_eq!(encode_msgpack(&back, ty).expect("encodes again"), once, "msgpack encoding is stable");
    }
    if let Ok(v) = decode_json(payload, ty) {
        let once = encode_json(&v, ty).expect("a decoded value encodes");
        let back = decode_json(&once, ty).expect("our own encoding decodes");
        assert_eq!(encode_json(&back, ty).expect("encodes again"), once, "JSON encoding is stable");
    }
}
