//! Data source `maskinporten_organization`: an organisation's name from the central register,
//! via `GET /api/v1/organizations/{orgnr}`.

use crate::provider::{Shared, orgno};
use crate::tfplugin::{
    AttrPath, Attribute, DataSource, Diagnostics, ObjectBuilder, Schema, Tri, Type, Value, ValueExt,
};
use async_trait::async_trait;
use std::sync::Arc;

pub struct OrganizationData(pub Arc<Shared>);

fn schema() -> Schema {
    Schema::new(
        "Looks up an organisation's name by organisation number.",
        vec![
            Attribute::required("orgno", Type::String).describe("Organisation number, nine digits."),
            Attribute::computed("name", Type::String).describe("The organisation's name in the central register."),
        ],
    )
}

#[async_trait]
impl DataSource for OrganizationData {
    fn type_name(&self) -> &'static str {
        "maskinporten_organization"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Tri::Known(o) = config.tri_str("orgno") {
            orgno::check(o, AttrPath::attr("orgno"), self.0.api.is_test_env(), diags);
        }
    }
    async fn read(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let api = self.0.api.client(diags)?;
        let o = config.opt_str("orgno")?;
        match api.get_organization(&o).await {
            Ok(Some(org)) => Some(ObjectBuilder::new(&schema()).str("orgno", Some(o)).str("name", org.name).build()),
            Ok(None) => {
                diags.attr_error(
                    AttrPath::attr("orgno"),
                    "Organisation not found",
                    format!("{o} is not in the register."),
                );
                None
            }
            Err(e) => {
                self.0.api.report(diags, &e, &format!("look up organisation {o}"), Some(AttrPath::attr("orgno")));
                None
            }
        }
    }
}
