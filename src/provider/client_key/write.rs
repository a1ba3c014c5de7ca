//! Writing keys under the key rules of ARCHITECTURE.md, "Rules every resource follows": the 5-key
//! limit named, a kid that is never silently re-pointed, a lost write adopted only when Digdir
//! shows the key. Keys are written one at a time with Digdir's per-key operations, so a key
//! that another state, a colleague in Samarbeidsportalen or another tool added meanwhile is never
//! dropped. Where Digdir answers them 404 or 405, the process falls back to whole-set writes that
//! re-send the other keys, with a read-back proving none vanished.

use super::model::{exp_of, same_expiry, state};
use crate::api::{ApiClient, Jwk};
use crate::provider::Shared;
use crate::provider::keys::{self, PublicKey};
use crate::tfplugin::{AttrPath, Diagnostics, Value, ValueExt};

/// Maskinporten's limit of keys per client ("inntil 5"; docs/development/digdir-api.md, "Keys").
pub const MAX_KEYS: usize = 5;

fn to_jwk(kid: &str, alg: &str, k: &PublicKey, expires_at: Option<&str>) -> Jwk {
    Jwk {
        kty: "RSA".into(),
        kid: Some(kid.into()),
        key_use: Some("sig".into()),
        alg: Some(alg.into()),
        n: Some(k.n_b64()),
        e: Some(k.e_b64()),
        x5c: k.x5c.clone().map(|c| vec![c]),
        exp: expires_at.and_then(exp_of),
        ..Default::default()
    }
}

/// The state of a key just written: Digdir's, with the expiry written as the plan wrote it when
/// it is the same instant.
fn written(client_id: &str, stored: &Jwk, planned: &Value) -> Value {
    let mut st = state(client_id, stored);
    let expiry = same_expiry(planned.opt_str("expires_at"), st.opt_str("expires_at"));
    st.set_attr("expires_at", expiry.map_or(Value::Null, Value::String));
    st
}

fn kids(list: &[Jwk]) -> Vec<String> {
    list.iter().filter_map(|k| k.kid.clone()).collect()
}

/// A per-key operation Digdir does not serve here: the route is missing (404 without the API's
/// error body, or 405). A 404 *with* Digdir's body is about the client or key, not the route.
fn per_key_missing(e: &crate::api::ApiError) -> bool {
    match e {
        crate::api::ApiError::Http { status: 405, .. } => true,
        crate::api::ApiError::Http { status: 404, body, .. } => {
            let said = |b: &crate::api::ApiErrorResponse| {
                [&b.error, &b.error_description].iter().any(|t| t.as_deref() == Some("Not Found"))
            };
            body.as_ref().is_none_or(|b| b.correlation_id.is_none() || said(b))
        }
        _ => false,
    }
}

/// Add one key: `PUT /clients/{id}/jwks/{kid}`, or, where Digdir lacks it, the whole set with the
/// others re-sent and read back to prove every key is there.
pub async fn add(
    shared: &Shared,
    api: &ApiClient,
    planned: &Value,
    key: &PublicKey,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let (client_id, kid) = (planned.opt_str("client_id")?, planned.opt_str("kid")?);
    let alg = planned.opt_str("alg").unwrap_or_else(|| "RS256".into());
    let _guard = shared.writes.key_lock(&client_id).await;
    let what = format!("add key {kid} to client {client_id}");
    let current = shared.api.ok(shared.writes.key_base(api, &client_id).await, diags, &what)?;
    if let Some(existing) = current.iter().find(|k| k.kid.as_deref() == Some(kid.as_str())) {
        if existing.n.as_deref() == Some(key.n_b64().as_str()) {
            return Some(written(&client_id, existing, planned));
        }
        diags.attr_error(
            AttrPath::attr("kid"),
            format!("kid {kid} is already used on client {client_id}"),
            "It names a different key there. Choose another kid, or import the existing key.",
        );
        return None;
    }
    if current.len() >= MAX_KEYS {
        diags.error(
            format!("Client {client_id} already has {MAX_KEYS} keys"),
            format!("Maskinporten allows at most {MAX_KEYS} keys per client, and it has {} ({}). Remove a key first (apply the removal of an old maskinporten_client_key), then add this one.", current.len(), kids(&current).join(", ")),
        );
        return None;
    }
    let jwk = to_jwk(&kid, &alg, key, planned.opt_str("expires_at").as_deref());
    let mut next = current.clone();
    next.push(jwk.clone());
    if shared.writes.per_key_ops() {
        match api.put_key(&client_id, &jwk).await {
            Ok(stored) => {
                let stored = stored.filter(|k| k.kid.as_deref() == Some(kid.as_str())).unwrap_or(jwk);
                let mut after = current.clone();
                after.push(stored.clone());
                shared.keys_written(&client_id, after);
                return Some(written(&client_id, &stored, planned));
            }
            Err(e) if per_key_missing(&e) => shared.writes.per_key_unavailable(&e),
            Err(e) => {
                return adopt_after_lost_write(shared, api, (&client_id, &kid, planned), key, e, &what, diags).await;
            }
        }
    }
    // The answer to the POST is the set as Digdir stored it (with `exp`); a GET right after it
    // may still show the old set while Digdir's read side catches up.
    let after = match api.replace_jwks(&client_id, &next).await {
        Ok(a) if !a.is_empty() => a,
        Ok(_) => next.clone(),
        Err(e) => return adopt_after_lost_write(shared, api, (&client_id, &kid, planned), key, e, &what, diags).await,
    };
    shared.keys_written(&client_id, after.clone());
    let missing: Vec<String> = kids(&next).into_iter().filter(|k| !kids(&after).contains(k)).collect();
    if !missing.is_empty() {
        diags.error(
            format!("Keys vanished from client {client_id}"),
            format!(
                "After adding {kid}, Digdir no longer lists: {}. Check the client in Samarbeidsportalen.",
                missing.join(", ")
            ),
        );
    }
    let mine = after.iter().find(|k| k.kid.as_deref() == Some(kid.as_str()))?;
    Some(written(&client_id, mine, planned))
}

/// A key write failed. When its answer was lost after the retries, the key may have been stored:
/// adopt it only when Digdir shows it, so the state never claims a key that is not there.
async fn adopt_after_lost_write(
    shared: &Shared,
    api: &ApiClient,
    (client_id, kid, planned): (&str, &str, &Value),
    key: &PublicKey,
    e: crate::api::ApiError,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    shared.reads.jwks_changed(client_id);
    if e.may_have_committed()
        && let Ok(now) = api.get_jwks(client_id).await
        && let Some(found) = now.iter().find(|k| k.kid.as_deref() == Some(kid))
        && found.n.as_deref() == Some(key.n_b64().as_str())
    {
        shared.keys_written(client_id, now.clone());
        return Some(written(client_id, found, planned));
    }
    shared.api.report(diags, &e, what, None);
    None
}

/// Remove one key — only if its kid still names our key: `DELETE /clients/{id}/jwks/{kid}`, or,
/// where Digdir lacks it, the whole set without it.
pub async fn remove(shared: &Shared, api: &ApiClient, prior: &Value, diags: &mut Diagnostics) {
    let (Some(client_id), Some(kid)) = (prior.opt_str("client_id"), prior.opt_str("kid")) else { return };
    let _guard = shared.writes.key_lock(&client_id).await;
    let what = format!("remove key {kid} from client {client_id}");
    let current = match shared.writes.key_base(api, &client_id).await {
        Ok(c) => c,
        Err(e) if e.is_not_found() => return,
        Err(e) => return shared.api.report(diags, &e, &what, None),
    };
    let Some(mine) = current.iter().find(|k| k.kid.as_deref() == Some(kid.as_str())) else { return };
    let theirs = keys::thumbprint_of(mine.n.as_deref().unwrap_or(""), mine.e.as_deref().unwrap_or(""));
    if prior.opt_str("thumbprint").is_some_and(|t| t != theirs) {
        diags.warning(
            format!("Key {kid} was not removed"),
            "The kid now names a different key than the one Terraform registered, so it was left in place.",
        );
        return;
    }
    let rest: Vec<Jwk> = current.iter().filter(|k| k.kid.as_deref() != Some(kid.as_str())).cloned().collect();
    let last_key_warning = |diags: &mut Diagnostics| {
        diags.warning(format!("Client {client_id} has no keys left"), "Without registered keys the client authenticates with its enterprise certificate (x5c) again; grants naming a kid stop working.");
    };
    if shared.writes.per_key_ops() {
        match api.delete_key(&client_id, &kid).await {
            Ok(()) => {
                shared.keys_written(&client_id, rest.clone());
                if rest.is_empty() {
                    last_key_warning(diags);
                }
                return;
            }
            // A 404 says the route is missing or the key is gone already: the set tells which.
            Err(e) if per_key_missing(&e) || e.is_not_found() => match api.get_jwks(&client_id).await {
                Ok(now) if !now.iter().any(|k| k.kid.as_deref() == Some(kid.as_str())) => {
                    shared.keys_written(&client_id, now);
                    return;
                }
                Ok(_) => shared.writes.per_key_unavailable(&e),
                Err(read) => return shared.api.report(diags, &read, &what, None),
            },
            Err(e) => {
                shared.reads.jwks_changed(&client_id);
                return shared.api.report(diags, &e, &what, None);
            }
        }
    }
    // An empty set cannot be POSTed; DELETE removes the last key (docs/development/digdir-api.md,
    // "Keys").
    let result = if rest.is_empty() {
        api.delete_jwks(&client_id).await.map(|()| vec![])
    } else {
        api.replace_jwks(&client_id, &rest).await
    };
    let after = match result {
        Ok(after) => after,
        Err(e) => {
            shared.reads.jwks_changed(&client_id);
            return shared.api.report(diags, &e, &what, None);
        }
    };
    shared.keys_written(&client_id, if after.is_empty() { rest.clone() } else { after.clone() });
    if rest.is_empty() {
        return last_key_warning(diags);
    }
    let missing: Vec<String> =
        kids(&rest).into_iter().filter(|k| !after.is_empty() && !kids(&after).contains(k)).collect();
    if !missing.is_empty() {
        diags.error(
            format!("Keys vanished from client {client_id}"),
            format!("After removing {kid}, Digdir no longer lists: {}.", missing.join(", ")),
        );
    }
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
