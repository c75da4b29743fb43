//! Variable type constraints (`string`, `list(number)`, `object({...})`…)
//! and the Terraform-style conversion of values to them.

use hcl::{Map, Number, Value};
use hcl_edit::expr::{Expression, ObjectKey};

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ty {
    Any,
    String,
    Number,
    Bool,
    List(Box<Ty>),
    Set(Box<Ty>),
    Map(Box<Ty>),
    /// Attribute name, type, optional.
    Object(Vec<(String, Ty, bool)>),
    Tuple(Vec<Ty>),
}

impl std::fmt::Display for Ty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ty::Any => f.write_str("any"),
            Ty::String => f.write_str("string"),
            Ty::Number => f.write_str("number"),
            Ty::Bool => f.write_str("bool"),
            Ty::List(t) => write!(f, "list({t})"),
            Ty::Set(t) => write!(f, "set({t})"),
            Ty::Map(t) => write!(f, "map({t})"),
            Ty::Object(attrs) => {
                f.write_str("object({")?;
                for (i, (name, ty, optional)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if *optional {
                        write!(f, "{name} = optional({ty})")?;
                    } else {
                        write!(f, "{name} = {ty}")?;
                    }
                }
                f.write_str("})")
            }
            Ty::Tuple(items) => {
                f.write_str("tuple([")?;
                for (i, ty) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{ty}")?;
                }
                f.write_str("])")
            }
        }
    }
}

const TYPE_HELP: &str = "use string, number, bool, any, list(T), set(T), map(T), object({ name = T }) or tuple([T, ...])";

/// Reads a type constraint written as an expression (it is never evaluated).
pub(crate) fn parse_type(expr: &Expression) -> Result<Ty, String> {
    parse_type_inner(expr, false)
}

fn parse_type_inner(expr: &Expression, in_object: bool) -> Result<Ty, String> {
    match expr {
        Expression::Variable(v) => match v.as_str() {
            "string" => Ok(Ty::String),
            "number" => Ok(Ty::Number),
            "bool" => Ok(Ty::Bool),
            "any" => Ok(Ty::Any),
            "list" => Ok(Ty::List(Box::new(Ty::Any))),
            "set" => Ok(Ty::Set(Box::new(Ty::Any))),
            "map" => Ok(Ty::Map(Box::new(Ty::Any))),
            other => Err(format!("unknown type `{other}`")),
        },
        Expression::Parenthesis(p) => parse_type_inner(p.inner(), in_object),
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let args: Vec<&Expression> = call.args.iter().collect();
            if args.len() != 1 {
                return Err(format!("`{name}(...)` takes exactly one argument"));
            }
            let arg = args[0];
            match name {
                "list" => Ok(Ty::List(Box::new(parse_type_inner(arg, false)?))),
                "set" => Ok(Ty::Set(Box::new(parse_type_inner(arg, false)?))),
                "map" => Ok(Ty::Map(Box::new(parse_type_inner(arg, false)?))),
                "tuple" => match arg {
                    Expression::Array(items) => Ok(Ty::Tuple(
                        items
                            .iter()
                            .map(|e| parse_type_inner(e, false))
                            .collect::<Result<_, _>>()?,
                    )),
                    _ => {
                        Err("tuple(...) takes a list of types, like tuple([string, number])".into())
                    }
                },
                "object" => match arg {
                    Expression::Object(object) => {
                        let mut attrs = Vec::new();
                        for (key, value) in object.iter() {
                            let name = match key {
                                ObjectKey::Ident(i) => i.as_str().to_string(),
                                ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                                _ => {
                                    return Err("object attribute names must be plain names".into());
                                }
                            };
                            let (ty, optional) = match value.expr() {
                                Expression::FuncCall(c) if c.name.name.as_str() == "optional" => {
                                    let inner: Vec<&Expression> = c.args.iter().collect();
                                    if inner.len() != 1 {
                                        return Err("optional(...) takes exactly one type".into());
                                    }
                                    (parse_type_inner(inner[0], true)?, true)
                                }
                                other => (parse_type_inner(other, true)?, false),
                            };
                            attrs.push((name, ty, optional));
                        }
                        Ok(Ty::Object(attrs))
                    }
                    _ => Err(
                        "object(...) takes an object of types, like object({ id = string })".into(),
                    ),
                },
                "optional" if in_object => {
                    Err("optional(...) is only allowed as an object attribute type".into())
                }
                other => Err(format!("unknown type constructor `{other}(...)`")),
            }
        }
        _ => Err("a type constraint must be a type name, like string or list(string)".into()),
    }
}

pub(crate) fn type_help() -> &'static str {
    TYPE_HELP
}

/// A short name for a value's type, for messages that must not show the value.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// Converts `value` to `ty` the way Terraform does: primitives convert
/// between each other when the text allows it, collections convert
/// element-wise. Errors name the path and the types, never the value.
pub(crate) fn convert(value: Value, ty: &Ty) -> Result<Value, String> {
    convert_locating(value, ty).map_err(|mismatch| mismatch.message)
}

/// One step into a value: what a conversion error's path is made of.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PathStep {
    /// A list or tuple element.
    Index(usize),
    /// A map key or an object attribute.
    Key(String),
}

/// Why a value does not convert, and where inside it: so that the error
/// can point at the element's own place in the file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mismatch {
    pub(crate) message: String,
    pub(crate) path: Vec<PathStep>,
}

/// `convert`, keeping the path to the part that did not convert.
pub(crate) fn convert_locating(value: Value, ty: &Ty) -> Result<Value, Mismatch> {
    let mut steps = Vec::new();
    let mut at = Where {
        steps: &mut steps,
        attrs: Vec::new(),
    };
    let converted = convert_in(value, ty, &mut at);
    converted.map_err(|message| Mismatch {
        message,
        path: steps,
    })
}

/// `["de"].page_id`: a path as the messages write it, map keys quoted and
/// object attributes after a dot.
fn written(path: &[PathStep], ty_path: &[bool]) -> String {
    let mut out = String::new();
    for (step, is_attr) in path.iter().zip(ty_path) {
        match step {
            PathStep::Index(i) => out.push_str(&format!("[{i}]")),
            PathStep::Key(k) if *is_attr => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathStep::Key(k) => out.push_str(&format!("[{k:?}]")),
        }
    }
    out
}

/// The path so far, as `at ...` (nothing at the top).
struct Where<'a> {
    steps: &'a mut Vec<PathStep>,
    /// Whether each step is an object attribute (written `.name`).
    attrs: Vec<bool>,
}

impl Where<'_> {
    fn at(&self) -> String {
        if self.steps.is_empty() {
            String::new()
        } else {
            format!(" at {}", written(self.steps, &self.attrs))
        }
    }

    fn push(&mut self, step: PathStep, is_attr: bool) {
        self.steps.push(step);
        self.attrs.push(is_attr);
    }

    fn pop(&mut self) {
        self.steps.pop();
        self.attrs.pop();
    }
}

/// On success the path is as it was; on failure it ends at the part that
/// did not convert.
fn convert_in(value: Value, ty: &Ty, path: &mut Where<'_>) -> Result<Value, String> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let mismatch = |value: &Value, path: &Where<'_>| {
        format!("a {ty} is required{}, got {}", path.at(), type_name(value))
    };
    match ty {
        Ty::Any => Ok(value),
        Ty::String => match value {
            Value::String(_) => Ok(value),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            other => Err(mismatch(&other, path)),
        },
        Ty::Number => match value {
            Value::Number(_) => Ok(value),
            Value::String(s) => parse_number(s.trim()).map(Value::Number).ok_or_else(|| {
                format!(
                    "a number is required{}, got a string that is not a number",
                    path.at()
                )
            }),
            other => Err(mismatch(&other, path)),
        },
        Ty::Bool => match value {
            Value::Bool(_) => Ok(value),
            Value::String(s) if s == "true" => Ok(Value::Bool(true)),
            Value::String(s) if s == "false" => Ok(Value::Bool(false)),
            Value::String(_) => Err(format!(
                "a bool is required{}, got a string other than \"true\" or \"false\"",
                path.at()
            )),
            other => Err(mismatch(&other, path)),
        },
        Ty::List(elem) | Ty::Set(elem) => {
            let items = match value {
                Value::Array(items) => items,
                other => return Err(mismatch(&other, path)),
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                path.push(PathStep::Index(i), false);
                let v = convert_in(item, elem, path)?;
                path.pop();
                // Sets drop duplicates, as in Terraform.
                if !matches!(ty, Ty::Set(_)) || !out.contains(&v) {
                    out.push(v);
                }
            }
            Ok(Value::Array(out))
        }
        Ty::Map(elem) => {
            let entries = match value {
                Value::Object(entries) => entries,
                other => return Err(mismatch(&other, path)),
            };
            let mut out = Map::new();
            for (k, v) in entries {
                path.push(PathStep::Key(k.clone()), false);
                let v = convert_in(v, elem, path)?;
                path.pop();
                out.insert(k, v);
            }
            Ok(Value::Object(out))
        }
        Ty::Object(attrs) => {
            let mut entries = match value {
                Value::Object(entries) => entries,
                other => return Err(mismatch(&other, path)),
            };
            let mut out = Map::new();
            for (name, attr_ty, optional) in attrs {
                match entries.shift_remove(name) {
                    Some(v) => {
                        path.push(PathStep::Key(name.clone()), true);
                        let v = convert_in(v, attr_ty, path)?;
                        path.pop();
                        out.insert(name.clone(), v);
                    }
                    None if *optional => {
                        out.insert(name.clone(), Value::Null);
                    }
                    None => {
                        // Said at the object that lacks it.
                        path.push(PathStep::Key(name.clone()), true);
                        let child = written(path.steps, &path.attrs);
                        path.pop();
                        return Err(format!("attribute `{child}` is required"));
                    }
                }
            }
            Ok(Value::Object(out))
        }
        Ty::Tuple(items_ty) => {
            let items = match value {
                Value::Array(items) => items,
                other => return Err(mismatch(&other, path)),
            };
            if items.len() != items_ty.len() {
                return Err(format!(
                    "a tuple of {} elements is required{}, got {}",
                    items_ty.len(),
                    path.at(),
                    items.len()
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (v, t)) in items.into_iter().zip(items_ty).enumerate() {
                path.push(PathStep::Index(i), false);
                out.push(convert_in(v, t, path)?);
                path.pop();
            }
            Ok(Value::Array(out))
        }
    }
}

pub(crate) fn parse_number(text: &str) -> Option<Number> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(Number::from(i));
    }
    text.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(Number::from_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(src: &str) -> Ty {
        parse_type(&hcl_edit::parser::parse_expr(src).unwrap()).unwrap()
    }

    #[test]
    fn parses_nested_constraints() {
        assert_eq!(
            ty("map(object({ page_id = string, token = optional(string) }))").to_string(),
            "map(object({page_id = string, token = optional(string)}))"
        );
        assert_eq!(
            ty("tuple([string, number])").to_string(),
            "tuple([string, number])"
        );
        assert!(parse_type(&hcl_edit::parser::parse_expr("strin").unwrap()).is_err());
    }

    #[test]
    fn converts_like_terraform() {
        assert_eq!(
            convert(Value::from("3"), &Ty::Number).unwrap(),
            Value::from(3)
        );
        assert_eq!(
            convert(Value::from(3), &Ty::String).unwrap(),
            Value::from("3")
        );
        assert_eq!(
            convert(Value::from("true"), &Ty::Bool).unwrap(),
            Value::from(true)
        );
        let set = convert(
            Value::from(vec!["a", "b", "a"]),
            &Ty::Set(Box::new(Ty::String)),
        )
        .unwrap();
        assert_eq!(set, Value::from(vec!["a", "b"]));
        let err = convert(Value::from(vec!["x"]), &Ty::List(Box::new(Ty::Number))).unwrap_err();
        assert_eq!(
            err,
            "a number is required at [0], got a string that is not a number"
        );
    }

    #[test]
    fn objects_require_attributes_unless_optional() {
        let t = ty("object({ a = string, b = optional(number) })");
        let mut m = Map::new();
        m.insert("a".to_string(), Value::from("x"));
        m.insert("extra".to_string(), Value::from(1));
        let out = convert(Value::Object(m), &t).unwrap();
        let out = out.as_object().unwrap();
        assert_eq!(out["b"], Value::Null);
        assert!(!out.contains_key("extra"));
        let err = convert(Value::Object(Map::new()), &t).unwrap_err();
        assert_eq!(err, "attribute `a` is required");
    }
}
