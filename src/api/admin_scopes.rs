//! Which admin scopes an operation needs, and which to ask Maskinporten for.
//!
//! Digdir grants each administration client a subset of the admin scopes (an API provider
//! typically `scopes.read` and `scopes.write`, a consumer `dcr.read` and `dcr.write`), and
//! Maskinporten refuses a whole token request that names any scope the client lacks (MP-200
//! `invalid_scope`; docs/development/digdir-api.md, "Admin scopes"). There is no way to ask which
//! scopes were granted. So, unless the configuration names them (`scopes`), the provider learns
//! them as it goes, per process:
//!
//! * every operation states what it [`Need`]s: one scope out of each group, in Digdir's words
//!   ("Krever scope 'a' eller 'b'");
//! * the token asks for the scopes already known to be granted plus **one** more, the first
//!   untried scope of the group the operation needs; so a refusal proves exactly that scope
//!   missing, and the next token still carries everything proven granted;
//! * a check that only adds information to a plan ([`Knowledge::plan`] with `optional`) never
//!   probes after a refusal: it is skipped with a warning instead, so a process pays at most one
//!   refused token request for such checks.
//!
//! With `scopes` configured, exactly those are requested and nothing is probed: an operation
//! whose need they do not meet fails at once, naming the scope to add.

use std::collections::BTreeSet;

pub const SCOPES_READ: &str = "idporten:scopes.read";
pub const SCOPES_WRITE: &str = "idporten:scopes.write";
pub const DCR_READ: &str = "idporten:dcr.read";
pub const DCR_WRITE: &str = "idporten:dcr.write";
pub const DCR_MODIFY: &str = "idporten:dcr.modify";
pub const DCR_SUPPLIER: &str = "idporten:dcr.supplier";

/// What one operation needs: one scope out of each group. Within a group the scopes are listed
/// in the order they are tried, the one most organisations hold first (digdirator's usual set has
/// `scopes.write` without `scopes.read`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need(pub &'static [&'static [&'static str]]);

impl Need {
    /// No token at all (the public catalogue, organisation names, delegation sources).
    pub const NONE: Need = Need(&[]);
    /// `GET /scopes`, `GET /prefix` (scopes.read or scopes.write, per Digdir's descriptions) and
    /// `GET /scopes/access`, `GET /scopes/access/all` (scopes.read in the descriptions; production
    /// also accepts scopes.write, which nais/digdirator relies on every day).
    pub const SCOPES_READ: Need = Need(&[&[SCOPES_WRITE, SCOPES_READ]]);
    /// Creating, changing and deactivating scopes; granting and revoking access.
    pub const SCOPES_WRITE: Need = Need(&[&[SCOPES_WRITE]]);
    /// Every client and key read (dcr.read alone, per Digdir's descriptions).
    pub const CLIENTS_READ: Need = Need(&[&[DCR_READ]]);
    /// Creating, changing and deactivating clients.
    pub const CLIENTS_WRITE: Need = Need(&[&[DCR_WRITE]]);
    /// Writing keys, whole sets or one at a time (dcr.write or dcr.modify).
    pub const KEYS_WRITE: Need = Need(&[&[DCR_WRITE, DCR_MODIFY]]);
    /// Registering a client for another organisation (supplier mode).
    pub const SUPPLIER_WRITE: Need = Need(&[&[DCR_WRITE], &[DCR_SUPPLIER]]);
    /// Reading merchant-data contacts (docs/merchant-data-api.md): either side's scopes.
    pub const CONTACTS_READ: Need = Need(&[&[DCR_READ, SCOPES_WRITE, SCOPES_READ, DCR_WRITE]]);

    pub fn is_none(self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn met_by(self, scopes: &BTreeSet<String>) -> bool {
        self.0.iter().all(|group| group.iter().any(|s| scopes.contains(*s)))
    }
}

/// What to do to call an operation.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// The token held now will do.
    Ready,
    /// Ask for a token with these scopes; `probing` is the one not yet known to be granted.
    Ask { scopes: BTreeSet<String>, probing: Option<String> },
    /// No scope of `group` can be had: refused, left out of `scopes`, or (for a check) not tried
    /// after an earlier refusal (`probed` false).
    Missing { group: &'static [&'static str], probed: bool },
}

/// What this provider process knows about the scopes Digdir granted its administration client.
#[derive(Debug, Default)]
pub struct Knowledge {
    /// `scopes` from the configuration: exactly these are requested, nothing is probed.
    configured: Option<BTreeSet<String>>,
    /// Scopes in a token Maskinporten issued, so granted.
    granted: BTreeSet<String>,
    /// Scopes refused when asked for beside scopes known to be granted, so not granted.
    refused: BTreeSet<String>,
    /// Token requests Maskinporten refused for a scope, in this process.
    pub refusals: u32,
}

impl Knowledge {
    pub fn new(configured: Option<Vec<String>>) -> Knowledge {
        Knowledge { configured: configured.map(|c| c.into_iter().collect()), ..Knowledge::default() }
    }

    pub fn configured(&self) -> Option<&BTreeSet<String>> {
        self.configured.as_ref()
    }

    /// Scopes known to be granted (in a token Maskinporten issued).
    pub fn granted(&self) -> &BTreeSet<String> {
        &self.granted
    }

    /// Scopes known not to be granted.
    pub fn refused(&self) -> &BTreeSet<String> {
        &self.refused
    }

    /// The next step towards a token that meets `need`, given the scopes of the token `held`
    /// now (empty when there is none or it expired). `optional`: the call only adds information
    /// to a plan, and must not cost a refused token request after the first.
    pub fn plan(&self, need: Need, held: &BTreeSet<String>, optional: bool) -> Step {
        if let Some(configured) = &self.configured {
            if let Some(group) = need.0.iter().find(|g| !g.iter().any(|s| configured.contains(*s))) {
                return Step::Missing { group, probed: true };
            }
            return if !held.is_empty() && held == configured {
                Step::Ready
            } else {
                Step::Ask { scopes: configured.clone(), probing: None }
            };
        }
        if !held.is_empty() && need.met_by(held) {
            return Step::Ready;
        }
        let Some(group) = need.0.iter().find(|g| !g.iter().any(|s| self.granted.contains(*s))) else {
            // Everything needed is known to be granted: a fresh token with all of it.
            return Step::Ask { scopes: self.granted.clone(), probing: None };
        };
        let Some(next) = group.iter().find(|s| !self.refused.contains(**s)) else {
            return Step::Missing { group, probed: true };
        };
        if optional && self.refusals > 0 {
            return Step::Missing { group, probed: false };
        }
        let mut scopes = self.granted.clone();
        scopes.insert(next.to_string());
        Step::Ask { scopes, probing: Some(next.to_string()) }
    }

    /// Maskinporten issued a token with `scopes`.
    pub fn issued(&mut self, scopes: &BTreeSet<String>) {
        if self.configured.is_none() {
            self.granted.extend(scopes.iter().cloned());
        }
    }

    /// Maskinporten refused a token request that probed `scope` (beside scopes it granted).
    pub fn refused_probe(&mut self, scope: &str) {
        self.refused.insert(scope.to_string());
        self.refusals += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &[&str]) -> BTreeSet<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    /// Drive `needs` in order against an administration client granted `granted`, as the token
    /// source does; returns (token requests, refused requests, needs that could not be met).
    fn run(granted: &[&str], needs: &[(Need, bool)]) -> (u32, u32, usize) {
        let granted = set(granted);
        let mut k = Knowledge::new(None);
        let (mut asked, mut missing) = (0, 0);
        let mut held = BTreeSet::new();
        for &(need, optional) in needs {
            loop {
                match k.plan(need, &held, optional) {
                    Step::Ready => break,
                    Step::Missing { .. } => {
                        missing += 1;
                        break;
                    }
                    Step::Ask { scopes, probing } => {
                        asked += 1;
                        if scopes.is_subset(&granted) {
                            k.issued(&scopes);
                            held = scopes;
                        } else {
                            k.refused_probe(&probing.expect("only a probe can be refused"));
                        }
                    }
                }
            }
        }
        (asked, k.refusals, missing)
    }

    const PROVIDER_APPLY: &[(Need, bool)] = &[
        (Need::SCOPES_READ, true),
        (Need::SCOPES_READ, false),
        (Need::SCOPES_WRITE, false),
        (Need::SCOPES_WRITE, false),
    ];
    const CONSUMER_APPLY: &[(Need, bool)] = &[
        (Need::SCOPES_READ, true), // the plan-time check of a client's scopes
        (Need::CLIENTS_READ, false),
        (Need::CLIENTS_WRITE, false),
        (Need::KEYS_WRITE, false),
        (Need::SCOPES_READ, true),
    ];

    #[test]
    fn the_usual_grants_cost_no_refusal_beyond_an_optional_probe() {
        // An API provider with both scopes, or scopes.write alone: one token, no refusal.
        assert_eq!(run(&[SCOPES_READ, SCOPES_WRITE], PROVIDER_APPLY), (1, 0, 0));
        assert_eq!(run(&[SCOPES_WRITE], PROVIDER_APPLY), (1, 0, 0));
        // A consumer: the optional check is refused once and then skipped, the rest works.
        assert_eq!(run(&[DCR_READ, DCR_WRITE], CONSUMER_APPLY), (3, 1, 2));
        // digdirator's set: everything works without a refusal.
        assert_eq!(run(&[DCR_READ, DCR_WRITE, SCOPES_WRITE], CONSUMER_APPLY), (3, 0, 0));
        // A read-only provider: one refusal (scopes.write), then reads work; writes cannot.
        assert_eq!(run(&[SCOPES_READ], &[(Need::SCOPES_READ, false), (Need::SCOPES_WRITE, false)]), (2, 1, 1));
    }

    #[test]
    fn a_refusal_proves_one_scope_missing_and_keeps_the_granted_ones() {
        let mut k = Knowledge::new(None);
        k.issued(&set(&[DCR_READ]));
        let Step::Ask { scopes, probing } = k.plan(Need::KEYS_WRITE, &set(&[DCR_READ]), false) else { panic!() };
        assert_eq!((scopes, probing.as_deref()), (set(&[DCR_READ, DCR_WRITE]), Some(DCR_WRITE)));
        k.refused_probe(DCR_WRITE);
        let Step::Ask { scopes, probing } = k.plan(Need::KEYS_WRITE, &set(&[DCR_READ]), false) else { panic!() };
        assert_eq!((scopes, probing.as_deref()), (set(&[DCR_READ, DCR_MODIFY]), Some(DCR_MODIFY)));
        k.refused_probe(DCR_MODIFY);
        assert_eq!(
            k.plan(Need::KEYS_WRITE, &set(&[DCR_READ]), false),
            Step::Missing { group: &[DCR_WRITE, DCR_MODIFY], probed: true }
        );
    }

    #[test]
    fn configured_scopes_are_asked_for_exactly_and_never_probed() {
        let k = Knowledge::new(Some(vec![DCR_READ.into(), DCR_WRITE.into()]));
        assert_eq!(
            k.plan(Need::CLIENTS_READ, &BTreeSet::new(), false),
            Step::Ask { scopes: set(&[DCR_READ, DCR_WRITE]), probing: None }
        );
        assert_eq!(k.plan(Need::CLIENTS_WRITE, &set(&[DCR_READ, DCR_WRITE]), false), Step::Ready);
        assert_eq!(
            k.plan(Need::SCOPES_READ, &set(&[DCR_READ, DCR_WRITE]), true),
            Step::Missing { group: &[SCOPES_WRITE, SCOPES_READ], probed: true }
        );
        assert_eq!(
            k.plan(Need::NONE, &BTreeSet::new(), false),
            Step::Ask { scopes: set(&[DCR_READ, DCR_WRITE]), probing: None }
        );
    }

    #[test]
    fn an_expired_token_is_renewed_with_what_was_granted() {
        let mut k = Knowledge::new(None);
        k.issued(&set(&[SCOPES_WRITE]));
        k.issued(&set(&[SCOPES_WRITE, DCR_READ]));
        assert_eq!(
            k.plan(Need::CLIENTS_READ, &BTreeSet::new(), false),
            Step::Ask { scopes: set(&[SCOPES_WRITE, DCR_READ]), probing: None }
        );
    }
}
