//! Logs as go-plugin expects them: one JSON object per line on stderr, in hclog's shape
//! (`@level`, `@message`, `@timestamp`, plus fields), so `TF_LOG` / `TF_LOG_PROVIDER` show them
//! as levelled provider logs. stdout is reserved for the handshake line.
//!
//! The level comes from `TF_LOG_PROVIDER`, else `TF_LOG` (Terraform passes its environment to
//! plugins); with neither set nothing is formatted at all.

use std::io::Write;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

struct HclogLayer {
    max: Level,
}

#[derive(Default)]
struct Fields {
    message: String,
    rest: serde_json::Map<String, serde_json::Value>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let s = format!("{value:?}");
        if field.name() == "message" {
            self.message = s;
        } else {
            self.rest.insert(field.name().to_string(), serde_json::Value::String(s));
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.rest.insert(field.name().to_string(), value.into());
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.rest.insert(field.name().to_string(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.rest.insert(field.name().to_string(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.rest.insert(field.name().to_string(), value.into());
    }
}

fn level_name(l: &Level) -> &'static str {
    match *l {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        *meta.level() <= self.max && meta.target().starts_with(env!("CARGO_CRATE_NAME"))
    }
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut f = Fields::default();
        event.record(&mut f);
        let mut obj = serde_json::Map::new();
        obj.insert("@level".into(), level_name(event.metadata().level()).into());
        obj.insert("@message".into(), f.message.into());
        obj.insert(
            "@timestamp".into(),
            humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string().into(),
        );
        obj.insert("@module".into(), event.metadata().target().replace("::", ".").into());
        obj.extend(f.rest);
        let mut line = serde_json::Value::Object(obj).to_string();
        line.push('\n');
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// The level Terraform asked for, if any.
fn requested_level() -> Option<Level> {
    let v = std::env::var("TF_LOG_PROVIDER").or_else(|_| std::env::var("TF_LOG")).ok()?;
    match v.trim().to_ascii_lowercase().as_str() {
        "trace" | "json" => Some(Level::TRACE),
        "debug" => Some(Level::DEBUG),
        "info" => Some(Level::INFO),
        "warn" => Some(Level::WARN),
        "error" => Some(Level::ERROR),
        _ => None,
    }
}

/// Install the hclog-shaped stderr logger (a no-op when Terraform asked for no logs).
pub fn init() {
    if let Some(max) = requested_level() {
        let _ = tracing_subscriber::registry().with(HclogLayer { max }).try_init();
    }
}
