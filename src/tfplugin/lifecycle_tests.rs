//! Property tests of the lifecycle rules over generated schemas and prior/config values, with a
//! resource that echoes its plan through an API that reformats (reorders sets, drops empty
//! lists). Whatever the inputs, Terraform's invariants must hold.

use super::*;
use crate::tfplugin::schema::Attribute;
use crate::tfplugin::value::Type;
use async_trait::async_trait;
use proptest::prelude::*;

/// A resource whose API stores exactly what it is sent, but reformats: sets come back reversed,
/// empty sets come back null, unknown computed values become "server-<name>".
struct Echo(Schema);

fn reformat(schema: &Schema, v: &Value) -> Value {
    let mut m = attrs(v);
    for a in &schema.attributes {
        let e = m.entry(a.name.clone()).or_insert(Value::Null);
        *e = match std::mem::replace(e, Value::Null) {
            Value::Set(mut s) if s.is_empty() => {
                s.clear();
                Value::Null
            }
            Value::Set(mut s) => {
                s.reverse();
                Value::Set(s)
            }
            Value::Unknown(_) => match a.ty {
                Type::Bool => Value::Bool(true),
                Type::Number => Value::Number(Number::Int(7)),
                Type::Set(_) => Value::Set(vec![Value::String("server".into())]),
                _ => Value::String(format!("server-{}", a.name)),
            },
            other => other,
        };
    }
    Value::Object(m)
}

#[async_trait]
impl Resource for Echo {
    fn type_name(&self) -> &'static str {
        "test_echo"
    }
    fn schema(&self) -> Schema {
        self.0.clone()
    }
    async fn create(&self, planned: &Value, _: &Value, _: &mut Diagnostics) -> Option<Value> {
        Some(reformat(&self.0, planned))
    }
    async fn read(&self, state: &Value, _: &mut Diagnostics) -> Option<Value> {
        Some(reformat(&self.0, state))
    }
    async fn update(&self, _: &Value, planned: &Value, _: &Value, _: &mut Diagnostics) -> Option<Value> {
        Some(reformat(&self.0, planned))
    }
    async fn delete(&self, _: &Value, _: &mut Diagnostics) {}
    async fn import(&self, _: &str, _: &mut Diagnostics) -> Option<Value> {
        None
    }
}

fn arb_type() -> impl Strategy<Value = Type> {
    prop_oneof![Just(Type::String), Just(Type::Bool), Just(Type::Number), Just(Type::Set(Box::new(Type::String)))]
}

fn arb_known(ty: &Type) -> BoxedStrategy<Value> {
    match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => (-3i64..3).prop_map(|i| Value::Number(Number::Int(i))).boxed(),
        Type::Set(_) => proptest::collection::btree_set("[a-c]", 0..3)
            .prop_map(|s| Value::Set(s.into_iter().map(Value::String).collect()))
            .boxed(),
        _ => "[a-c]{0,2}".prop_map(Value::String).boxed(),
    }
}

#[derive(Debug, Clone)]
struct Case {
    schema: Schema,
    prior: Option<Value>,
    config: Value,
}

fn arb_case() -> impl Strategy<Value = Case> {
    arb_case_where(any::<bool>().boxed())
}

/// Cases of an update: there is always a prior state.
fn arb_update() -> impl Strategy<Value = Case> {
    arb_case_where(Just(true).boxed())
}

fn arb_case_where(has_prior: BoxedStrategy<bool>) -> impl Strategy<Value = Case> {
    let attr = (arb_type(), 0..4u8, any::<bool>(), any::<bool>());
    proptest::collection::vec(attr, 1..6)
        .prop_flat_map(move |specs| {
            let schema = Schema::new(
                "",
                specs
                    .iter()
                    .enumerate()
                    .map(|(i, (ty, mode, force_new, volatile))| {
                        let name = format!("a{i}");
                        let mut a = match mode {
                            0 => Attribute::required(&name, ty.clone()),
                            1 => Attribute::optional(&name, ty.clone()),
                            2 => Attribute::optional_computed(&name, ty.clone()),
                            _ => Attribute::computed(&name, ty.clone()),
                        };
                        a.force_new = *force_new && a.is_configurable();
                        if *volatile {
                            a = a.unknown_on_update();
                        }
                        a
                    })
                    .collect(),
            );
            let per_attr: Vec<_> = schema
                .attributes
                .iter()
                .map(|a| {
                    let known = arb_known(&a.ty);
                    let cfg: BoxedStrategy<Value> = match a.mode {
                        Mode::Required => prop_oneof![4 => known.clone(), 1 => Just(Value::unknown())].boxed(),
                        Mode::Computed => Just(Value::Null).boxed(),
                        _ => {
                            prop_oneof![3 => known.clone(), 2 => Just(Value::Null), 1 => Just(Value::unknown())].boxed()
                        }
                    };
                    let prior: BoxedStrategy<Value> = if a.mode == Mode::Required || a.is_computed() {
                        known.boxed()
                    } else {
                        prop_oneof![known, Just(Value::Null)].boxed()
                    };
                    (cfg, prior)
                })
                .collect();
            (Just(schema), per_attr, has_prior.clone())
        })
        .prop_map(|(schema, vals, has_prior)| {
            let names: Vec<String> = schema.attributes.iter().map(|a| a.name.clone()).collect();
            let config = Value::Object(names.iter().cloned().zip(vals.iter().map(|v| v.0.clone())).collect());
            let prior =
                has_prior.then(|| Value::Object(names.into_iter().zip(vals.into_iter().map(|v| v.1)).collect()));
            Case { schema, prior, config }
        })
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(f)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn plan_respects_terraform_rules(case in arb_case()) {
        let res = Echo(case.schema.clone());
        let prior = case.prior.clone().unwrap_or(Value::Null);
        let out = block_on(plan(&res, &case.schema, &prior, &case.config, &case.config));
        prop_assert!(!out.diags.has_errors(), "{:?}", out.diags);
        let (p, c, pr) = (attrs(&out.planned), attrs(&case.config), attrs(&prior));
        let replacing = !out.requires_replace.is_empty();
        for a in &case.schema.attributes {
            let (pv, cv) = (&p[&a.name], &c[&a.name]);
            if !a.is_computed() || !cv.is_null() {
                prop_assert_eq!(pv, cv, "non-computed {} must equal config", a.name);
            } else if case.prior.is_some() && !replacing {
                prop_assert!(pv == &pr[&a.name] || !pv.is_known(), "computed {} is prior or unknown", a.name);
            } else {
                prop_assert!(!pv.is_known(), "computed {} is unknown on create", a.name);
            }
            if let Some(pa) = out.requires_replace.iter().find(|x| **x == AttrPath::attr(&a.name)) {
                prop_assert!(a.force_new, "only force_new attributes replace: {pa}");
            }
        }
    }

    #[test]
    fn unchanged_config_plans_no_change(case in arb_update()) {
        let res = Echo(case.schema.clone());
        // Config equal to a prior state, as after an apply.
        let prior = case.prior.clone().expect("an update has a prior state");
        let config = Value::Object(case.schema.attributes.iter().map(|a| {
            let v = if a.is_configurable() && a.mode != Mode::OptionalComputed { prior.attr_or_null(&a.name) } else { Value::Null };
            (a.name.clone(), v)
        }).collect());
        let out = block_on(plan(&res, &case.schema, &prior, &config, &config));
        prop_assert!(out.requires_replace.is_empty());
        prop_assert_eq!(out.planned, prior);
    }

    #[test]
    fn apply_then_refresh_is_consistent(case in arb_case()) {
        let res = Echo(case.schema.clone());
        let prior = case.prior.clone().unwrap_or(Value::Null);
        // Apply needs a fully known config; unknowns resolve to known values by then.
        let config = Value::Object(attrs(&case.config).into_iter().map(|(k, v)| {
            let v = if v.is_known() { v } else { Value::String("late".into()) };
            (k, v)
        }).collect());
        let config = reformat_types(&case.schema, config);
        let planned = block_on(plan(&res, &case.schema, &prior, &config, &config)).planned;
        // No change planned: Terraform applies nothing and keeps the prior state, which must
        // refresh clean all the same.
        let state = if planned == prior {
            prior
        } else {
            let (state, diags) = block_on(apply(&res, &case.schema, &prior, &planned, &config));
            prop_assert!(!diags.has_errors(), "{:?}", diags);
            prop_assert!(state.is_fully_known());
            for (k, pv) in attrs(&planned) {
                if pv.is_fully_known() {
                    prop_assert_eq!(&pv, &attrs(&state)[&k], "known planned {} kept", k);
                }
            }
            state
        };
        let (refreshed, diags) = block_on(read(&res, &case.schema, &state, std::time::Duration::ZERO));
        prop_assert!(diags.is_empty());
        prop_assert_eq!(refreshed, state, "refresh after apply is a no-op");
    }
}

/// Replace the placeholder for resolved unknowns with a value of the attribute's type.
fn reformat_types(schema: &Schema, v: Value) -> Value {
    let mut m = attrs(&v);
    for a in &schema.attributes {
        if let Some(x) = m.get_mut(&a.name)
            && *x == Value::String("late".into())
        {
            *x = match a.ty {
                Type::Bool => Value::Bool(false),
                Type::Number => Value::Number(Number::Int(1)),
                Type::Set(_) => Value::Set(vec![Value::String("late".into())]),
                _ => x.clone(),
            };
        }
    }
    Value::Object(m)
}

trait AttrOrNull {
    fn attr_or_null(&self, name: &str) -> Value;
}
impl AttrOrNull for Value {
    fn attr_or_null(&self, name: &str) -> Value {
        self.get_attr(name).cloned().unwrap_or(Value::Null)
    }
}

#[test]
fn null_equals_empty_and_sets_ignore_order() {
    let s = |v: &[&str]| Value::Set(v.iter().map(|x| Value::String(x.to_string())).collect());
    assert!(equivalent(&Value::Null, &s(&[])));
    assert!(equivalent(&s(&["a", "b"]), &s(&["b", "a"])));
    assert!(!equivalent(&s(&["a"]), &s(&["a", "b"])));
    assert!(equivalent(&Value::Number(Number::Int(3)), &Value::Number(Number::Float(3.0))));
    assert!(!equivalent(&Value::unknown(), &Value::unknown()));
}

#[test]
fn conform_json_drops_and_adds_attributes() {
    let schema = Schema::new("", vec![Attribute::required("a", Type::String), Attribute::computed("b", Type::Bool)]);
    let v = conform_json(&schema, serde_json::json!({"a": "x", "gone": 1}));
    assert_eq!(v, serde_json::json!({"a": "x", "b": null}));
}
