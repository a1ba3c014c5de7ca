//! `maskinporten_contact` as Terraform state and as a contact of the merchant-data contract, and
//! the diagnostic that explains why contacts cannot be managed where no server serves it.

use crate::api::Contact;
use crate::tfplugin::{Attribute, Diagnostic, ObjectBuilder, Schema, Type, Value, ValueExt};

/// Why contacts cannot be managed here, and what to do instead.
pub fn unavailable(url: Option<&str>) -> Diagnostic {
    let why = match url {
        None => "merchant_data_url is not set".to_string(),
        Some(u) => format!("the server at merchant_data_url ({u}) answers 404 on the contacts endpoint"),
    };
    Diagnostic::error(
        "Merchant data cannot be managed through Digdir's API",
        format!(
            "Digdir's self-service API has no endpoint for merchant data (notification points and invoice details), and {why}. \
             maskinporten_contact needs a server that implements the contract in docs/merchant-data-api.md.\n\n\
             Until Digdir offers one, maintain merchant data in Samarbeidsportalen:\n\
             1. Log in at https://samarbeid.digdir.no and open \"Virksomhetens tjenester\".\n\
             2. Find the integration: your client, or for your scopes the integration of type \"API-tilbyder\".\n\
             3. Choose \"Rediger integrasjon\", fill in the notification points (varslingspunkter) and the invoice information, and save.\n\n\
             See the \"Merchant data\" guide. Remove maskinporten_contact resources from this configuration until then."
        ),
    )
}

pub fn schema() -> Schema {
    let opt = |n: &str, d: &str| Attribute::optional(n, Type::String).describe(d);
    Schema::new(
        "**Experimental.** A notification point or invoice contact of a client or of your API-provider integration. \
         Digdir's public API has no merchant-data endpoint; this resource needs `merchant_data_url` pointing at a server \
         that implements the contract in `docs/merchant-data-api.md`. Destroying it deactivates the contact.",
        vec![
            Attribute::computed("id", Type::String).describe("The contact id; the import id."),
            Attribute::required("kind", Type::String).force_new().describe("`notification` (gets e-mail on critical incidents) or `invoice` (receives invoices). Changing it creates a new contact."),
            opt("client_id", "The client the contact belongs to. Give this or `prefix`. Changing it creates a new contact.").force_new(),
            opt("prefix", "A scope prefix of yours, naming your API-provider integration. Give this or `client_id`. Changing it creates a new contact.").force_new(),
            opt("name", "Person or function, e.g. \"Operations on call\"."),
            opt("email", "E-mail address; required for `notification` contacts."),
            opt("phone", "Phone number, E.164 (`+4799999999`) or Norwegian (8 digits)."),
            opt("invoice_email", "Where invoices are sent; required for `invoice` contacts."),
            opt("address", "Postal address for invoices (`invoice` only); lines separated by newlines."),
            opt("reference", "The buyer's reference printed on invoices (`invoice` only)."),
            Attribute::computed("active", Type::Bool).describe("Whether the contact is active; reads false when deactivated outside Terraform, and the next apply reactivates it."),
        ],
    )
}

pub fn to_api(v: &Value) -> Contact {
    Contact {
        kind: v.opt_str("kind"),
        client_id: v.opt_str("client_id"),
        prefix: v.opt_str("prefix"),
        name: v.opt_str("name"),
        email: v.opt_str("email"),
        phone: v.opt_str("phone"),
        invoice_email: v.opt_str("invoice_email"),
        address: v.opt_str("address"),
        reference: v.opt_str("reference"),
        active: Some(true),
        ..Default::default()
    }
}

pub fn state_of(c: Contact) -> Value {
    let ne = |s: Option<String>| s.filter(|s| !s.is_empty());
    ObjectBuilder::new(&schema())
        .str("id", c.id)
        .str("kind", c.kind)
        .str("client_id", ne(c.client_id))
        .str("prefix", ne(c.prefix))
        .str("name", ne(c.name))
        .str("email", ne(c.email))
        .str("phone", ne(c.phone))
        .str("invoice_email", ne(c.invoice_email))
        .str("address", ne(c.address))
        .str("reference", ne(c.reference))
        .bool("active", Some(c.active.unwrap_or(true)))
        .build()
}
