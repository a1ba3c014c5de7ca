//! `terraform-provider-benchnull`: the plugin floor for `cargo xtask bench`. One resource,
//! `benchnull_thing` (like `terraform_data`: `input` in, `output` and `id` out), served by our
//! own protocol layer and calling no API. Terraform pays for every out-of-process provider —
//! process starts, mTLS, gRPC, msgpack of every state — and `terraform_data`, built into
//! Terraform, pays none of it; this binary measures that share, so the benchmark can tell it
//! apart from what the Maskinporten provider adds. Built with
//! `cargo build --release --example terraform-provider-benchnull`; never shipped.

use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use terraform_provider_maskinporten::tfplugin::{
    Attribute, DataSource, Diagnostics, PlanCtx, Provider, Resource, Schema, Type, Value, ValueExt, logging, serve,
};
use tokio_util::sync::CancellationToken;

struct NullProvider;

struct Thing {
    next: AtomicU64,
}

fn thing_schema() -> Schema {
    Schema::new(
        "A value kept in state, like terraform_data.",
        vec![
            Attribute::computed("id", Type::String).describe("A counter."),
            Attribute::required("input", Type::String).describe("Any string."),
            Attribute::computed("output", Type::String).describe("The input."),
        ],
    )
}

fn state(id: String, input: Option<String>) -> Value {
    Value::Object(
        [
            ("id".to_string(), Value::String(id)),
            ("input".to_string(), input.clone().map_or(Value::Null, Value::String)),
            ("output".to_string(), input.map_or(Value::Null, Value::String)),
        ]
        .into(),
    )
}

#[async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "benchnull_thing"
    }
    fn schema(&self) -> Schema {
        thing_schema()
    }
    async fn plan(&self, ctx: &mut PlanCtx<'_>) {
        let input = ctx.config.get_attr("input").cloned().unwrap_or(Value::Null);
        ctx.set("output", input);
    }
    async fn create(&self, planned: &Value, _: &Value, _: &mut Diagnostics) -> Option<Value> {
        Some(state(self.next.fetch_add(1, Ordering::Relaxed).to_string(), planned.opt_str("input")))
    }
    async fn read(&self, state: &Value, _: &mut Diagnostics) -> Option<Value> {
        Some(state.clone())
    }
    async fn update(&self, prior: &Value, planned: &Value, _: &Value, _: &mut Diagnostics) -> Option<Value> {
        Some(state(prior.opt_str("id").unwrap_or_default(), planned.opt_str("input")))
    }
    async fn delete(&self, _: &Value, _: &mut Diagnostics) {}
    async fn import(&self, id: &str, _: &mut Diagnostics) -> Option<Value> {
        Some(state(id.to_string(), None))
    }
}

#[async_trait]
impl Provider for NullProvider {
    fn schema(&self) -> Schema {
        Schema::new("The benchmark's plugin floor.", vec![])
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Thing { next: AtomicU64::new(1) })]
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
    if let Err(e) = rt.block_on(serve::serve(|_: CancellationToken| NullProvider)) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
