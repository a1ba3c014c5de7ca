//! PROTOCOL LAYER: Terraform's plugin protocol v6, spoken by our own server (not the tf-provider
//! crate; docs/development/plugin-protocol.md, "Why our own protocol layer", says why). It knows
//! Terraform words only — schemas, values, plans, diagnostics — and nothing of any API. A provider
//! implements the traits in [`resource`]; everything protocol-shaped is handled here:
//!
//! * [`serve`]: process contract (cookie, handshake, mTLS, Shutdown, signals); [`tls`]: AutoMTLS.
//! * [`server`]: the gRPC service, decoding and routing each RPC by type name.
//! * [`lifecycle`]: the plan/apply rules Terraform enforces, applied to every resource.
//! * [`value`]: the DynamicValue codec (msgpack and JSON, with unknowns); [`access`]: typed access.
//! * [`schema`], [`diag`]: schemas and diagnostics with attribute paths; [`function`]: provider functions.

pub mod access;
pub mod consistency;
pub mod diag;
mod ephemeral_rpc;
pub mod function;
pub mod identity;
pub mod lifecycle;
pub mod logging;
pub mod resource;
mod rpc;
pub mod schema;
pub mod serve;
pub mod server;
mod service;
pub mod tls;
pub mod validate;
pub mod value;

pub use access::{ObjectBuilder, Tri, ValueExt};
pub use diag::{AttrPath, Diagnostic, Diagnostics};
pub use function::{Function, FunctionError, Param};
pub use identity::Identity;
pub use resource::{DataSource, EphemeralResource, PlanCtx, Provider, Resource};
pub use schema::{Attribute, Schema};
pub use value::{Type, Value};
