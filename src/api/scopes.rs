//! Scope endpoints (docs/development/digdir-api.md, "Scopes" and "Grants"; the sections cited below
//! by heading alone are headings of that page). Scope names travel in the query string, because
//! they may contain `/`.

use super::admin_scopes::Need;
use super::client::{ApiClient, Request};
use super::error::ApiError;
use super::types::{Organization, Scope, ScopeAccess, ScopePrefix};

/// An organisation number as a path segment: exactly nine digits, checked before any path is
/// built ("Grants": `..` would turn a grant revocation into `DELETE /scopes`).
pub fn orgno_segment(orgno: &str) -> Result<&str, ApiError> {
    if orgno.len() == 9 && orgno.bytes().all(|b| b.is_ascii_digit()) {
        Ok(orgno)
    } else {
        Err(ApiError::Config(format!("{orgno:?} is not an organisation number (nine digits)")))
    }
}

/// Fields the server owns; sending them back on PUT is at best ignored ("Clients": the docs remove
/// them).
fn strip_server_fields(s: &mut Scope) {
    s.created = None;
    s.last_updated = None;
    s.owner_orgno = None;
}

impl ApiClient {
    pub async fn list_scopes(&self, inactive: bool) -> Result<Vec<Scope>, ApiError> {
        self.list(Request::get("/scopes", Need::SCOPES_READ).query("inactive", inactive.to_string())).await
    }

    /// One scope of ours, active or deactivated; `None` when Digdir does not list it. Read from
    /// `GET /scopes?inactive=true`, which Digdir's descriptions open to scopes.read *or*
    /// scopes.write (as Digdir's own web client reads it), rather than `GET /scopes/scope`, which
    /// needs scopes.read alone and may hide deactivated scopes
    /// ("How the provider asks for admin scopes" [U]).
    pub async fn get_scope(&self, name: &str) -> Result<Option<Scope>, ApiError> {
        Ok(self.list_scopes(true).await?.into_iter().find(|s| s.name.as_deref() == Some(name)))
    }

    pub async fn create_scope(&self, scope: &Scope) -> Result<Scope, ApiError> {
        let body = serde_json::to_value(scope).unwrap_or_default();
        self.fetch(Request::post("/scopes", Need::SCOPES_WRITE).json(body)).await
    }

    /// Full replace. `active` must be set: a PUT without it may deactivate ("Scopes").
    pub async fn update_scope(&self, name: &str, scope: &Scope) -> Result<Scope, ApiError> {
        let mut scope = scope.clone();
        scope.active = Some(scope.active.unwrap_or(true));
        strip_server_fields(&mut scope);
        let body = serde_json::to_value(&scope).unwrap_or_default();
        self.fetch(Request::put("/scopes", Need::SCOPES_WRITE).query("scope", name).json(body)).await
    }

    /// GET → change → PUT, keeping every field the change does not touch (also unknown ones).
    pub async fn merge_update_scope(&self, name: &str, change: impl FnOnce(&mut Scope)) -> Result<Scope, ApiError> {
        let mut current = self
            .get_scope(name)
            .await?
            .ok_or_else(|| ApiError::not_found("GET", "/scopes", format!("scope {name}")))?;
        change(&mut current);
        self.update_scope(name, &current).await
    }

    /// Deactivate (Digdir's DELETE; it never deletes a scope).
    pub async fn deactivate_scope(&self, name: &str) -> Result<(), ApiError> {
        self.send(Request::delete("/scopes", Need::SCOPES_WRITE).query("scope", name)).await
    }

    pub async fn list_prefixes(&self) -> Result<Vec<ScopePrefix>, ApiError> {
        self.list(Request::get("/prefix", Need::SCOPES_READ)).await
    }

    /// Grants made by us on one scope.
    pub async fn list_accesses(&self, scope: &str, inactive: bool) -> Result<Vec<ScopeAccess>, ApiError> {
        let req = Request::get("/scopes/access", Need::SCOPES_READ);
        self.list(req.query("scope", scope).query("inactive", inactive.to_string())).await
    }

    /// Grants made *to* us (the consumer view), including REQUESTED ones.
    pub async fn list_received_accesses(&self) -> Result<Vec<ScopeAccess>, ApiError> {
        self.list(Request::get("/scopes/access/all", Need::SCOPES_READ)).await
    }

    pub async fn grant_access(&self, scope: &str, consumer_orgno: &str) -> Result<ScopeAccess, ApiError> {
        let path = format!("/scopes/access/{}", orgno_segment(consumer_orgno)?);
        self.fetch(Request::put(&path, Need::SCOPES_WRITE).query("scope", scope)).await
    }

    pub async fn revoke_access(&self, scope: &str, consumer_orgno: &str) -> Result<(), ApiError> {
        let path = format!("/scopes/access/{}", orgno_segment(consumer_orgno)?);
        self.send(Request::delete(&path, Need::SCOPES_WRITE).query("scope", scope)).await
    }

    /// The public catalogue (`/scopes/all`), optionally filtered.
    pub async fn list_all_scopes(&self, filters: &[(&str, String)]) -> Result<Vec<Scope>, ApiError> {
        let mut req = Request::get("/scopes/all", Need::NONE);
        for (k, v) in filters {
            req = req.query(k, v.clone());
        }
        self.list(req).await
    }

    pub async fn list_delegation_sources(&self) -> Result<Vec<super::types::DelegationSource>, ApiError> {
        self.list(Request::get("/delegationsources", Need::NONE)).await
    }

    pub async fn get_organization(&self, orgno: &str) -> Result<Option<Organization>, ApiError> {
        let path = format!("/organizations/{}", orgno_segment(orgno)?);
        self.lookup(Request::get(&path, Need::NONE)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orgno_segments_are_nine_digits() {
        assert!(orgno_segment("991825827").is_ok());
        for bad in ["..", "99182582", "9918258270", "99182582a", "../scopes"] {
            assert!(orgno_segment(bad).is_err(), "{bad}");
        }
    }
}
