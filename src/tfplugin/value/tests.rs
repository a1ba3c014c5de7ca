//! Golden bytes captured from Terraform, and round-trip properties.

use super::*;
use proptest::prelude::*;

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

#[test]
fn unknown_is_fixext1_type_0() {
    assert_eq!(encode_msgpack(&Value::unknown(), &Type::String).unwrap(), vec![0xd4, 0x00, 0x00]);
    assert_eq!(decode_msgpack(&[0xd4, 0x00, 0x00], &Type::String).unwrap(), Value::unknown());
}

#[test]
fn refined_unknown_from_terraform_1_11() {
    // Captured: description = "unknown until apply: ${terraform_data.t.id}" arrives as ext 12
    // with {1: false?, 2: "unknown until apply: "}; 0xc2 after key 1 is msgpack `false`... key 1
    // is "not null" and Terraform sends `true` (0xc3) for it; both decode.
    let prefix = "unknown until apply: ";
    let mut payload = vec![0x82, 0x01, 0xc3, 0x02, 0xa0 | prefix.len() as u8];
    payload.extend_from_slice(prefix.as_bytes());
    let mut bytes = vec![0xc7, payload.len() as u8, 0x0c];
    bytes.extend_from_slice(&payload);
    let Value::Unknown(r) = decode_msgpack(&bytes, &Type::String).unwrap() else { panic!("unknown") };
    assert_eq!(r.not_null, Some(true));
    assert_eq!(r.string_prefix.as_deref(), Some(prefix));
    // Any other ext type is also unknown.
    assert_eq!(decode_msgpack(&[0xd4, 0x05, 0x00], &Type::Bool).unwrap(), Value::unknown());
}

#[test]
fn numbers_go_out_as_decimal_text() {
    // Decimal text decodes in cty exactly as the state file's JSON numbers do (512-bit), so a
    // refreshed number equals the stored one even under reflect.DeepEqual (Terraform 1.10–1.14).
    let enc = |n: Number| encode_msgpack(&Value::Number(n), &Type::Number).unwrap();
    assert_eq!(enc(Number::Int(300)), [0xa3, b'3', b'0', b'0']);
    assert_eq!(enc(Number::Float(1.5)), [0xa3, b'1', b'.', b'5']);
    assert_eq!(enc(Number::Float(7200.0)), [0xa4, b'7', b'2', b'0', b'0']);
    for n in [Number::Int(-12), Number::Float(0.1), Number::Big("123456789012345678901234567890".into())] {
        let v = Value::Number(n);
        assert_eq!(decode_msgpack(&encode_msgpack(&v, &Type::Number).unwrap(), &Type::Number).unwrap(), v);
    }
}

#[test]
fn numbers_as_int_float_or_decimal_string() {
    assert_eq!(decode_msgpack(&[0x03], &Type::Number).unwrap(), Value::Number(Number::Int(3)));
    let mut f = vec![0xcb];
    f.extend_from_slice(&1.5f64.to_be_bytes());
    assert_eq!(decode_msgpack(&f, &Type::Number).unwrap(), Value::Number(Number::Float(1.5)));
    let big = "12345678901234567890123";
    let mut s = vec![0xa0 | big.len() as u8];
    s.extend_from_slice(big.as_bytes());
    assert_eq!(decode_msgpack(&s, &Type::Number).unwrap(), Value::Number(Number::Big(big.into())));
    assert!(decode_msgpack(&[0xa3, b'a', b'b', b'c'], &Type::Number).is_err());
}

#[test]
fn sets_encode_sorted_and_deduplicated() {
    let ty = Type::set(Type::String);
    let v = Value::Set(vec![Value::String("b".into()), Value::String("a".into()), Value::String("b".into())]);
    assert_eq!(encode_msgpack(&v, &ty).unwrap(), vec![0x92, 0xa1, b'a', 0xa1, b'b']);
    assert_eq!(
        decode_msgpack(&[0x92, 0xa1, b'b', 0xa1, b'a'], &ty).unwrap(),
        Value::Set(vec![Value::String("b".into()), Value::String("a".into())])
    );
}

#[test]
fn dynamic_is_type_bytes_and_value() {
    let bytes = [0x92, 0xc4, 0x08, b'"', b's', b't', b'r', b'i', b'n', b'g', b'"', 0xa1, b'x'];
    let v = decode_msgpack(&bytes, &Type::Dynamic).unwrap();
    assert_eq!(v, Value::Dynamic(Type::String, Box::new(Value::String("x".into()))));
    assert_eq!(encode_msgpack(&v, &Type::Dynamic).unwrap(), bytes.to_vec());
}

#[test]
fn objects_must_carry_every_attribute() {
    let ty = Type::Object([("a".to_string(), Type::String), ("b".to_string(), Type::Bool)].into());
    let err = decode_msgpack(&[0x81, 0xa1, b'a', 0xa1, b'x'], &ty).unwrap_err().to_string();
    assert!(err.contains("2 attributes is required (1 given)") && err.contains("\"b\""), "{err}");
    // Encoding fills absent attributes with nil.
    assert_eq!(
        encode_msgpack(&obj(&[("a", Value::String("x".into()))]), &ty).unwrap(),
        vec![0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xc0]
    );
}

#[test]
fn raw_state_json_decodes() {
    let ty = Type::Object(
        [
            ("n".to_string(), Type::Number),
            ("s".to_string(), Type::set(Type::String)),
            ("m".to_string(), Type::map(Type::Bool)),
        ]
        .into(),
    );
    let v = decode_json(br#"{"n": 3, "s": ["x"], "m": {"k": true}}"#, &ty).unwrap();
    assert_eq!(v.get_attr("n"), Some(&Value::Number(Number::Int(3))));
    assert_eq!(decode_json(&encode_json(&v, &ty).unwrap(), &ty).unwrap(), v);
}

#[test]
fn errors_name_the_path() {
    let ty = Type::Object([("scopes".to_string(), Type::list(Type::String))].into());
    let err =
        decode_msgpack(&[0x81, 0xa6, b's', b'c', b'o', b'p', b'e', b's', 0x91, 0x07], &ty).unwrap_err().to_string();
    assert!(err.contains(".scopes[0]") && err.contains("expected"), "{err}");
}

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            proptest::collection::btree_map("[a-d]", inner, 1..4).prop_map(Type::Object),
        ]
    })
}

fn arb_value(ty: &Type) -> BoxedStrategy<Value> {
    let v: BoxedStrategy<Value> = match ty {
        Type::String => ".{0,4}".prop_map(Value::String).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => prop_oneof![
            any::<i64>().prop_map(|i| Value::Number(Number::Int(i))),
            (-1e6f64..1e6).prop_map(|f| Value::Number(Number::Float(f)))
        ]
        .boxed(),
        Type::List(t) => proptest::collection::vec(arb_value(t), 0..3).prop_map(Value::List).boxed(),
        Type::Set(t) => proptest::collection::vec(arb_value(t), 0..3).prop_map(Value::Set).boxed(),
        Type::Map(t) => proptest::collection::btree_map("[a-c]", arb_value(t), 0..3).prop_map(Value::Map).boxed(),
        Type::Object(attrs) => {
            let parts: Vec<_> = attrs.iter().map(|(k, t)| (Just(k.clone()), arb_value(t))).collect();
            parts.prop_map(|kv| Value::Object(kv.into_iter().collect())).boxed()
        }
        _ => Just(Value::Null).boxed(),
    };
    prop_oneof![8 => v, 1 => Just(Value::Null), 1 => Just(Value::unknown())].boxed()
}

/// Exact equality for a round trip, stricter than the plan's equivalence: null is not an empty
/// collection, and two numbers are equal only as the same decimal (an Int is not the nearest f64
/// of it). Sets compare as sets (duplicates collapse, order is free).
fn same(a: &Value, b: &Value) -> bool {
    fn decimal(n: &Number) -> String {
        match n {
            Number::Int(i) => i.to_string(),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => (*f as i64).to_string(),
            Number::Float(f) => format!("{f:?}"),
            Number::Big(s) => s.clone(),
        }
    }
    let within = |x: &[Value], y: &[Value]| x.iter().all(|p| y.iter().any(|q| same(p, q)));
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => decimal(x) == decimal(y),
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Set(x), Value::Set(y)) => within(x, y) && within(y, x),
        (Value::Map(x), Value::Map(y)) | (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, p)| y.get(k).is_some_and(|q| same(p, q)))
        }
        _ => a == b,
    }
}

#[test]
fn round_trip_equality_is_exact() {
    assert!(!same(&Value::Null, &Value::List(vec![])), "null is not empty");
    let big = 9_007_199_254_740_993_i64;
    assert!(!same(&Value::Number(Number::Int(big)), &Value::Number(Number::Float(big as f64))), "no f64 rounding");
    assert!(same(&Value::Number(Number::Int(3)), &Value::Number(Number::Float(3.0))), "the same number");
}

fn arb_typed() -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(|t| (Just(t.clone()), arb_value(&t)))
}

proptest! {
    #[test]
    fn msgpack_round_trips((ty, v) in arb_typed()) {
        let bytes = encode_msgpack(&v, &ty).unwrap();
        let back = decode_msgpack(&bytes, &ty).unwrap();
        prop_assert!(same(&back, &v) || (!v.is_fully_known() && encode_msgpack(&back, &ty).unwrap() == bytes), "{v:?} -> {back:?}");
    }

    #[test]
    fn json_round_trips_known_values((ty, v) in arb_typed()) {
        prop_assume!(v.is_fully_known());
        let back = decode_json(&encode_json(&v, &ty).unwrap(), &ty).unwrap();
        prop_assert!(same(&back, &v), "{v:?} -> {back:?}");
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64), (ty, _) in arb_typed()) {
        let _ = decode_msgpack(&bytes, &ty);
        let _ = decode_json(&bytes, &ty);
    }
}

/// A value of the wrong type is named by its kind, never echoed (it may be a secret), and a long
/// multi-byte value cannot split a character (once a panic at byte 60).
#[test]
fn mismatches_name_the_kind_not_the_value() {
    let secret = "ø".repeat(50);
    let bytes = encode_msgpack(&Value::String(secret.clone()), &Type::String).unwrap();
    let err = decode_msgpack(&bytes, &Type::Bool).unwrap_err().to_string();
    assert!(!err.contains('ø') && err.contains("String"), "{err}");
    let err = decode_json(
        format!("{{\"a\": \"{secret}\"}}").as_bytes(),
        &Type::Object([("a".to_string(), Type::Number)].into()),
    )
    .unwrap_err()
    .to_string();
    assert!(!err.contains('ø'), "{err}");
}
