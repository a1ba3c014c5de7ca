//! Checks the protocol layer makes on every configuration before a resource sees it.

use super::diag::{AttrPath, Diagnostics};
use super::schema::Schema;
use super::value::Value;

/// Terraform before 1.11 does not know write-only attributes: it would treat one as an ordinary
/// optional attribute and store the secret in state. Refuse such configurations outright
/// (docs/development/plugin-protocol.md, "Write-only attributes, identity and import").
pub fn write_only_allowed(schema: &Schema, config: &Value, allowed: bool, diags: &mut Diagnostics) {
    if allowed {
        return;
    }
    for a in schema.attributes.iter().filter(|a| a.write_only) {
        if config.get_attr(&a.name).is_some_and(|v| !v.is_null()) {
            diags.attr_error(
                AttrPath::attr(&a.name),
                "Write-only attribute not supported by this Terraform",
                format!(
                    "{} is write-only: it is never stored in state. Write-only attributes need Terraform 1.11 \
                     or later; upgrade Terraform to use it.",
                    a.name
                ),
            );
        }
    }
}
