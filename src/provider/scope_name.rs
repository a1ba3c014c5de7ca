//! A scope name, `<prefix>:<subscope>`, read the same way wherever one is accepted: a scope's
//! import id, a grant's scope, a client's scopes, the scope data source. The prefix ends at the
//! first colon; the subscope may hold more (`arbeid:some.scope.read` is a subscope seen in the
//! wild).

use crate::tfplugin::{AttrPath, Diagnostics};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScopeName<'a> {
    pub prefix: &'a str,
    pub subscope: &'a str,
}

impl<'a> ScopeName<'a> {
    /// The parts of `name`, or why it is no scope name.
    pub fn parse(name: &'a str) -> Result<ScopeName<'a>, String> {
        match name.split_once(':') {
            _ if name.contains(char::is_whitespace) => Err(format!("{name:?} contains whitespace")),
            Some((prefix, subscope)) if !prefix.is_empty() && !subscope.is_empty() => {
                Ok(ScopeName { prefix, subscope })
            }
            _ => Err(format!("{name:?} is not a scope name of the form <prefix>:<subscope>")),
        }
    }

    /// [`ScopeName::parse`] as a diagnostic at `path` (for validate).
    pub fn check(name: &str, path: AttrPath, diags: &mut Diagnostics) {
        if let Err(why) = ScopeName::parse(name) {
            diags.attr_error(path, "Invalid scope name", format!("{why}, e.g. demo:orders.read."));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_at_the_first_colon() {
        assert_eq!(
            ScopeName::parse("nav:arbeid:some.scope.read"),
            Ok(ScopeName { prefix: "nav", subscope: "arbeid:some.scope.read" })
        );
        for bad in ["demo", ":orders", "demo:", "demo: orders", ""] {
            assert!(ScopeName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
