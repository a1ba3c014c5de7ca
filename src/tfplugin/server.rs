//! The tfplugin6 gRPC service: decodes each request, routes it by type name to the registered
//! resource or data source, applies the lifecycle rules, and encodes the answer. Every handler
//! runs inside [`super::rpc::guarded`], so a panic becomes an error diagnostic instead of a dead
//! provider.

use super::consistency;
use super::diag::Diagnostics;
use super::function;
use super::lifecycle;
use super::rpc::{decode, encode, guarded};
pub use super::service::ProviderService;
use crate::proto::tfplugin6 as pb;
use std::sync::Arc;
use std::time::Duration;
use tonic::{Request, Response, Status};

type Rpc<T> = Result<Response<T>, Status>;

/// The gRPC face. Cloning is cheap; each handler gets its own `Arc` for [`guarded`].
#[derive(Clone)]
pub struct Server(pub Arc<ProviderService>);

#[tonic::async_trait]
impl pb::provider_server::Provider for Server {
    async fn get_metadata(&self, _: Request<pb::get_metadata::Request>) -> Rpc<pb::get_metadata::Response> {
        let s = &self.0;
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: s
                .resources
                .keys()
                .map(|k| pb::get_metadata::ResourceMetadata { type_name: k.clone() })
                .collect(),
            data_sources: s
                .data_sources
                .keys()
                .map(|k| pb::get_metadata::DataSourceMetadata { type_name: k.clone() })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Rpc<pb::get_provider_schema::Response> {
        let s = &self.0;
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(s.provider_schema.to_proto()),
            resource_schemas: s.resources.iter().map(|(k, r)| (k.clone(), r.schema.to_proto())).collect(),
            data_source_schemas: s.data_sources.iter().map(|(k, r)| (k.clone(), r.schema.to_proto())).collect(),
            functions: s.functions.iter().map(|(k, f)| (k.clone(), function::to_proto(f.as_ref()))).collect(),
            ephemeral_resource_schemas: s.ephemeral.iter().map(|(k, r)| (k.clone(), r.schema.to_proto())).collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Rpc<pb::get_resource_identity_schemas::Response> {
        let identity_schemas =
            self.0.resources.iter().filter_map(|(k, r)| Some((k.clone(), r.identity.as_ref()?.to_proto()))).collect();
        Ok(Response::new(pb::get_resource_identity_schemas::Response { identity_schemas, diagnostics: vec![] }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Rpc<pb::validate_provider_config::Response> {
        let (s, req) = (self.0.clone(), req.into_inner());
        let diagnostics = guarded(
            async move {
                let config = decode(req.config.as_ref(), &s.provider_schema)?;
                let mut d = Diagnostics::default();
                s.provider.validate(&config, &mut d);
                Ok(d.to_proto())
            },
            |d| d.to_proto(),
        )
        .await;
        Ok(Response::new(pb::validate_provider_config::Response { diagnostics }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Rpc<pb::configure_provider::Response> {
        let (s, req) = (self.0.clone(), req.into_inner());
        let diagnostics = guarded(
            async move {
                let config = decode(req.config.as_ref(), &s.provider_schema)?;
                let mut d = Diagnostics::default();
                s.provider.configure(&req.terraform_version, &config, &mut d).await;
                Ok(d.to_proto())
            },
            |d| d.to_proto(),
        )
        .await;
        Ok(Response::new(pb::configure_provider::Response { diagnostics }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Rpc<pb::validate_resource_config::Response> {
        let (s, req) = (self.0.clone(), req.into_inner());
        let diagnostics = guarded(
            async move {
                let r = s.resource(&req.type_name)?;
                let config = decode(req.config.as_ref(), &r.schema)?;
                let mut d = Diagnostics::default();
                let wo_allowed = req.client_capabilities.is_some_and(|c| c.write_only_attributes_allowed);
                super::validate::write_only_allowed(&r.schema, &config, wo_allowed, &mut d);
                r.imp.validate(&config, &mut d);
                Ok(d.to_proto())
            },
            |d| d.to_proto(),
        )
        .await;
        Ok(Response::new(pb::validate_resource_config::Response { diagnostics }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Rpc<pb::validate_data_resource_config::Response> {
        let (s, req) = (self.0.clone(), req.into_inner());
        let diagnostics = guarded(
            async move {
                let r = s.data_source(&req.type_name)?;
                let config = decode(req.config.as_ref(), &r.schema)?;
                let mut d = Diagnostics::default();
                r.imp.validate(&config, &mut d);
                Ok(d.to_proto())
            },
            |d| d.to_proto(),
        )
        .await;
        Ok(Response::new(pb::validate_data_resource_config::Response { diagnostics }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Rpc<pb::upgrade_resource_state::Response> {
        let (s, req) = (self.0.clone(), req.into_inner());
        let resp = guarded(async move { s.upgrade(req) }, |d| pb::upgrade_resource_state::Response {
            diagnostics: d.to_proto(),
            ..Default::default()
        })
        .await;
        Ok(Response::new(resp))
    }

    async fn read_resource(&self, req: Request<pb::read_resource::Request>) -> Rpc<pb::read_resource::Response> {
        let (s, req) = (self.0.clone(), req.into_inner());
        let fallback = req.current_state.clone();
        let private = req.private.clone();
        let resp = guarded(
            async move {
                let r = s.resource(&req.type_name)?;
                let current = decode(req.current_state.as_ref(), &r.schema)?;
                let window = s.provider.read_after_write_window();
                let lag_left =
                    consistency::since_write(&req.private).map_or(Duration::ZERO, |t| window.saturating_sub(t));
                let (new, d) = lifecycle::read(r.imp.as_ref(), &r.schema, &current, lag_left).await;
                let new_identity = r.identity.as_ref().and_then(|i| i.encode(i.of(&new))).or(req.current_identity);
                Ok(pb::read_resource::Response {
                    new_state: Some(encode(&new, &r.schema)?),
                    diagnostics: d.to_proto(),
                    private: req.private,
                    new_identity,
                    ..Default::default()
                })
            },
            |d| pb::read_resource::Response {
                new_state: fallback,
                private,
                diagnostics: d.to_proto(),
                ..Default::default()
            },
        )
        .await;
        Ok(Response::new(resp))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Rpc<pb::plan_resource_change::Response> {
        let (s, req) = (self.0.clone(), req.into_inner());
        let resp = guarded(
            async move {
                let r = s.resource(&req.type_name)?;
                let prior = decode(req.prior_state.as_ref(), &r.schema)?;
                let proposed = decode(req.proposed_new_state.as_ref(), &r.schema)?;
                let config = decode(req.config.as_ref(), &r.schema)?;
                let out = lifecycle::plan(r.imp.as_ref(), &r.schema, &prior, &proposed, &config).await;
                // An object keeps its identity; a new one has it once its parts are known.
                let planned_identity = match (&r.identity, out.requires_replace.is_empty()) {
                    (Some(_), true) if req.prior_identity.is_some() => req.prior_identity,
                    (Some(i), _) => i.encode(i.of(&out.planned)),
                    (None, _) => None,
                };
                Ok(pb::plan_resource_change::Response {
                    planned_state: Some(encode(&out.planned, &r.schema)?),
                    requires_replace: out.requires_replace.iter().map(|p| p.to_proto()).collect(),
                    planned_private: req.prior_private,
                    diagnostics: out.diags.to_proto(),
                    planned_identity,
                    ..Default::default()
                })
            },
            |d| pb::plan_resource_change::Response { diagnostics: d.to_proto(), ..Default::default() },
        )
        .await;
        Ok(Response::new(resp))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Rpc<pb::apply_resource_change::Response> {
        let (s, req) = (self.0.clone(), req.into_inner());
        let fallback = req.prior_state.clone();
        let resp = guarded(
            async move {
                let r = s.resource(&req.type_name)?;
                let prior = decode(req.prior_state.as_ref(), &r.schema)?;
                let planned = decode(req.planned_state.as_ref(), &r.schema)?;
                let config = decode(req.config.as_ref(), &r.schema)?;
                let (new, d) = lifecycle::apply(r.imp.as_ref(), &r.schema, &prior, &planned, &config).await;
                let new_identity = r.identity.as_ref().and_then(|i| i.encode(i.of(&new)));
                // A written object remembers when, so the next refresh tolerates the API's lag.
                let private =
                    if new.is_null() { req.planned_private } else { consistency::stamp(&req.planned_private) };
                Ok(pb::apply_resource_change::Response {
                    new_state: Some(encode(&new, &r.schema)?),
                    private,
                    diagnostics: d.to_proto(),
                    new_identity,
                    ..Default::default()
                })
            },
            |d| pb::apply_resource_change::Response {
                new_state: fallback,
                diagnostics: d.to_proto(),
                ..Default::default()
            },
        )
        .await;
        Ok(Response::new(resp))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Rpc<pb::import_resource_state::Response> {
        let (s, req) = (self.0.clone(), req.into_inner());
        let resp = guarded(
            async move {
                let r = s.resource(&req.type_name)?;
                let mut d = Diagnostics::default();
                // `import { identity = {...} }` (Terraform ≥ 1.12) names the object by identity.
                let id = match (&r.identity, r.identity.as_ref().and_then(|i| i.decode(req.identity.as_ref()))) {
                    (Some(i), Some(given)) => i.import_id(&given).unwrap_or_default(),
                    _ => req.id.clone(),
                };
                let state = r.imp.import(&id, &mut d).await;
                let imported_resources = match state {
                    Some(st) if !d.has_errors() => vec![pb::import_resource_state::ImportedResource {
                        type_name: req.type_name.clone(),
                        identity: r.identity.as_ref().and_then(|i| i.encode(i.of(&st))),
                        state: Some(encode(&st, &r.schema)?),
                        ..Default::default()
                    }],
                    _ => vec![],
                };
                Ok(pb::import_resource_state::Response {
                    imported_resources,
                    diagnostics: d.to_proto(),
                    ..Default::default()
                })
            },
            |d| pb::import_resource_state::Response { diagnostics: d.to_proto(), ..Default::default() },
        )
        .await;
        Ok(Response::new(resp))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Rpc<pb::read_data_source::Response> {
        let (s, req) = (self.0.clone(), req.into_inner());
        let resp = guarded(
            async move {
                let r = s.data_source(&req.type_name)?;
                let config = decode(req.config.as_ref(), &r.schema)?;
                let mut d = Diagnostics::default();
                let result = r.imp.read(&config, &mut d).await;
                let state = match result {
                    Some(v) if !d.has_errors() => {
                        Some(encode(&lifecycle::data_result(&r.schema, &config, v), &r.schema)?)
                    }
                    _ => None,
                };
                Ok(pb::read_data_source::Response { state, diagnostics: d.to_proto(), ..Default::default() })
            },
            |d| pb::read_data_source::Response { diagnostics: d.to_proto(), ..Default::default() },
        )
        .await;
        Ok(Response::new(resp))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Rpc<pb::validate_ephemeral_resource_config::Response> {
        super::ephemeral_rpc::validate(self, req).await
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> Rpc<pb::open_ephemeral_resource::Response> {
        super::ephemeral_rpc::open(self, req).await
    }

    async fn renew_ephemeral_resource(
        &self,
        _: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Rpc<pb::renew_ephemeral_resource::Response> {
        Ok(Response::new(Default::default()))
    }

    async fn close_ephemeral_resource(
        &self,
        _: Request<pb::close_ephemeral_resource::Request>,
    ) -> Rpc<pb::close_ephemeral_resource::Response> {
        Ok(Response::new(Default::default()))
    }

    async fn get_functions(&self, _: Request<pb::get_functions::Request>) -> Rpc<pb::get_functions::Response> {
        Ok(Response::new(function::list(&self.0.functions)))
    }

    async fn call_function(&self, req: Request<pb::call_function::Request>) -> Rpc<pb::call_function::Response> {
        let (s, req) = (self.0.clone(), req.into_inner());
        let resp = guarded(async move { Ok(function::call_by_name(&s.functions, &req)) }, function::failed).await;
        Ok(Response::new(resp))
    }

    async fn stop_provider(&self, _: Request<pb::stop_provider::Request>) -> Rpc<pb::stop_provider::Response> {
        tracing::info!("StopProvider: cancelling waits and reads; writes already sent will finish");
        self.0.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response { error: String::new() }))
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities { plan_destroy: true, get_provider_schema_optional: true, ..Default::default() }
}
