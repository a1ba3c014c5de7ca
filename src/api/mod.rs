//! API LAYER: Digdir's Maskinporten self-service API (docs/development/digdir-api.md), with no
//! Terraform words. [`ApiClient`] obtains admin tokens with the RFC 7523 JWT-bearer grant
//! ([`auth`]) and executes requests with timeouts, bounded concurrency, safe retries and typed
//! errors ([`error`]); the typed operations live per area ([`scopes`], [`clients`], [`contacts`]),
//! each stating the admin scopes it needs ([`admin_scopes`]).

pub mod admin_scopes;
pub mod auth;
pub mod client;
pub mod client_token;
pub mod clients;
pub mod config;
pub mod contacts;
pub mod error;
pub mod redact;
pub mod scopes;
pub mod types;

pub use client::{ApiClient, Request};
pub use config::{ApiConfig, Signing};
pub use contacts::Contact;
pub use error::{ApiError, ApiErrorResponse};
pub use types::*;
