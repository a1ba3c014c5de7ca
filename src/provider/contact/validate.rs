//! Static checks of `maskinporten_contact`, safe offline (`terraform validate`).

use crate::tfplugin::{AttrPath, Diagnostics, Tri, Value, ValueExt};

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

pub fn validate(config: &Value, diags: &mut Diagnostics) {
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
