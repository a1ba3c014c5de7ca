//! The msgpack and JSON encodings of [`Value`].

use super::{CodecError, MAX_DEPTH, Number, Refinements, Type, Value, invalid, mismatch};
use rmpv::Value as Mp;
use std::collections::BTreeMap;

fn child(path: &str, seg: impl std::fmt::Display) -> String {
    format!("{path}{seg}")
}

/// Decode msgpack bytes of the given type.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut rd = bytes;
    let mp = rmpv::decode::read_value_with_max_depth(&mut rd, MAX_DEPTH + 8)
        .map_err(|e| invalid("", format!("invalid msgpack: {e}")))?;
    from_mp(&mp, ty, "", 0)
}

fn refinements(payload: &[u8]) -> Refinements {
    let mut r = Refinements::default();
    let mut rd = payload;
    if let Ok(Mp::Map(entries)) = rmpv::decode::read_value_with_max_depth(&mut rd, 8) {
        for (k, v) in entries {
            match (k.as_u64(), v) {
                (Some(1), Mp::Boolean(b)) => r.not_null = Some(b),
                (Some(2), Mp::String(s)) => r.string_prefix = s.into_str(),
                _ => {}
            }
        }
    }
    r
}

fn number_from_mp(mp: &Mp, path: &str) -> Result<Number, CodecError> {
    match mp {
        Mp::Integer(i) => match i.as_i64() {
            Some(v) => Ok(Number::Int(v)),
            None => Ok(Number::Big(i.as_u64().map(|u| u.to_string()).unwrap_or_default())),
        },
        Mp::F32(f) => Ok(Number::Float(f64::from(*f))),
        Mp::F64(f) => Ok(Number::Float(*f)),
        Mp::String(s) => parse_decimal(s.as_str().unwrap_or(""), path),
        other => Err(mismatch(path, "number", other)),
    }
}

fn parse_decimal(s: &str, path: &str) -> Result<Number, CodecError> {
    if let Ok(i) = s.parse::<i64>() {
        return Ok(Number::Int(i));
    }
    let valid = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
        && s.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return Err(invalid(path, "not a decimal number"));
    }
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() && format_float(f) == s => Ok(Number::Float(f)),
        _ => Ok(Number::Big(s.to_string())),
    }
}

fn format_float(f: f64) -> String {
    format!("{f}")
}

fn from_mp(mp: &Mp, ty: &Type, path: &str, depth: usize) -> Result<Value, CodecError> {
    if depth > MAX_DEPTH {
        return Err(invalid(path, "nested too deeply"));
    }
    if let Mp::Ext(kind, payload) = mp {
        return Ok(Value::Unknown(if *kind == 12 { refinements(payload) } else { Refinements::default() }));
    }
    if mp.is_nil() {
        return Ok(Value::Null);
    }
    let seq = |items: &[Mp], elem: &Type| -> Result<Vec<Value>, CodecError> {
        items
            .iter()
            .enumerate()
            .map(|(i, m)| from_mp(m, elem, &child(path, format_args!("[{i}]")), depth + 1))
            .collect()
    };
    match (ty, mp) {
        (Type::String, Mp::String(s)) => {
            s.as_str().map(|s| Value::String(s.to_string())).ok_or_else(|| invalid(path, "string is not UTF-8"))
        }
        (Type::Bool, Mp::Boolean(b)) => Ok(Value::Bool(*b)),
        (Type::Number, m) => number_from_mp(m, path).map(Value::Number),
        (Type::List(t), Mp::Array(a)) => seq(a, t).map(Value::List),
        (Type::Set(t), Mp::Array(a)) => seq(a, t).map(Value::Set),
        (Type::Tuple(ts), Mp::Array(a)) => {
            if ts.len() != a.len() {
                return Err(invalid(path, format!("tuple of {} elements required, {} given", ts.len(), a.len())));
            }
            a.iter()
                .zip(ts)
                .enumerate()
                .map(|(i, (m, t))| from_mp(m, t, &child(path, format_args!("[{i}]")), depth + 1))
                .collect::<Result<_, _>>()
                .map(Value::Tuple)
        }
        (Type::Map(t), Mp::Map(entries)) => {
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let key = k.as_str().ok_or_else(|| mismatch(path, "string map key", k))?;
                out.insert(key.to_string(), from_mp(v, t, &child(path, format_args!("[{key:?}]")), depth + 1)?);
            }
            Ok(Value::Map(out))
        }
        (Type::Object(attrs), Mp::Map(entries)) => {
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let key = k.as_str().ok_or_else(|| mismatch(path, "attribute name", k))?;
                let aty = attrs.get(key).ok_or_else(|| invalid(path, format!("unsupported attribute {key:?}")))?;
                out.insert(key.to_string(), from_mp(v, aty, &child(path, format_args!(".{key}")), depth + 1)?);
            }
            if let Some(missing) = attrs.keys().find(|k| !out.contains_key(*k)) {
                return Err(invalid(
                    path,
                    format!(
                        "an object with {} attributes is required ({} given); missing {missing:?}",
                        attrs.len(),
                        out.len()
                    ),
                ));
            }
            Ok(Value::Object(out))
        }
        (Type::Dynamic, Mp::Array(a)) if a.len() == 2 => {
            let tjson = match &a[0] {
                Mp::Binary(b) => serde_json::from_slice::<serde_json::Value>(b)
                    .map_err(|e| invalid(path, format!("dynamic type: {e}")))?,
                other => return Err(mismatch(path, "dynamic type bytes", other)),
            };
            let t = Type::from_json(&tjson)?;
            let v = from_mp(&a[1], &t, path, depth + 1)?;
            Ok(Value::Dynamic(t, Box::new(v)))
        }
        (t, other) => Err(mismatch(path, format!("{}", t.to_json()), other)),
    }
}

/// Encode a value of the given type as msgpack.
pub fn encode_msgpack(v: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mp = to_mp(v, ty, "")?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &mp).map_err(|e| invalid("", e.to_string()))?;
    Ok(out)
}

/// Numbers go to Terraform as decimal text, which cty decodes with `ParseNumberVal` into a
/// 512-bit `big.Float`, exactly as it decodes numbers from the state file's JSON. An msgpack int
/// or float would decode to a 64- or 53-bit `big.Float` of the same value, and Terraform 1.10 to
/// 1.14 compare refreshed and stored objects with Go's `reflect.DeepEqual`, precision included:
/// `plan -refresh-only -detailed-exitcode` then exits 2 ("changes") while printing "No changes"
/// (Terraform 1.15 compares bytes instead, hashicorp/terraform 659d5e2218). See
/// docs/development/plugin-protocol.md, "Numbers".
fn number_to_mp(n: &Number) -> Mp {
    match n {
        Number::Int(i) => Mp::from(i.to_string()),
        Number::Float(f) if !f.is_finite() => Mp::F64(*f),
        Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Mp::from((*f as i64).to_string()),
        Number::Float(f) => Mp::from(format_float(*f)),
        Number::Big(s) => Mp::from(s.as_str()),
    }
}

fn to_mp(v: &Value, ty: &Type, path: &str) -> Result<Mp, CodecError> {
    let seq = |items: &[Value], t: &Type| -> Result<Vec<Mp>, CodecError> {
        items.iter().enumerate().map(|(i, x)| to_mp(x, t, &child(path, format_args!("[{i}]")))).collect()
    };
    Ok(match (ty, v) {
        // cty writes unknowns as fixext1 type 0 (`d4 00 00`); refinements are optional hints.
        (_, Value::Unknown(_)) => Mp::Ext(0, vec![0]),
        (_, Value::Null) => Mp::Nil,
        (Type::String, Value::String(s)) => Mp::from(s.as_str()),
        (Type::Bool, Value::Bool(b)) => Mp::Boolean(*b),
        (Type::Number, Value::Number(n)) => number_to_mp(n),
        (Type::List(t), Value::List(items)) => Mp::Array(seq(items, t)?),
        (Type::Tuple(ts), Value::Tuple(items)) if ts.len() == items.len() => {
            Mp::Array(items.iter().zip(ts).map(|(x, t)| to_mp(x, t, path)).collect::<Result<_, _>>()?)
        }
        (Type::Set(t), Value::Set(items)) => {
            // Sets are unordered: encode sorted and without duplicates for stable bytes.
            let mut encoded: Vec<(Vec<u8>, Mp)> = Vec::new();
            for m in seq(items, t)? {
                let mut b = Vec::new();
                rmpv::encode::write_value(&mut b, &m).map_err(|e| invalid(path, e.to_string()))?;
                encoded.push((b, m));
            }
            encoded.sort_by(|a, b| a.0.cmp(&b.0));
            encoded.dedup_by(|a, b| a.0 == b.0);
            Mp::Array(encoded.into_iter().map(|(_, m)| m).collect())
        }
        (Type::Map(t), Value::Map(m)) => Mp::Map(
            m.iter()
                .map(|(k, x)| Ok((Mp::from(k.as_str()), to_mp(x, t, &child(path, format_args!("[{k:?}]")))?)))
                .collect::<Result<_, CodecError>>()?,
        ),
        (Type::Object(attrs), Value::Object(m)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(invalid(path, format!("attribute {extra:?} is not in the schema")));
            }
            Mp::Map(
                attrs
                    .iter()
                    .map(|(k, t)| {
                        let x = m.get(k).unwrap_or(&Value::Null);
                        Ok((Mp::from(k.as_str()), to_mp(x, t, &child(path, format_args!(".{k}")))?))
                    })
                    .collect::<Result<_, CodecError>>()?,
            )
        }
        (Type::Dynamic, Value::Dynamic(t, x)) => Mp::Array(vec![Mp::Binary(t.to_json_bytes()), to_mp(x, t, path)?]),
        (t, other) => return Err(mismatch(path, format!("{}", t.to_json()), other)),
    })
}

/// Decode JSON (raw state, or a JSON DynamicValue) of the given type.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let j: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| invalid("", format!("invalid JSON: {e}")))?;
    from_json(&j, ty, "", 0)
}

fn from_json(j: &serde_json::Value, ty: &Type, path: &str, depth: usize) -> Result<Value, CodecError> {
    use serde_json::Value as J;
    if depth > MAX_DEPTH {
        return Err(invalid(path, "nested too deeply"));
    }
    if j.is_null() {
        return Ok(Value::Null);
    }
    let seq = |a: &[J], t: &Type| -> Result<Vec<Value>, CodecError> {
        a.iter().enumerate().map(|(i, x)| from_json(x, t, &child(path, format_args!("[{i}]")), depth + 1)).collect()
    };
    match (ty, j) {
        (Type::String, J::String(s)) => Ok(Value::String(s.clone())),
        (Type::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Number, J::Number(n)) => Ok(Value::Number(match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Number::Int(i),
            (None, Some(f)) => Number::Float(f),
            _ => Number::Big(n.to_string()),
        })),
        (Type::Number, J::String(s)) => parse_decimal(s, path).map(Value::Number),
        (Type::List(t), J::Array(a)) => seq(a, t).map(Value::List),
        (Type::Set(t), J::Array(a)) => seq(a, t).map(Value::Set),
        (Type::Tuple(ts), J::Array(a)) if ts.len() == a.len() => {
            a.iter().zip(ts).map(|(x, t)| from_json(x, t, path, depth + 1)).collect::<Result<_, _>>().map(Value::Tuple)
        }
        (Type::Map(t), J::Object(m)) => m
            .iter()
            .map(|(k, x)| Ok((k.clone(), from_json(x, t, &child(path, format_args!("[{k:?}]")), depth + 1)?)))
            .collect::<Result<_, CodecError>>()
            .map(Value::Map),
        (Type::Object(attrs), J::Object(m)) => {
            let mut out = BTreeMap::new();
            for (k, t) in attrs {
                let x = m.get(k).ok_or_else(|| invalid(path, format!("missing attribute {k:?}")))?;
                out.insert(k.clone(), from_json(x, t, &child(path, format_args!(".{k}")), depth + 1)?);
            }
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(invalid(path, format!("unsupported attribute {extra:?}")));
            }
            Ok(Value::Object(out))
        }
        (Type::Dynamic, J::Object(m)) if m.contains_key("type") => {
            let t = Type::from_json(&m["type"])?;
            let v = from_json(m.get("value").unwrap_or(&J::Null), &t, path, depth + 1)?;
            Ok(Value::Dynamic(t, Box::new(v)))
        }
        (t, other) => Err(mismatch(path, format!("{}", t.to_json()), other)),
    }
}

/// Encode as JSON. JSON cannot carry unknowns: an unknown is an error.
pub fn encode_json(v: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    Ok(to_json(v, ty, "")?.to_string().into_bytes())
}

fn to_json(v: &Value, ty: &Type, path: &str) -> Result<serde_json::Value, CodecError> {
    use serde_json::Value as J;
    Ok(match (ty, v) {
        (_, Value::Unknown(_)) => return Err(invalid(path, "unknown values cannot be written as JSON")),
        (_, Value::Null) => J::Null,
        (Type::String, Value::String(s)) => J::String(s.clone()),
        (Type::Bool, Value::Bool(b)) => J::Bool(*b),
        (Type::Number, Value::Number(Number::Int(i))) => J::from(*i),
        (Type::Number, Value::Number(Number::Float(f))) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        // Without serde_json's arbitrary_precision, big decimals travel as strings (which
        // Terraform accepts for numbers).
        (Type::Number, Value::Number(Number::Big(s))) => J::String(s.clone()),
        (Type::List(t) | Type::Set(t), Value::List(a) | Value::Set(a)) => {
            J::Array(a.iter().map(|x| to_json(x, t, path)).collect::<Result<_, _>>()?)
        }
        (Type::Tuple(ts), Value::Tuple(a)) => {
            J::Array(a.iter().zip(ts).map(|(x, t)| to_json(x, t, path)).collect::<Result<_, _>>()?)
        }
        (Type::Map(t), Value::Map(m)) => {
            J::Object(m.iter().map(|(k, x)| Ok((k.clone(), to_json(x, t, path)?))).collect::<Result<_, CodecError>>()?)
        }
        (Type::Object(attrs), Value::Object(m)) => J::Object(
            attrs
                .iter()
                .map(|(k, t)| Ok((k.clone(), to_json(m.get(k).unwrap_or(&Value::Null), t, path)?)))
                .collect::<Result<_, CodecError>>()?,
        ),
        (Type::Dynamic, Value::Dynamic(t, x)) => {
            serde_json::json!({"value": to_json(x, t, path)?, "type": t.to_json()})
        }
        (t, other) => return Err(mismatch(path, format!("{}", t.to_json()), other)),
    })
}
