//! `maskinporten_contact` (experimental): a notification point or invoice contact of a client or of
//! the organisation's API-provider side, on the merchant-data contract of
//! `docs/merchant-data-api.md` at `merchant_data_url`. Digdir's public API has no such endpoint
//! (docs/development/digdir-api.md, "Merchant data"), so without a server that serves the contract
//! every plan with this resource fails with the manual Samarbeidsportalen steps instead
//! (docs/merchant-data-api.md).

use super::Shared;
use crate::api::Contact;
use crate::tfplugin::{
    AttrPath, Attribute, Diagnostic, Diagnostics, Identity, ObjectBuilder, PlanCtx, Resource, Schema, Tri, Type, Value,
    ValueExt,
};
use async_trait::async_trait;
use std::sync::Arc;

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

pub struct ContactResource {
    shared: Arc<Shared>,
}

impl ContactResource {
    pub fn new(shared: Arc<Shared>) -> Arc<Self> {
        Arc::new(ContactResource { shared })
    }
}

fn schema() -> Schema {
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

fn email_ok(s: &str) -> bool {
    s.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
        && !s.contains(char::is_whitespace)
}

fn phone_ok(s: &str) -> bool {
    let d: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    match d.strip_prefix('+') {
        Some(r) => (8..=15).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_digit()),
        None => d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()),
    }
}

fn validate(config: &Value, diags: &mut Diagnostics) {
    let kind = config.tri_str("kind");
    if let Tri::Known(k) = kind
        && k != "notification"
        && k != "invoice"
    {
        diags.attr_error(
            AttrPath::attr("kind"),
            "Invalid kind",
            format!("Expected \"notification\" or \"invoice\"; got {k:?}."),
        );
    }
    let (c, p) = (config.attr("client_id"), config.attr("prefix"));
    if c.is_known() && p.is_known() && c.is_null() == p.is_null() {
        diags.attr_error(AttrPath::attr("client_id"), "Give client_id or prefix", "A contact belongs either to a client (client_id) or to your API-provider integration (prefix), not both or neither.");
    }
    for f in ["email", "invoice_email"] {
        if let Tri::Known(v) = config.tri_str(f)
            && !email_ok(v)
        {
            diags.attr_error(AttrPath::attr(f), "Invalid e-mail address", format!("{v:?} is not an e-mail address."));
        }
    }
    if let Tri::Known(v) = config.tri_str("phone")
        && !phone_ok(v)
    {
        diags.attr_error(
            AttrPath::attr("phone"),
            "Invalid phone number",
            format!("{v:?} is neither E.164 (+4799999999) nor a Norwegian 8-digit number."),
        );
    }
    let need = |f: &str, kind: &str, diags: &mut Diagnostics| {
        if config.attr(f).is_null() {
            diags.attr_error(AttrPath::attr(f), format!("Missing {f}"), format!("A {kind} contact needs {f}."));
        }
    };
    match kind {
        Tri::Known("notification") => {
            need("email", "notification", diags);
            for f in ["invoice_email", "address", "reference"] {
                if !config.attr(f).is_null() {
                    diags.attr_error(
                        AttrPath::attr(f),
                        format!("{f} is for invoice contacts"),
                        "Use a separate contact of kind \"invoice\".",
                    );
                }
            }
        }
        Tri::Known("invoice") => need("invoice_email", "invoice", diags),
        _ => {}
    }
}

fn to_api(v: &Value) -> Contact {
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

fn state_of(c: Contact) -> Value {
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

impl ContactResource {
    async fn server(&self, diags: &mut Diagnostics) -> Option<(&crate::api::ApiClient, &url::Url)> {
        match self.shared.merchant_data().await {
            Ok(Some(s)) => Some(s),
            Ok(None) => {
                self.shared.client(diags);
                None
            }
            Err(d) => {
                diags.push(d);
                None
            }
        }
    }
}

#[async_trait]
impl Resource for ContactResource {
    fn type_name(&self) -> &'static str {
        "maskinporten_contact"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn identity(&self) -> Option<Identity> {
        Some(Identity::new(&[("id", "The contact id.")]))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate(config, diags);
    }

    async fn plan(&self, ctx: &mut PlanCtx<'_>) {
        ctx.set("active", Value::Bool(true));
        // Fail every plan that contains the resource when no server serves the contract.
        if let Err(d) = self.shared.merchant_data().await {
            ctx.diags.push(d);
        }
    }

    async fn create(&self, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let (api, url) = self.server(diags).await?;
        match api.create_contact(url, &to_api(planned)).await {
            Ok(c) => Some(state_of(c)),
            Err(e) => {
                self.shared.push_api(diags, &e, "create the contact", None);
                None
            }
        }
    }

    async fn read(&self, st: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let (api, url) = self.server(diags).await?;
        let id = st.opt_str("id")?;
        match api.get_contact(url, &id).await {
            Ok(c) => c.map(state_of),
            Err(e) => {
                self.shared.push_api(diags, &e, &format!("read contact {id}"), None);
                None
            }
        }
    }

    async fn update(&self, _prior: &Value, planned: &Value, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let (api, url) = self.server(diags).await?;
        let id = planned.opt_str("id")?;
        match api.update_contact(url, &id, &to_api(planned)).await {
            Ok(c) => Some(state_of(c)),
            Err(e) => {
                self.shared.push_api(diags, &e, &format!("update contact {id}"), None);
                None
            }
        }
    }

    async fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        let Some((api, url)) = self.server(diags).await else { return };
        let Some(id) = prior.opt_str("id") else { return };
        let for_client = !prior.attr("client_id").is_null();
        match api.deactivate_contact(url, &id, for_client).await {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => self.shared.push_api(diags, &e, &format!("deactivate contact {id}"), None),
        }
    }

    async fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        let (api, url) = self.server(diags).await?;
        match api.get_contact(url, id).await {
            Ok(Some(c)) => Some(state_of(c)),
            Ok(None) => {
                diags.error("Contact not found", format!("No contact {id:?} is visible to your organisation."));
                None
            }
            Err(e) => {
                self.shared.push_api(diags, &e, &format!("read contact {id}"), None);
                None
            }
        }
    }
}
