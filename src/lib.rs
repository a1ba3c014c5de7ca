//! # terraform-provider-maskinporten
//!
//! A Terraform provider for Digdir's Maskinporten self-service API, speaking Terraform's plugin
//! protocol v6 through its own small server.
//!
//! ## Crate map: three layers, one direction
//!
//! | layer | speaks | knows |
//! |---|---|---|
//! | [`tfplugin`] | Terraform: gRPC, schemas, values, plans, diagnostics | nothing of Maskinporten |
//! | [`provider`] | both: maps state values to API types, one module per resource | `tfplugin` and `api` |
//! | [`api`] | Maskinporten: HTTP, JWT grant, API types and errors | nothing of Terraform |
//!
//! `provider` depends on the other two; they never depend on it or on each other.
//!
//! ## An apply, in five hops
//!
//! 1. `tfplugin/server.rs` decodes `ApplyResourceChange` and routes it by type name;
//! 2. `tfplugin/lifecycle.rs` decides create / update / delete and later reconciles the new state
//!    with the plan (so "inconsistent result" cannot happen);
//! 3. `provider/<resource>/` converts the planned state to API types (`model.rs`); a create goes
//!    through `provider/create.rs`, which reconciles an answer lost on the way back;
//! 4. `api/<area>.rs` builds the request and names the admin scopes it needs;
//! 5. `api/client.rs` sends it with a token, retries what is safe to retry and maps errors, which
//!    `provider/shared/api.rs` reports through `provider/errors.rs`, the one conversion to
//!    diagnostics.
//!
//! ## Adding a resource
//!
//! ARCHITECTURE.md, "Adding a resource", lists the files in order, each with its test.

// Errors carry what a user needs (status, Digdir's body, correlation id, diagnostics); they are
// rare and never on a hot path, so their size is not worth boxing.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod provider;
pub mod tfplugin;

/// Code generated from `proto/` by `build.rs` (tfplugin6 and go-plugin's services).
pub mod proto {
    #![allow(dead_code, missing_docs, clippy::all, clippy::pedantic)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}
