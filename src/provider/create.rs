//! One reconciled create for every resource whose POST is not idempotent (ARCHITECTURE.md, "Rules
//! every resource follows": creates are reconciled, never blind).
//!
//! Send the create. When the answer may have been lost — the connection dropped after sending, a
//! timeout, a 5xx — nothing is known: read until the object is proven made (adopt it) or not made
//! (send again, at most [`CREATE_ATTEMPTS`] times in all, never after StopProvider), and explain
//! every other outcome with what to import. A resource says only what its create sends, how to
//! find what a lost create made, and what a conflict means ([`Creation`]).

use super::Shared;
use crate::api::ApiError;
use crate::tfplugin::Diagnostics;
use async_trait::async_trait;

/// How often a create is sent in all. It is sent again only after reading has shown, for a whole
/// [`super::shared::RECONCILE_WINDOW`], that the previous attempt made nothing, and never after
/// StopProvider.
pub const CREATE_ATTEMPTS: u32 = 3;

/// What reading says about a create whose answer was lost.
#[derive(Clone)]
pub enum Found<T> {
    /// Exactly one object that the lost create made: ours.
    Ours(T),
    /// Nothing was made, for the whole reconcile window: sending again is safe.
    Nothing,
    /// An object with our unique name exists but is not what we sent: handled like the
    /// conflict answer ([`Creation::conflict`]).
    Conflict,
    /// No single object can be called ours; the text says what was found and what to import.
    Unclear(String),
}

/// What a list of objects that are new since the create and match what it sent says, for
/// objects without a unique name (clients, contacts): one is ours, none is nothing, several are
/// named with the import command. `kind` names them in the plural ("clients").
pub fn one_new<T>(mut new: Vec<T>, id: impl Fn(&T) -> Option<String>, kind: &str) -> Found<T> {
    match new.len() {
        0 => Found::Nothing,
        1 => Found::Ours(new.remove(0)),
        _ => {
            let ids: Vec<String> =
                new.iter().filter_map(&id).map(|id| format!("  terraform import <address> {id}")).collect();
            Found::Unclear(format!(
                "several new {kind} match it. Import the right one and deactivate the others:\n{}",
                ids.join("\n")
            ))
        }
    }
}

/// One resource's create, as [`reconciled`] needs it.
#[async_trait]
pub trait Creation: Send + Sync {
    type Made: Send;
    /// The operation in the user's words: "create scope demo:orders.read".
    fn what(&self) -> String;
    /// Send the create once.
    async fn send(&self) -> Result<Self::Made, ApiError>;
    /// After a lost answer: what the create made, read until the read side has caught up.
    async fn find(&self) -> Result<Found<Self::Made>, ApiError>;
    /// Whether Digdir refused the create because the object exists (for scopes, 409).
    fn is_conflict(&self, _err: &ApiError) -> bool {
        false
    }
    /// The object exists already: adopt it where that is safe, or explain. Only for resources
    /// whose [`Creation::is_conflict`] can be true.
    async fn conflict(&self, _diags: &mut Diagnostics) -> Option<Self::Made> {
        None
    }
    /// Report a failed create (supplier registrations are explained differently).
    fn report(&self, shared: &Shared, diags: &mut Diagnostics, err: &ApiError, what: &str) {
        shared.api.report(diags, err, what, None);
    }
}

/// Create through `c`, reconciling a lost answer (see the module documentation).
pub async fn reconciled<C: Creation>(shared: &Shared, c: &C, diags: &mut Diagnostics) -> Option<C::Made> {
    let what = c.what();
    let stopped = || shared.api.stop.is_cancelled();
    let mut attempt = 1;
    loop {
        let err = match c.send().await {
            Ok(made) => return Some(made),
            Err(e) => e,
        };
        if c.is_conflict(&err) {
            // A conflict on a repeat is the earlier attempt landing late: ours when it reads so.
            if attempt > 1
                && let Ok(Found::Ours(made)) = c.find().await
            {
                return Some(made);
            }
            return c.conflict(diags).await;
        }
        if !err.may_have_committed() {
            c.report(shared, diags, &err, &what);
            return None;
        }
        match c.find().await {
            Ok(Found::Ours(made)) => return Some(made),
            Ok(Found::Conflict) => return c.conflict(diags).await,
            Ok(Found::Nothing) if attempt < CREATE_ATTEMPTS && !stopped() => {
                tracing::warn!(what = %what, attempt, error = %err, "the create made nothing; sending it again");
                attempt += 1;
            }
            Ok(Found::Nothing) => {
                let attempts = if attempt == 1 { "1 attempt".to_string() } else { format!("{attempt} attempts") };
                let what = format!("{what} (nothing was created, in {attempts}: applying again is safe)");
                c.report(shared, diags, &err, &what);
                return None;
            }
            Ok(Found::Unclear(found)) => {
                let mut first = what.chars();
                let what = first.next().map(|f| f.to_uppercase().chain(first).collect::<String>()).unwrap_or_default();
                diags.error(
                    format!("{what}: uncertain outcome"),
                    format!("The answer to the create request was lost ({err}), and {found}"),
                );
                return None;
            }
            Err(read) => {
                let what = format!(
                    "{what} (and whether it was created could not be read: {read}; `terraform plan` will show it)"
                );
                c.report(shared, diags, &err, &what);
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The reconciled create's outcomes, with a scripted create: what is sent how often, and what
    //! the user is told. The resources' own `find` is tested end to end (tests/terraform/reconcile.rs).
    use super::*;
    use crate::tfplugin::diag::Severity;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};
    use tokio_util::sync::CancellationToken;

    /// Every send's answer is lost, or from send `conflict_from` on (1-based; 0: never) refused
    /// as a conflict (409); `find` answers from `found`, one per call (the last repeats); a
    /// conflict is settled as "theirs".
    struct Scripted {
        sends: AtomicU32,
        finds: AtomicU32,
        conflict_from: u32,
        found: Mutex<Vec<Found<&'static str>>>,
    }

    impl Scripted {
        fn new(found: Vec<Found<&'static str>>) -> Self {
            Scripted { sends: AtomicU32::new(0), finds: AtomicU32::new(0), conflict_from: 0, found: Mutex::new(found) }
        }
    }

    fn conflict() -> ApiError {
        ApiError::http_for_test("POST", "/scopes", 409, None, None)
    }

    fn lost() -> ApiError {
        ApiError::Transport {
            method: "POST".into(),
            path: "/clients".into(),
            message: "connection closed before the answer".into(),
            maybe_committed: true,
            tls_refused: false,
        }
    }

    #[async_trait]
    impl Creation for Scripted {
        type Made = &'static str;
        fn what(&self) -> String {
            "create client orders".into()
        }
        async fn send(&self) -> Result<&'static str, ApiError> {
            let n = 1 + self.sends.fetch_add(1, Ordering::SeqCst);
            Err(if self.conflict_from != 0 && n >= self.conflict_from { conflict() } else { lost() })
        }
        async fn find(&self) -> Result<Found<&'static str>, ApiError> {
            self.finds.fetch_add(1, Ordering::SeqCst);
            let mut found = self.found.lock().unwrap();
            let next = if found.len() > 1 { found.remove(0) } else { found[0].clone() };
            Ok(next)
        }
        fn is_conflict(&self, err: &ApiError) -> bool {
            err.status() == Some(409)
        }
        async fn conflict(&self, _diags: &mut Diagnostics) -> Option<&'static str> {
            Some("theirs")
        }
    }

    async fn run(c: &Scripted, stop: bool) -> (Option<&'static str>, Diagnostics) {
        let token = CancellationToken::new();
        if stop {
            token.cancel();
        }
        let shared = Shared::new(token);
        let mut diags = Diagnostics::default();
        let made = reconciled(&shared, c, &mut diags).await;
        (made, diags)
    }

    fn errors(d: &Diagnostics) -> String {
        d.iter().filter(|d| d.severity == Severity::Error).map(|d| format!("{}: {}", d.summary, d.detail)).collect()
    }

    #[tokio::test]
    async fn a_lost_answer_whose_object_is_found_is_adopted_and_not_sent_again() {
        let c = Scripted::new(vec![Found::Ours("id-1")]);
        let (made, diags) = run(&c, false).await;
        assert_eq!(made, Some("id-1"));
        assert!(diags.is_empty());
        assert_eq!(c.sends.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_create_that_made_nothing_is_sent_again_up_to_the_attempts_then_said_so() {
        let c = Scripted::new(vec![Found::Nothing]);
        let (made, diags) = run(&c, false).await;
        assert_eq!(made, None);
        assert_eq!(c.sends.load(Ordering::SeqCst), CREATE_ATTEMPTS);
        let text = errors(&diags);
        assert!(
            text.contains(&format!("nothing was created, in {CREATE_ATTEMPTS} attempts: applying again is safe")),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_second_attempt_that_lands_is_adopted() {
        let c = Scripted::new(vec![Found::Nothing, Found::Ours("id-2")]);
        assert_eq!(run(&c, false).await.0, Some("id-2"));
        assert_eq!(c.sends.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn after_stop_provider_a_create_is_never_sent_again() {
        let c = Scripted::new(vec![Found::Nothing]);
        let (made, diags) = run(&c, true).await;
        assert_eq!((made, c.sends.load(Ordering::SeqCst)), (None, 1), "sent once, not again after Ctrl-C");
        assert!(errors(&diags).contains("nothing was created, in 1 attempt:"), "{}", errors(&diags));
    }

    #[tokio::test]
    async fn several_new_matching_objects_fail_the_create_with_every_import_command() {
        let found = one_new(vec!["id-a", "id-b"], |s| Some(s.to_string()), "clients");
        let c = Scripted::new(vec![found]);
        let (made, diags) = run(&c, false).await;
        assert_eq!((made, c.sends.load(Ordering::SeqCst)), (None, 1), "nothing adopted, nothing re-sent");
        let text = errors(&diags);
        assert!(text.starts_with("Create client orders: uncertain outcome"), "{text}");
        for id in ["id-a", "id-b"] {
            assert!(text.contains(&format!("terraform import <address> {id}")), "{text}");
        }
    }

    #[test]
    fn one_new_object_is_ours_and_none_is_nothing() {
        assert!(matches!(one_new(vec!["x"], |s| Some(s.to_string()), "clients"), Found::Ours("x")));
        assert!(matches!(one_new(Vec::<&str>::new(), |s| Some(s.to_string()), "clients"), Found::Nothing));
    }

    #[tokio::test]
    async fn a_conflict_on_the_first_send_is_settled_by_the_resource_without_reading() {
        let c = Scripted { conflict_from: 1, ..Scripted::new(vec![Found::Ours("never")]) };
        assert_eq!(run(&c, false).await.0, Some("theirs"));
        assert_eq!((c.sends.load(Ordering::SeqCst), c.finds.load(Ordering::SeqCst)), (1, 0));
    }

    /// A repeat refused as a conflict is the earlier attempt landing late: ours when it reads so,
    /// and settled by the resource when it does not.
    #[tokio::test]
    async fn a_conflict_on_a_repeat_is_the_earlier_attempt_landing_late() {
        let c = Scripted { conflict_from: 2, ..Scripted::new(vec![Found::Nothing, Found::Ours("late")]) };
        assert_eq!(run(&c, false).await.0, Some("late"));
        assert_eq!((c.sends.load(Ordering::SeqCst), c.finds.load(Ordering::SeqCst)), (2, 2));
        let c = Scripted { conflict_from: 2, ..Scripted::new(vec![Found::Nothing]) };
        assert_eq!(run(&c, false).await.0, Some("theirs"));
        let c = Scripted::new(vec![Found::Conflict]);
        assert_eq!(run(&c, false).await.0, Some("theirs"), "found: an object with our name that is not ours");
        assert_eq!(c.sends.load(Ordering::SeqCst), 1);
    }
}
