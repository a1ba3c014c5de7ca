//! Organisation numbers (Brønnøysund): nine digits whose last is a mod-11 check digit with weights
//! 3 2 7 6 5 4 3 2. Checked before any path is built. Digdir's TEST environment uses synthetic
//! organisations whose numbers may fail the check, so there a failed check is a warning; in
//! production (or with no environment set) it is an error (ARCHITECTURE.md,
//! "Rules every resource follows").

use crate::tfplugin::{AttrPath, Diagnostic, Diagnostics};

pub fn mod11_valid(o: &str) -> bool {
    if o.len() != 9 || !o.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let d: Vec<u32> = o.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = [3, 2, 7, 6, 5, 4, 3, 2].iter().zip(&d).map(|(w, x)| w * x).sum();
    match 11 - sum % 11 {
        11 => d[8] == 0,
        10 => false,
        c => d[8] == c,
    }
}

/// The organisation number made of the eight digits of `base` and their check digit, if they have
/// one (a remainder of 10 leaves none): for generating valid numbers in tests and benchmarks.
pub fn with_check_digit(base: u32) -> Option<String> {
    (0..10).map(|c| format!("{base:08}{c}")).find(|o| mod11_valid(o))
}

/// Check one organisation number at `path`. `test_env` relaxes the mod-11 check to a warning.
pub fn check(orgno: &str, path: AttrPath, test_env: bool, diags: &mut Diagnostics) {
    if orgno.len() != 9 || !orgno.bytes().all(|b| b.is_ascii_digit()) {
        diags.push(
            Diagnostic::error(
                "Invalid organisation number",
                format!("{orgno:?} is not an organisation number: it must be exactly nine digits, e.g. \"991825827\"."),
            )
            .at(path),
        );
    } else if !mod11_valid(orgno) {
        let detail =
            format!("{orgno} fails the mod-11 check digit of Norwegian organisation numbers; check for a typo.");
        diags.push(if test_env {
            Diagnostic::warning("Organisation number fails its check digit", format!("{detail} Digdir's TEST environment has synthetic organisations that may fail it, so this is only a warning with environment = \"test\".")).at(path)
        } else {
            Diagnostic::error("Invalid organisation number", detail).at(path)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers() {
        for ok in ["991825827", "889640782", "974760673"] {
            assert!(mod11_valid(ok), "{ok}");
        }
        for bad in ["991825828", "123", "99182582x", "311111111"] {
            assert!(!mod11_valid(bad), "{bad}");
        }
    }

    #[test]
    fn eight_digits_get_their_check_digit_when_they_have_one() {
        assert_eq!(with_check_digit(99_182_582).as_deref(), Some("991825827"));
        assert_eq!(with_check_digit(88_964_078).as_deref(), Some("889640782"));
        // 31111123: weighted sum 45, remainder 1, check digit 10: no number.
        assert_eq!(with_check_digit(31_111_123), None);
    }

    #[test]
    fn test_environment_only_warns() {
        let mut d = Diagnostics::default();
        check("991825828", AttrPath::attr("consumer_orgno"), true, &mut d);
        assert!(!d.has_errors() && !d.is_empty());
        let mut d = Diagnostics::default();
        check("991825828", AttrPath::attr("consumer_orgno"), false, &mut d);
        assert!(d.has_errors());
    }
}
