//! `*.sfvars.json`: variable values as one JSON object, `{"NAME": VALUE}`,
//! as Terraform reads `*.tfvars.json`; for files another program generates,
//! of any size. JSON values are literals by construction, so a value is
//! converted to the variable's declared type and checked as a `.sfvars`
//! literal is. Every error names `file:line:column`: serde_json gives the
//! line and column of a syntax error, and each value is read as a raw slice
//! of the text, so its place (and its name's) is known too.

use super::diagnostic::Diagnostic;
use super::eval::VarState;
use super::files::{FileId, Sources, Span};
use super::provenance::Origin;
use super::resources::Decls;
use super::types::convert;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::HashMap;

/// The top-level object's members in file order, duplicates kept (to be
/// reported): a map type would silently keep one of them.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Members<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of variable names and values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(member) = map.next_entry::<String, &'de RawValue>()? {
                    out.push(member);
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

pub(crate) fn read(
    sources: &Sources,
    file: FileId,
    decls: &Decls,
    values: &mut HashMap<String, VarState>,
    origins: &mut HashMap<String, Origin>,
    diags: &mut Vec<Diagnostic>,
) {
    let text = sources.text(file);
    let at = |range: std::ops::Range<usize>| Span { file, range };
    let members = match serde_json::from_str::<Members>(text) {
        Ok(members) => members.0,
        Err(e) => {
            let start = sources.offset(file, e.line(), e.column());
            let width = text[start..].chars().next().map_or(0, char::len_utf8);
            let (message, help) = if e.is_data() {
                (
                    "a .sfvars.json file must be one JSON object".to_string(),
                    "write {\"NAME\": VALUE, ...}",
                )
            } else {
                (
                    format!("JSON syntax error: {}", message_of(&e)),
                    "fix the JSON at the marked position",
                )
            };
            diags.push(
                sources
                    .error(&at(start..start + width), message)
                    .with_help(help),
            );
            return;
        }
    };
    let mut seen: HashMap<&str, ()> = HashMap::with_capacity(members.len());
    for (name, raw) in &members {
        let value_at = offset_in(text, raw.get());
        let value_span = at(value_at..value_at + raw.get().len());
        let key_span = key_before(text, value_at).map_or(value_span.clone(), at);
        if seen.insert(name.as_str(), ()).is_some() {
            diags.push(
                sources
                    .error(
                        &key_span,
                        format!("variable `{name}` is set twice in this file"),
                    )
                    .with_help("remove one of the two members"),
            );
            continue;
        }
        let Some(v) = decls.variables.iter().find(|v| &v.name == name) else {
            diags.push(
                sources
                    .error(&key_span, format!("there is no variable named `{name}`"))
                    .with_help(decls.undeclared_variable_help(name)),
            );
            continue;
        };
        // Syntax was checked above, so this only fails on a number hcl
        // cannot hold; say so at the value, without repeating it.
        let value = match serde_json::from_str::<hcl::Value>(raw.get()) {
            Ok(value) => value,
            Err(_) => {
                diags.push(
                    sources
                        .error(&value_span, format!("invalid value for variable `{name}`"))
                        .with_help("numbers must fit in a 64-bit float or integer"),
                );
                continue;
            }
        };
        match convert(value, &v.ty) {
            Ok(value) => {
                values.insert(v.name.clone(), VarState::Set(value));
                // No snippet shows a JSON file's values (it is masked whole).
                origins.insert(v.name.clone(), Origin::Elsewhere);
            }
            Err(e) => diags.push(
                sources
                    .error(
                        &value_span,
                        format!("invalid value for variable `{name}`: {e}"),
                    )
                    .with_help(format!("give a {}", v.ty)),
            ),
        }
    }
}

/// serde_json's message without its " at line L column C" tail (the
/// diagnostic's location says it).
fn message_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Where `part`, a slice of `text`, starts in it.
fn offset_in(text: &str, part: &str) -> usize {
    (part.as_ptr() as usize)
        .checked_sub(text.as_ptr() as usize)
        .filter(|&o| o <= text.len())
        .unwrap_or(0)
}

/// The quoted member name before the value at `value_at`: back over
/// whitespace, the `:`, whitespace, then to the name's opening quote (one
/// not escaped by an odd run of backslashes).
fn key_before(text: &str, value_at: usize) -> Option<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut i = text[..value_at].trim_end().len();
    if i == 0 || bytes[i - 1] != b':' {
        return None;
    }
    i = text[..i - 1].trim_end().len();
    if i == 0 || bytes[i - 1] != b'"' {
        return None;
    }
    let end = i;
    let mut j = end - 1;
    while j > 0 {
        j -= 1;
        if bytes[j] == b'"' {
            let backslashes = bytes[..j].iter().rev().take_while(|&&b| b == b'\\').count();
            if backslashes % 2 == 0 {
                return Some(j..end);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_name_is_found_before_its_value() {
        let text = r#"{ "a": 1, "b\"c" :  [2] }"#;
        let at = text.find('1').unwrap();
        assert_eq!(&text[key_before(text, at).unwrap()], "\"a\"");
        let at = text.find('[').unwrap();
        assert_eq!(&text[key_before(text, at).unwrap()], r#""b\"c""#);
    }

    #[test]
    fn serde_json_messages_lose_their_location_tail() {
        let e = serde_json::from_str::<serde_json::Value>("{\"a\": }").unwrap_err();
        assert_eq!(message_of(&e), "expected value");
    }
}
