//! Shared checks behind every validated type, so each rule is worded the same way everywhere.

use crate::error::Error;

/// `[\w+=,.@-]`: the IAM name alphabet (ASCII only, as IAM defines `\w`).
pub(crate) fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
}

pub(crate) const IAM_NAME_RULE: &str = "ASCII letters, digits and _+=,.@-";

/// Length in characters (not bytes), as AWS counts them.
pub(crate) fn check_len(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<usize, Error> {
    let n = value.chars().count();
    if n < min || n > max {
        let got = if n == 0 {
            "it is empty".to_string()
        } else {
            format!("it has {n}")
        };
        return Err(Error::invalid(
            field,
            format!("must be {min} to {max} characters long, but {got}"),
        ));
    }
    Ok(n)
}

/// Rejects the first character outside `allowed`, naming its position but echoing it only when
/// `echo` is true (values such as MFA codes are never repeated back).
pub(crate) fn check_chars(
    field: &'static str,
    value: &str,
    allowed: impl Fn(char) -> bool,
    rule: &str,
    echo: bool,
) -> Result<(), Error> {
    if let Some((pos, c)) = value.chars().enumerate().find(|(_, c)| !allowed(*c)) {
        let what = if echo {
            format!("character {:?} (U+{:04X})", c, c as u32)
        } else {
            "a character".to_string()
        };
        return Err(Error::invalid(
            field,
            format!(
                "{what} at position {} is not allowed; allowed are {rule}",
                pos + 1
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters() {
        assert!(check_len("f", "éé", 2, 2).is_ok());
        let err = check_len("f", "", 2, 4).unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid f: must be 2 to 4 characters long, but it is empty"
        );
    }

    #[test]
    fn bad_character_is_named_with_position() {
        let err = check_chars("f", "ab c", is_iam_name_char, IAM_NAME_RULE, true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("' ' (U+0020) at position 3"), "{err}");
        let hidden = check_chars("f", "12a456", |c| c.is_ascii_digit(), "digits", false)
            .unwrap_err()
            .to_string();
        assert!(!hidden.contains("'a'"), "{hidden}");
        assert!(hidden.contains("position 3"), "{hidden}");
    }
}
