//! The plan/apply rules Terraform enforces on every provider (docs/development/plugin-protocol.md,
//! "Planning and applying"), implemented once so no resource can break them:
//!
//! * a planned non-computed attribute equals its configuration;
//! * a computed attribute without configuration is its prior value or unknown;
//! * a forced change plans a replacement (and computed values of the new object are unknown);
//! * write-only attributes are null in plan and state;
//! * after apply, every value that was known in the plan is unchanged in the new state, so
//!   "Provider produced inconsistent result" cannot happen: where the API stored something
//!   semantically equal (a reordered set, `null` for an empty list) the planned form is kept,
//!   and where it truly differs the user gets an error naming the attribute instead;
//! * a refresh that finds an equivalent value keeps the prior form, so plans stay empty after
//!   a Digdir-side reformat.

use super::diag::{AttrPath, Diagnostics};
use super::resource::{PlanCtx, Resource};
use super::schema::{Mode, OnUpdate, Schema};
use super::value::{Number, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Semantic equality as users mean it: sets ignore order, numbers compare by value, and null
/// equals an empty collection (docs/development/plugin-protocol.md, "Planning and applying").
pub fn equivalent(a: &Value, b: &Value) -> bool {
    use Value::*;
    match (a, b) {
        (Null, List(v) | Set(v) | Tuple(v)) | (List(v) | Set(v) | Tuple(v), Null) => v.is_empty(),
        (Null, Map(m)) | (Map(m), Null) => m.is_empty(),
        (Unknown(_), _) | (_, Unknown(_)) => false,
        (Number(x), Number(y)) => number_eq(x, y),
        (List(x), List(y)) | (Tuple(x), Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equivalent(p, q))
        }
        (Set(x), Set(y)) => {
            x.iter().all(|p| y.iter().any(|q| equivalent(p, q))) && y.iter().all(|q| x.iter().any(|p| equivalent(p, q)))
        }
        (Map(x), Map(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equivalent(v, w))),
        (Object(x), Object(y)) => {
            x.keys().chain(y.keys()).all(|k| equivalent(x.get(k).unwrap_or(&Null), y.get(k).unwrap_or(&Null)))
        }
        (Dynamic(_, x), Dynamic(_, y)) => equivalent(x, y),
        _ => a == b,
    }
}

fn number_eq(x: &Number, y: &Number) -> bool {
    fn as_f64(n: &Number) -> Option<f64> {
        match n {
            Number::Int(i) => Some(*i as f64),
            Number::Float(f) => Some(*f),
            Number::Big(s) => s.parse().ok(),
        }
    }
    match (x, y) {
        (Number::Int(a), Number::Int(b)) => a == b,
        (Number::Big(a), Number::Big(b)) if a == b => true,
        _ => as_f64(x).zip(as_f64(y)).is_some_and(|(a, b)| a == b),
    }
}

fn attrs(v: &Value) -> BTreeMap<String, Value> {
    match v {
        Value::Object(m) => m.clone(),
        _ => BTreeMap::new(),
    }
}

/// The planned object before the resource refines it.
fn initial_plan(schema: &Schema, prior: Option<&Value>, config: &Value, changed: bool) -> Value {
    let (cfg, prior) = (attrs(config), prior.map(attrs));
    let mut out = BTreeMap::new();
    for a in &schema.attributes {
        let c = cfg.get(&a.name).cloned().unwrap_or(Value::Null);
        let v = if a.write_only {
            Value::Null
        } else if !a.is_computed() || !c.is_null() {
            c
        } else {
            match &prior {
                None => Value::unknown(),
                Some(_) if changed && a.on_update == OnUpdate::Unknown => Value::unknown(),
                Some(p) => p.get(&a.name).cloned().unwrap_or(Value::Null),
            }
        };
        out.insert(a.name.clone(), v);
    }
    Value::Object(out)
}

/// The result of planning one resource instance.
pub struct Planned {
    pub planned: Value,
    pub requires_replace: Vec<AttrPath>,
    pub diags: Diagnostics,
}

/// PlanResourceChange for a resource: the rules above plus the resource's own refinements.
pub async fn plan(res: &dyn Resource, schema: &Schema, prior: &Value, proposed: &Value, config: &Value) -> Planned {
    if proposed.is_null() {
        return Planned { planned: Value::Null, requires_replace: vec![], diags: Diagnostics::default() };
    }
    let prior_opt = (!prior.is_null()).then_some(prior);
    let (cfg, prior_attrs) = (attrs(config), attrs(prior));
    let differs =
        |name: &str| !equivalent(cfg.get(name).unwrap_or(&Value::Null), prior_attrs.get(name).unwrap_or(&Value::Null));
    let mut replace = vec![];
    let mut changed = false;
    if prior_opt.is_some() {
        for a in schema.attributes.iter().filter(|a| a.is_configurable() && !a.write_only) {
            // An optional+computed attribute left out of config keeps its prior value: no change.
            let unset_computed = a.is_computed() && cfg.get(&a.name).is_none_or(Value::is_null);
            if !unset_computed && differs(&a.name) {
                changed = true;
                if a.force_new {
                    replace.push(AttrPath::attr(&a.name));
                }
            }
        }
    }
    let replacing = !replace.is_empty();
    let base = if replacing { None } else { prior_opt };
    let mut ctx = PlanCtx {
        prior: base,
        config,
        planned: initial_plan(schema, base, config, changed),
        replacing,
        requires_replace: replace,
        diags: Diagnostics::default(),
    };
    res.plan(&mut ctx).await;
    let PlanCtx { mut planned, requires_replace, mut diags, .. } = ctx;
    enforce_config(schema, config, &mut planned, &mut diags);
    if let (Some(_), false) = (prior_opt, replacing) {
        keep_prior_form(schema, config, &prior_attrs, &mut planned);
    }
    Planned { planned, requires_replace, diags }
}

/// A computed value left to the provider that is equivalent to the prior one keeps the prior's
/// exact form (a reordered set, null for empty), so an unchanged object plans no change.
/// Configured values always stay exactly as configured.
fn keep_prior_form(schema: &Schema, config: &Value, prior: &BTreeMap<String, Value>, planned: &mut Value) {
    let cfg = attrs(config);
    let Value::Object(p) = planned else { return };
    for a in schema.attributes.iter().filter(|a| a.is_computed() && cfg.get(&a.name).is_none_or(Value::is_null)) {
        if let (Some(old), Some(new)) = (prior.get(&a.name), p.get_mut(&a.name))
            && equivalent(old, new)
        {
            *new = old.clone();
        }
    }
}

/// Terraform rejects a plan whose non-computed attributes differ from config; a resource that
/// tried is a provider bug, reported as such rather than as Terraform's opaque error.
fn enforce_config(schema: &Schema, config: &Value, planned: &mut Value, diags: &mut Diagnostics) {
    let cfg = attrs(config);
    let Value::Object(p) = planned else { return };
    for a in &schema.attributes {
        let c = cfg.get(&a.name).cloned().unwrap_or(Value::Null);
        let must = if a.write_only {
            Some(Value::Null)
        } else if a.mode == Mode::Required || a.mode == Mode::Optional || !c.is_null() {
            Some(c)
        } else {
            None
        };
        if let Some(must) = must
            && p.get(&a.name) != Some(&must)
        {
            if a.write_only || !equivalent(p.get(&a.name).unwrap_or(&Value::Null), &must) {
                diags.attr_error(
                    AttrPath::attr(&a.name),
                    "Provider bug: planned value differs from configuration",
                    "The provider tried to plan a value other than the configured one. Please report this.",
                );
            }
            p.insert(a.name.clone(), must);
        }
    }
}

/// Make an applied or refreshed state consistent with what Terraform expects: keep `reference`'s
/// form wherever the new value is equivalent, null out write-only attributes, and report (for
/// apply) known planned values the API did not keep.
fn reconcile(schema: &Schema, reference: &Value, new: Value, strict: bool, diags: &mut Diagnostics) -> Value {
    let (r, mut n) = (attrs(reference), attrs(&new));
    for a in &schema.attributes {
        let nv = n.remove(&a.name).unwrap_or(Value::Null);
        let rv = r.get(&a.name).cloned().unwrap_or(Value::Null);
        let out = if a.write_only {
            Value::Null
        } else if equivalent(&rv, &nv) {
            rv
        } else if strict && rv.is_fully_known() && !diags.has_errors() {
            diags.attr_error(
                AttrPath::attr(&a.name),
                format!("The API stored a different value for {}", a.name),
                format!(
                    "The planned value was not kept by the API. This usually means the API normalises or \
                     restricts this field; adjust the configuration to the value the API stores. \
                     (Planned: {}; stored: {})",
                    brief(&rv, a.sensitive),
                    brief(&nv, a.sensitive)
                ),
            );
            nv
        } else if !nv.is_fully_known() {
            Value::Null
        } else {
            nv
        };
        n.insert(a.name.clone(), out);
    }
    Value::Object(n)
}

fn brief(v: &Value, sensitive: bool) -> String {
    if sensitive {
        return "(sensitive)".into();
    }
    let s = format!("{v:?}");
    if s.len() > 200 { format!("{}…", &s[..s.floor_char_boundary(200)]) } else { s }
}

/// ApplyResourceChange: route to create/update/delete and reconcile the result with the plan.
pub async fn apply(
    res: &dyn Resource,
    schema: &Schema,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> (Value, Diagnostics) {
    let mut diags = Diagnostics::default();
    if planned.is_null() {
        res.delete(prior, &mut diags).await;
        let state = if diags.has_errors() { prior.clone() } else { Value::Null };
        return (state, diags);
    }
    let result = if prior.is_null() {
        res.create(planned, config, &mut diags).await
    } else {
        res.update(prior, planned, config, &mut diags).await
    };
    let state = match result {
        Some(new) => reconcile(schema, planned, new, true, &mut diags),
        None if prior.is_null() => Value::Null,
        None => prior.clone(),
    };
    (state, diags)
}

/// ReadResource: refresh, keeping the prior form of unchanged values. On error the prior state
/// stands (Terraform keeps it and shows the error).
///
/// `lag_left`: how much longer the API may still lag behind our own last write of this object
/// ([`super::consistency`]); while it lasts, a result that disagrees with `current` (gone, or
/// different) is read again after a pause instead of being believed.
pub async fn read(res: &dyn Resource, schema: &Schema, current: &Value, lag_left: Duration) -> (Value, Diagnostics) {
    let deadline = tokio::time::Instant::now() + lag_left;
    let mut attempt = 0;
    loop {
        let mut diags = Diagnostics::default();
        let new = res.read(current, &mut diags).await;
        if diags.has_errors() {
            return (current.clone(), diags);
        }
        let state = match new {
            None => Value::Null,
            Some(v) => reconcile(schema, current, v, false, &mut diags),
        };
        let pause = super::consistency::backoff(attempt);
        if equivalent(&state, current) || tokio::time::Instant::now() + pause > deadline {
            return (state, diags);
        }
        tracing::debug!(attempt, "read disagrees with our recent write; reading again");
        res.forget_cached(current);
        tokio::time::sleep(pause).await;
        attempt += 1;
    }
}

/// A data source result must repeat its configured arguments exactly.
pub fn data_result(schema: &Schema, config: &Value, result: Value) -> Value {
    let (cfg, mut out) = (attrs(config), attrs(&result));
    for a in &schema.attributes {
        if a.is_configurable() {
            let c = cfg.get(&a.name).cloned().unwrap_or(Value::Null);
            if !(a.is_computed() && c.is_null()) {
                out.insert(a.name.clone(), c);
                continue;
            }
        }
        out.entry(a.name.clone()).or_insert(Value::Null);
    }
    Value::Object(out)
}

/// Normalise a stored raw state to the current schema: attributes the schema no longer has are
/// dropped, attributes it gained read as null.
pub fn conform_json(schema: &Schema, raw: serde_json::Value) -> serde_json::Value {
    let mut m = match raw {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    m.retain(|k, _| schema.attribute(k).is_some());
    for a in &schema.attributes {
        m.entry(a.name.clone()).or_insert(serde_json::Value::Null);
    }
    serde_json::Value::Object(m)
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
