//! A small ordered JSON tree for the documents this module writes.
//!
//! `serde_json::Map` sorts keys unless the `preserve_order` feature is on somewhere in the build,
//! so the generated documents are rendered from this tree instead: the key order is the one IAM
//! users expect (`Version` before `Statement`, `Effect` before `Principal`), whatever features
//! the rest of the dependency graph enables.

/// A JSON value whose objects keep their keys in insertion order. Only strings, lists and
/// objects: IAM policy documents need nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Json {
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub(crate) fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// One value as a string, several as a list: the IAM convention.
    pub(crate) fn one_or_many(mut values: Vec<String>) -> Json {
        if values.len() == 1 {
            Json::Str(values.remove(0))
        } else {
            Json::Arr(values.into_iter().map(Json::Str).collect())
        }
    }

    pub(crate) fn obj<K: Into<String>>(entries: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Obj(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Pretty text with two-space indentation, the same layout as `serde_json::to_string_pretty`.
    pub(crate) fn pretty(&self) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, 0);
        out
    }

    fn write_pretty(&self, out: &mut String, indent: usize) {
        match self {
            Json::Str(s) => out.push_str(&quote(s)),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Obj(entries) if entries.is_empty() => out.push_str("{}"),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, indent + 1);
                    item.write_pretty(out, indent + 1);
                }
                newline(out, indent);
                out.push(']');
            }
            Json::Obj(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, indent + 1);
                    out.push_str(&quote(key));
                    out.push_str(": ");
                    value.write_pretty(out, indent + 1);
                }
                newline(out, indent);
                out.push('}');
            }
        }
    }

    /// The same document as a `serde_json::Value` (whose key order is `serde_json`'s own).
    pub(crate) fn to_value(&self) -> serde_json::Value {
        match self {
            Json::Str(s) => serde_json::Value::String(s.clone()),
            Json::Arr(items) => {
                serde_json::Value::Array(items.iter().map(Json::to_value).collect())
            }
            Json::Obj(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

fn newline(out: &mut String, indent: usize) {
    out.push('\n');
    for _ in 0..indent {
        out.push_str("  ");
    }
}

/// A JSON string literal. The escapes used (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, `\uXXXX`)
/// are also valid in YAML double-quoted scalars, so the result can be pasted into YAML as is.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            // Control characters, and the characters YAML treats as line breaks or refuses
            // unescaped (NEL, LS, PS, BOM), as \u escapes.
            c if (c as u32) < 0x20
                || c == '\u{7f}'
                || c == '\u{85}'
                || c == '\u{2028}'
                || c == '\u{2029}'
                || c == '\u{feff}' =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pretty_matches_serde_json_layout() {
        let doc = Json::obj([
            ("b", Json::str("x")),
            ("a", Json::Arr(vec![Json::str("1"), Json::str("2")])),
            ("e", Json::Arr(vec![])),
            ("o", Json::Obj(vec![])),
            ("n", Json::obj([("k", Json::str("v"))])),
        ]);
        let text = doc.pretty();
        assert!(text.starts_with("{\n  \"b\": \"x\",\n  \"a\": [\n    \"1\","));
        let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(reparsed, doc.to_value());
        // With serde_json's own layout (keys may be re-ordered, the rest is identical).
        let serde_text = serde_json::to_string_pretty(&doc.to_value()).unwrap();
        assert_eq!(serde_text.lines().count(), text.lines().count());
    }

    #[test]
    fn one_or_many() {
        assert_eq!(Json::one_or_many(vec!["a".into()]), Json::str("a"));
        assert_eq!(
            Json::one_or_many(vec!["a".into(), "b".into()]),
            Json::Arr(vec![Json::str("a"), Json::str("b")])
        );
    }

    proptest! {
        #[test]
        fn quoting_round_trips_through_serde_json(s in "\\PC{0,40}|[\\x00-\\x1f\"\\\\\u{85}\u{2028}\u{feff}a]{0,10}") {
            let quoted = quote(&s);
            let back: String = serde_json::from_str(&quoted).unwrap();
            prop_assert_eq!(back, s);
        }
    }
}
