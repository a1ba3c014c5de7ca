//! `terraform-provider-benchfloor`: the plugin floor for `cargo xtask bench`.
//!
//! It serves the Maskinporten provider's own schemas — every resource type, attribute and
//! identity, the same provider block — through our protocol layer, but with nothing behind
//! them: create fills each computed value Terraform left unknown, read returns the state as it
//! is, update keeps what the plan says, delete forgets. The benchmark runs the very same
//! configuration against it (under the source `bench/maskinporten`), so the two runs differ only
//! in what the provider does, never in what Terraform does: the same graph, the same references,
//! the same state sizes through msgpack, the same process starts and mTLS. Whatever the real
//! provider costs above this binary is ours to answer for (ARCHITECTURE.md, "Targets").
//! Built with `cargo build --release --example terraform-provider-benchfloor`; never shipped.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use terraform_provider_maskinporten::provider::MaskinportenProvider;
use terraform_provider_maskinporten::tfplugin::{
    DataSource, Diagnostics, Identity, Provider, Resource, Schema, Type, Value, logging, serve,
};
use tokio_util::sync::CancellationToken;

/// The real provider, asked only for its schemas.
struct Floor {
    real: MaskinportenProvider,
}

/// One of the real resource types, with no API behind it.
struct Mirror {
    real: Arc<dyn Resource>,
    next: Arc<AtomicU64>,
}

/// A known value of type `ty` for a computed attribute Terraform left unknown: strings are
/// unique per process (ids must not collide), everything else empty.
fn fill(ty: &Type, next: &AtomicU64) -> Value {
    match ty {
        Type::String | Type::Dynamic => Value::String(format!("floor-{}", next.fetch_add(1, Ordering::Relaxed))),
        Type::Number => Value::Number(terraform_provider_maskinporten::tfplugin::value::Number::Int(0)),
        Type::Bool => Value::Bool(false),
        Type::List(_) => Value::List(vec![]),
        Type::Set(_) => Value::Set(vec![]),
        Type::Map(_) => Value::Map(BTreeMap::new()),
        Type::Tuple(_) | Type::Object(_) => Value::Null,
    }
}

impl Mirror {
    /// The planned object with every unknown attribute made known, as an apply would.
    fn applied(&self, planned: &Value) -> Value {
        let Value::Object(attrs) = planned else { return planned.clone() };
        let schema = self.real.schema();
        let mut out = attrs.clone();
        for a in &schema.attributes {
            if matches!(out.get(&a.name), Some(Value::Unknown(_))) {
                out.insert(a.name.clone(), fill(&a.ty, &self.next));
            }
        }
        Value::Object(out)
    }
}

#[async_trait]
impl Resource for Mirror {
    fn type_name(&self) -> &'static str {
        self.real.type_name()
    }
    fn schema(&self) -> Schema {
        self.real.schema()
    }
    fn identity(&self) -> Option<Identity> {
        self.real.identity()
    }
    async fn create(&self, planned: &Value, _: &Value, _: &mut Diagnostics) -> Option<Value> {
        Some(self.applied(planned))
    }
    async fn read(&self, state: &Value, _: &mut Diagnostics) -> Option<Value> {
        Some(state.clone())
    }
    async fn update(&self, _: &Value, planned: &Value, _: &Value, _: &mut Diagnostics) -> Option<Value> {
        Some(self.applied(planned))
    }
    async fn delete(&self, _: &Value, _: &mut Diagnostics) {}
    async fn import(&self, _: &str, diags: &mut Diagnostics) -> Option<Value> {
        diags.error("The benchmark's floor provider does not import", "");
        None
    }
}

#[async_trait]
impl Provider for Floor {
    fn schema(&self) -> Schema {
        self.real.schema()
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        let next = Arc::new(AtomicU64::new(1));
        self.real
            .resources()
            .into_iter()
            .map(|real| Arc::new(Mirror { real, next: next.clone() }) as Arc<dyn Resource>)
            .collect()
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![]
    }
    async fn configure(&self, _: &str, _: &Value, _: &mut Diagnostics) {}
}

fn main() {
    if let Err(e) = serve::check_environment() {
        eprintln!("{e}");
        std::process::exit(1);
    }
    logging::init();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    if let Err(e) = rt.block_on(serve::serve(|stop: CancellationToken| Floor { real: MaskinportenProvider::new(stop) }))
    {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
