//! The ephemeral-resource RPCs (protocol 6.7): validate and open. Values are returned to
//! Terraform for one run and never stored; there is nothing to renew or close.

use super::diag::Diagnostics;
use super::lifecycle;
use super::rpc::{decode, encode, guarded, unknown_type};
use super::server::Server;
use super::service::ProviderService;
use crate::proto::tfplugin6 as pb;
use tonic::{Request, Response, Status};

impl ProviderService {
    async fn validate_ephemeral(
        &self,
        req: pb::validate_ephemeral_resource_config::Request,
    ) -> Result<Vec<pb::Diagnostic>, Diagnostics> {
        let r = self.ephemeral.get(&req.type_name).ok_or_else(|| unknown_type("ephemeral resource", &req.type_name))?;
        let config = decode(req.config.as_ref(), &r.schema)?;
        let mut d = Diagnostics::default();
        r.imp.validate(&config, &mut d);
        Ok(d.to_proto())
    }

    async fn open_ephemeral(
        &self,
        req: pb::open_ephemeral_resource::Request,
    ) -> Result<pb::open_ephemeral_resource::Response, Diagnostics> {
        let r = self.ephemeral.get(&req.type_name).ok_or_else(|| unknown_type("ephemeral resource", &req.type_name))?;
        let config = decode(req.config.as_ref(), &r.schema)?;
        let mut d = Diagnostics::default();
        // Config may still hold unknowns during plan: Terraform then expects an unknown result.
        if !config.is_fully_known() {
            return Ok(pb::open_ephemeral_resource::Response {
                result: Some(pb::DynamicValue { msgpack: vec![0xd4, 0x00, 0x00], json: vec![] }),
                ..Default::default()
            });
        }
        let result = r.imp.open(&config, &mut d).await;
        let result = match result {
            Some(v) if !d.has_errors() => Some(encode(&lifecycle::data_result(&r.schema, &config, v), &r.schema)?),
            _ => None,
        };
        Ok(pb::open_ephemeral_resource::Response { result, diagnostics: d.to_proto(), ..Default::default() })
    }
}

pub(crate) async fn validate(
    s: &Server,
    req: Request<pb::validate_ephemeral_resource_config::Request>,
) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
    let (s, req) = (s.0.clone(), req.into_inner());
    let diagnostics = guarded(async move { s.validate_ephemeral(req).await }, |d| d.to_proto()).await;
    Ok(Response::new(pb::validate_ephemeral_resource_config::Response { diagnostics }))
}

pub(crate) async fn open(
    s: &Server,
    req: Request<pb::open_ephemeral_resource::Request>,
) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
    let (s, req) = (s.0.clone(), req.into_inner());
    let resp = guarded(async move { s.open_ephemeral(req).await }, |d| pb::open_ephemeral_resource::Response {
        diagnostics: d.to_proto(),
        ..Default::default()
    })
    .await;
    Ok(Response::new(resp))
}
