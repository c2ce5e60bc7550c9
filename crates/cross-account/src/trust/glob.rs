//! IAM wildcard matching: `*` matches any run of characters (also none), `?` exactly one.
//! There is no escape character, as in IAM.

/// Whether `text` matches `pattern`. Linear in practice (the classic greedy algorithm with one
/// backtrack point), never recursive, so no input can exhaust the stack.
pub(crate) fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if ignore_case {
        (
            pattern.to_lowercase().chars().collect(),
            text.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    let (mut pi, mut ti) = (0usize, 0usize);
    // Position of the last '*' in the pattern and the text position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                // Let the last '*' swallow one more character and retry.
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == '*')
}

/// Whether the text has a wildcard character.
pub(crate) fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wildcards() {
        assert!(matches("sts:AssumeRole", "sts:AssumeRole", false));
        assert!(!matches("sts:AssumeRole", "sts:assumerole", false));
        assert!(matches("sts:AssumeRole", "sts:assumerole", true));
        assert!(matches("sts:*", "sts:AssumeRole", false));
        assert!(matches("*", "", false));
        assert!(matches("", "", false));
        assert!(!matches("", "a", false));
        assert!(matches("sts:Assume????", "sts:AssumeRole", false));
        assert!(!matches("sts:Assume???", "sts:AssumeRole", false));
        assert!(matches("*Role", "sts:AssumeRole", false));
        assert!(matches("s*:*Ro?e", "sts:AssumeRole", false));
        assert!(!matches("sts:AssumeRole*X", "sts:AssumeRole", false));
        assert!(matches("a*b*c", "axxbyyc", false));
        assert!(!matches("a*b*c", "axxbyy", false));
        assert!(matches("**", "abc", false));
        assert!(matches("ab*", "ab", false));
        assert!(matches("日?", "日本", false));
        assert!(has_wildcard("a*") && has_wildcard("?") && !has_wildcard("abc"));
    }

    /// A reference implementation by dynamic programming, to check the fast one against.
    fn reference(p: &[char], t: &[char]) -> bool {
        let mut dp = vec![vec![false; t.len() + 1]; p.len() + 1];
        dp[0][0] = true;
        for i in 1..=p.len() {
            dp[i][0] = dp[i - 1][0] && p[i - 1] == '*';
            for j in 1..=t.len() {
                dp[i][j] = match p[i - 1] {
                    '*' => dp[i - 1][j] || dp[i][j - 1],
                    '?' => dp[i - 1][j - 1],
                    c => dp[i - 1][j - 1] && c == t[j - 1],
                };
            }
        }
        dp[p.len()][t.len()]
    }

    proptest! {
        #[test]
        fn agrees_with_reference(p in "[ab*?]{0,8}", t in "[ab]{0,10}") {
            let pc: Vec<char> = p.chars().collect();
            let tc: Vec<char> = t.chars().collect();
            prop_assert_eq!(matches(&p, &t, false), reference(&pc, &tc));
        }

        #[test]
        fn literal_pattern_matches_itself(s in "[^*?]{0,20}") {
            prop_assert!(matches(&s, &s, false));
            prop_assert!(matches(&s, &s, true));
        }
    }
}
