//! The state of one provider process: the provider, its registered resources, data sources,
//! ephemeral resources and functions with their schemas, and the stop token. The gRPC face in
//! [`super::server`] routes every RPC through it.

use super::diag::{Diagnostic, Diagnostics};
use super::function::Function;
use super::identity::Identity;
use super::lifecycle;
use super::resource::{DataSource, EphemeralResource, Provider, Resource};
use super::rpc::{encode, unknown_type};
use super::schema::Schema;
use super::value::{self, Value};
use crate::proto::tfplugin6 as pb;
use std::collections::HashMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub(crate) struct Registered<T: ?Sized> {
    pub(crate) imp: Arc<T>,
    pub(crate) schema: Schema,
    pub(crate) identity: Option<Identity>,
}

/// The state shared by all RPCs of one provider process.
pub struct ProviderService {
    pub(crate) provider: Arc<dyn Provider>,
    pub(crate) provider_schema: Schema,
    pub(crate) resources: HashMap<String, Registered<dyn Resource>>,
    pub(crate) data_sources: HashMap<String, Registered<dyn DataSource>>,
    pub(crate) ephemeral: HashMap<String, Registered<dyn EphemeralResource>>,
    pub(crate) functions: HashMap<String, Arc<dyn Function>>,
    pub(crate) stop: CancellationToken,
}

impl ProviderService {
    /// Wrap a provider. `stop` is the token StopProvider cancels; the provider was built with a
    /// clone of it so its API client can abandon waits and reads.
    pub fn new(provider: Arc<dyn Provider>, stop: CancellationToken) -> Self {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name().to_string(), Registered { schema: r.schema(), identity: r.identity(), imp: r }))
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name().to_string(), Registered { schema: d.schema(), identity: None, imp: d }))
            .collect();
        let ephemeral = provider
            .ephemeral_resources()
            .into_iter()
            .map(|e| (e.type_name().to_string(), Registered { schema: e.schema(), identity: None, imp: e }))
            .collect();
        let functions = provider.functions().into_iter().map(|f| (f.name().to_string(), f)).collect();
        ProviderService {
            provider_schema: provider.schema(),
            provider,
            resources,
            data_sources,
            ephemeral,
            functions,
            stop,
        }
    }

    pub(crate) fn resource(&self, name: &str) -> Result<&Registered<dyn Resource>, Diagnostics> {
        self.resources.get(name).ok_or_else(|| unknown_type("resource", name))
    }

    /// UpgradeResourceState: the resource's upgrade of the stored JSON, conformed to the
    /// current schema (attributes it lost dropped, new ones null).
    pub(crate) fn upgrade(
        &self,
        req: pb::upgrade_resource_state::Request,
    ) -> Result<pb::upgrade_resource_state::Response, Diagnostics> {
        let r = self.resource(&req.type_name)?;
        let raw = req.raw_state.map(|r| r.json).unwrap_or_default();
        let mut d = Diagnostics::default();
        let upgraded = if raw.is_empty() {
            Value::Null
        } else {
            let json: serde_json::Value = serde_json::from_slice(&raw)
                .map_err(|e| Diagnostics::from(Diagnostic::error("Stored state is not valid JSON", e.to_string())))?;
            let json = lifecycle::conform_json(&r.schema, r.imp.upgrade_state(req.version, json, &mut d));
            let bytes = serde_json::to_vec(&json).unwrap_or_default();
            value::decode_json(&bytes, &r.schema.value_type()).map_err(|e| {
                Diagnostics::from(Diagnostic::error("Stored state does not match the schema", e.to_string()))
            })?
        };
        Ok(pb::upgrade_resource_state::Response {
            upgraded_state: Some(encode(&upgraded, &r.schema)?),
            diagnostics: d.to_proto(),
        })
    }

    pub(crate) fn data_source(&self, name: &str) -> Result<&Registered<dyn DataSource>, Diagnostics> {
        self.data_sources.get(name).ok_or_else(|| unknown_type("data source", name))
    }
}
