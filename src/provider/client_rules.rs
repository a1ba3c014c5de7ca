//! The rules of `maskinporten_client` beyond field mapping: static validation, the plan-time
//! scope-usability warning (ARCHITECTURE.md, "Rules every resource follows"), and a create that
//! never makes a second client.

use super::{Shared, orgno};
use crate::api::{ApiClient, Client};
use crate::tfplugin::{AttrPath, Diagnostics, PlanCtx, Tri, Value, ValueExt};
use std::collections::BTreeSet;

pub fn validate(shared: &Shared, config: &Value, diags: &mut Diagnostics) {
    for attr in ["access_token_lifetime", "authorization_lifetime"] {
        if let Tri::Known(n) = config.tri_i64(attr)
            && n <= 0
        {
            diags.attr_error(
                AttrPath::attr(attr),
                format!("Invalid {attr}"),
                "Must be greater than 0 seconds; Digdir refuses 0 since 2025. Leave it out for Digdir's default.",
            );
        }
    }
    if let Tri::Known(scopes) = config.tri_strs("scopes") {
        if scopes.is_empty() {
            diags.attr_error(
                AttrPath::attr("scopes"),
                "No scopes",
                "A Maskinporten client needs at least one scope; Digdir refuses clients without.",
            );
        }
        for s in scopes.into_iter().flatten() {
            if !s.split_once(':').is_some_and(|(p, r)| !p.is_empty() && !r.is_empty())
                || s.contains(char::is_whitespace)
            {
                diags.attr_error(
                    AttrPath::attr("scopes").key(s.clone()),
                    "Invalid scope name",
                    format!("{s:?} is not a scope name of the form <prefix>:<subscope>."),
                );
            }
        }
    }
    for attr in ["client_name", "description"] {
        if let Tri::Known("") = config.tri_str(attr) {
            diags.attr_error(AttrPath::attr(attr), format!("Empty {attr}"), "Digdir requires a non-empty value.");
        }
    }
    if let Tri::Known(o) = config.tri_str("client_orgno") {
        orgno::check(o, AttrPath::attr("client_orgno"), shared.is_test_env(), diags);
    }
}

/// A plan-time *warning* (apply gives the authoritative answer) for scopes the organisation does
/// not seem able to use. Skipped for supplier clients (their customer's grants are not visible
/// to us) and delegation-source scopes. A grant made in this same apply by the API provider's
/// configuration cannot be seen from here; the warning says so. Without an admin scope that reads
/// scopes (a consumer with dcr.* only), scopes not in the public catalogue are reported unchecked.
pub async fn warn_unusable_scopes(shared: &Shared, client: &ApiClient, ctx: &mut PlanCtx<'_>) {
    if !ctx.config.attr("client_orgno").is_null() {
        return;
    }
    let Tri::Known(scopes) = ctx.config.tri_strs("scopes") else { return };
    let sets = match shared.usable_scopes(client).await {
        Ok(u) => u,
        Err(e) => return shared.unchecked(&mut ctx.diags, &e, "check which scopes your organisation may use", None),
    };
    let mut unchecked = vec![];
    for s in scopes.into_iter().flatten() {
        if sets.open.contains(&s) || sets.delegated.contains(&s) {
            continue;
        }
        match &sets.private {
            Ok(ours) if ours.contains(&s) => {}
            Ok(_) => ctx.diags.push(
                crate::tfplugin::Diagnostic::warning(
                    format!("Scope {s} may not be usable by your organisation"),
                    format!("Your organisation has no approved grant for {s}, does not own it, and it is not accessible to all. Digdir will refuse the client unless the API provider grants access first. If the grant is made in this same apply (for example by another provider configuration), ignore this warning."),
                )
                .at(AttrPath::attr("scopes").key(s.clone())),
            ),
            Err(_) => unchecked.push(s),
        }
    }
    if let (false, Err(e)) = (unchecked.is_empty(), &sets.private) {
        let what = format!("check whether your organisation may use {}", unchecked.join(", "));
        let consequence = "Whether these scopes were granted to your organisation is read from its scopes and received grants (GET /scopes, GET /scopes/access/all), which need idporten:scopes.read or idporten:scopes.write. The plan goes on without this check; Digdir checks it when the client is created or changed.";
        shared.warn_api(&mut ctx.diags, e, &what, consequence);
    }
}

fn same_request(c: &Client, sent: &Client) -> bool {
    let set = |v: &Option<Vec<String>>| v.clone().unwrap_or_default().into_iter().collect::<BTreeSet<_>>();
    c.client_name == sent.client_name
        && c.description == sent.description
        && c.integration_type == sent.integration_type
        && set(&c.scopes) == set(&sent.scopes)
}

/// What the client list says about a create whose answer was lost.
enum Outcome {
    Created(Box<Client>),
    Nothing,
    Several(Vec<String>),
}

/// POST a client. When the answer is lost (transport error after sending, timeout, 5xx), the client
/// list is read and compared with a snapshot taken before: exactly one new client matching what was
/// sent is adopted; several fail the create, listing them with the import command; none, seen for
/// the whole reconcile window, means nothing was made, and only then is the POST sent again
/// (ARCHITECTURE.md, "Rules every resource follows": reconciled, never blind). Every attempt is
/// compared with the same snapshot, so a first attempt that shows up late beside a second one is
/// reported, not kept.
pub async fn create(shared: &Shared, client: &ApiClient, body: &Client, diags: &mut Diagnostics) -> Option<Client> {
    let before: BTreeSet<String> = match shared.clients_before_create(client, body).await {
        Ok(ids) => ids,
        Err(e) => {
            shared.push_api(diags, &e, "list clients before creating one", None);
            return None;
        }
    };
    let name = body.client_name.clone().unwrap_or_default();
    let mut attempt = 1;
    loop {
        let created = client.create_client(body).await;
        shared.clients_changed();
        let err = match created {
            Ok(c) => {
                if let Some(id) = &c.client_id {
                    shared.client_created(id).await;
                }
                return Some(c);
            }
            Err(e) => e,
        };
        if !err.may_have_committed() {
            match &body.client_orgno {
                Some(c) => shared.push_supplier_api(diags, &err, &format!("create client {name} for customer {c}")),
                None => shared.push_api(diags, &err, &format!("create client {name}"), None),
            }
            return None;
        }
        match reconcile(client, body, &before).await {
            Ok(Outcome::Created(c)) => {
                if let Some(id) = &c.client_id {
                    shared.client_created(id).await;
                }
                return Some(*c);
            }
            Ok(Outcome::Nothing) if attempt < super::CREATE_ATTEMPTS && !client.is_stopped() => {
                tracing::warn!(client_name = %name, attempt, error = %err, "the create made no client; sending it again");
                attempt += 1;
            }
            Ok(Outcome::Nothing) => {
                let what = format!(
                    "create client {name} (no client was created, in {attempt} attempts; it is safe to apply again)"
                );
                shared.push_api(diags, &err, &what, None);
                return None;
            }
            Ok(Outcome::Several(ids)) => {
                let ids: Vec<String> = ids.iter().map(|id| format!("  terraform import <address> {id}")).collect();
                diags.error(
                    format!("Creating client {name} had an uncertain outcome"),
                    format!("The answer to the create request was lost ({err}), and several new clients match it. Import the right one and deactivate the others:\n{}", ids.join("\n")),
                );
                return None;
            }
            Err(e) => {
                let what = format!("create client {name} (and the client list could not be read to check: {e})");
                shared.push_api(diags, &err, &what, None);
                return None;
            }
        }
    }
}

/// Read the client list until it shows a new client matching `body`, or for the whole reconcile
/// window: the list may lag behind the write (ARCHITECTURE.md, "Reliability"), so "nothing new" is
/// believed only after it has said so for a while.
async fn reconcile(
    client: &ApiClient,
    body: &Client,
    before: &BTreeSet<String>,
) -> Result<Outcome, crate::api::ApiError> {
    let new_matching = || async {
        let list = client.list_clients(false).await?;
        let new = list.into_iter().filter(|c| same_request(c, body));
        Ok(new.filter(|c| c.client_id.as_ref().is_some_and(|id| !before.contains(id))).collect::<Vec<Client>>())
    };
    let mut new = super::reads::settle(new_matching, Vec::is_empty).await?;
    Ok(match new.len() {
        0 => Outcome::Nothing,
        1 => Outcome::Created(Box::new(new.remove(0))),
        _ => Outcome::Several(new.into_iter().filter_map(|c| c.client_id).collect()),
    })
}
