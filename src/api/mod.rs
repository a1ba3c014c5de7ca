//! API LAYER: Digdir's Maskinporten self-service API (docs/development/digdir-api.md), with no
//! Terraform words. An operation is a [`Request`] ([`request`]) that states the admin scopes it
//! needs ([`admin_scopes`]); [`ApiClient`] ([`client`]) sends it with an admin token ([`auth`],
//! signed as a JWT-bearer grant by [`grant`]), timeouts, bounded concurrency and safe retries, and
//! its typed verbs say what an answer means: `fetch` an object, `send` and ignore the answer,
//! `lookup` what may be absent, `list`. Answers become typed errors in [`response`] and
//! [`error`]. The operations live per area: [`scopes`], [`clients`], [`contacts`],
//! [`client_token`].

pub mod admin_scopes;
pub mod auth;
pub mod client;
pub mod client_token;
pub mod clients;
pub mod config;
pub mod contacts;
pub mod error;
pub mod grant;
pub mod redact;
pub mod request;
pub mod response;
pub mod scopes;
pub mod types;

pub use client::{ApiClient, Request};
pub use config::{ApiConfig, Signing};
pub use contacts::Contact;
pub use error::{ApiError, ApiErrorResponse};
pub use types::*;
