//! The function library available in expressions.
//!
//! hcl-rs takes plain `fn` pointers, so `env()` and `file()` cannot capture
//! the load options; they read them from a thread-local set by `load` for the
//! duration of one load (each load runs on its own thread).

use super::limits::MAX_VALUE_BYTES;
use super::types::{Ty, convert, parse_number, type_name};
use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};
use hcl::{Map, Value};
use std::cell::RefCell;
use std::path::PathBuf;

pub(crate) struct FuncEnv {
    pub(crate) env: Vec<(String, String)>,
    pub(crate) dir: PathBuf,
}

thread_local! {
    static FUNC_ENV: RefCell<Option<FuncEnv>> = const { RefCell::new(None) };
}

/// Makes `env` and `file` see these options on the current thread.
pub(crate) fn install(env: FuncEnv) {
    FUNC_ENV.with(|slot| *slot.borrow_mut() = Some(env));
}

type R = Result<Value, String>;

/// `path` as `file()` would read it: relative to the configuration
/// directory (as it stands when evaluation runs on this thread).
pub(crate) fn in_config_dir(path: &str) -> std::path::PathBuf {
    FUNC_ENV.with(|slot| match slot.borrow().as_ref() {
        Some(env) => env.dir.join(path),
        None => PathBuf::from(path),
    })
}

/// Name, fixed parameters, variadic parameter, implementation.
type Entry = (&'static str, &'static [P], Option<P>, fn(FuncArgs) -> R);

/// A `Copy` stand-in for `ParamType` so the table can be a `const`.
#[derive(Clone, Copy)]
enum P {
    Any,
    Str,
    Num,
    List,
    Obj,
}

impl P {
    fn param(self) -> ParamType {
        match self {
            P::Any => ParamType::Any,
            P::Str => ParamType::String,
            P::Num => ParamType::Number,
            P::List => ParamType::array_of(ParamType::Any),
            P::Obj => ParamType::object_of(ParamType::Any),
        }
    }
}

const FUNCTIONS: &[Entry] = &[
    ("env", &[P::Str], None, env),
    ("file", &[P::Str], None, file),
    ("lower", &[P::Str], None, lower),
    ("upper", &[P::Str], None, upper),
    ("format", &[P::Str], Some(P::Any), format),
    ("join", &[P::Str, P::List], None, join),
    ("split", &[P::Str, P::Str], None, split),
    ("merge", &[], Some(P::Obj), merge),
    ("keys", &[P::Obj], None, keys),
    ("values", &[P::Obj], None, values),
    ("lookup", &[P::Obj, P::Str], Some(P::Any), lookup),
    ("tostring", &[P::Any], None, tostring),
    ("tonumber", &[P::Any], None, tonumber),
    ("tobool", &[P::Any], None, tobool),
    ("length", &[P::Any], None, length),
    ("concat", &[], Some(P::List), concat),
    ("contains", &[P::List, P::Any], None, contains),
    ("coalesce", &[], Some(P::Any), coalesce),
    ("trimspace", &[P::Str], None, trimspace),
    ("replace", &[P::Str, P::Str, P::Str], None, replace),
    ("toset", &[P::List], None, toset),
    ("tolist", &[P::List], None, tolist),
    ("tomap", &[P::Obj], None, tomap),
    ("element", &[P::List, P::Num], None, element),
    ("flatten", &[P::List], None, flatten),
    ("distinct", &[P::List], None, distinct),
    ("startswith", &[P::Str, P::Str], None, startswith),
    ("endswith", &[P::Str, P::Str], None, endswith),
];

pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.0)
}

pub(crate) fn is_known(name: &str) -> bool {
    names().any(|n| n == name)
}

pub(crate) fn declare_all(ctx: &mut Context) {
    declare_only(ctx, |_| true);
}

/// Declares the functions `wanted` accepts: an expression's context holds
/// only the functions it calls, so building a context costs what the
/// expression uses, not the size of the function table.
pub(crate) fn declare_only(ctx: &mut Context, wanted: impl Fn(&str) -> bool) {
    for (name, params, variadic, func) in FUNCTIONS.iter().filter(|f| wanted(f.0)) {
        let mut builder = FuncDef::builder().params(params.iter().map(|p| p.param()));
        if let Some(v) = variadic {
            builder = builder.variadic_param(v.param());
        }
        ctx.declare_func(*name, builder.build(*func));
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn env(args: FuncArgs) -> R {
    let name = s(&args[0]).to_string();
    FUNC_ENV.with(|slot| {
        let slot = slot.borrow();
        let env = slot.as_ref().ok_or("env() is unavailable here")?;
        // The last entry wins, like repeated assignments to one variable.
        Ok(env
            .env
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| Value::from(v.as_str()))
            .unwrap_or(Value::Null))
    })
}

fn file(args: FuncArgs) -> R {
    let rel = s(&args[0]).to_string();
    FUNC_ENV.with(|slot| {
        let slot = slot.borrow();
        let env = slot.as_ref().ok_or("file() is unavailable here")?;
        let path = env.dir.join(&rel);
        let bytes = super::files::read_limited(&path)?;
        String::from_utf8(bytes)
            .map(Value::from)
            .map_err(|_| format!("{} is not valid UTF-8", path.display()))
    })
}

fn lower(args: FuncArgs) -> R {
    Ok(s(&args[0]).to_lowercase().into())
}

fn upper(args: FuncArgs) -> R {
    Ok(s(&args[0]).to_uppercase().into())
}

/// The text form of a value for `%s`/`%v`/`tostring`.
fn display(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err("cannot convert null to a string".into()),
        other => Err(format!("cannot convert a {} to a string", type_name(other))),
    }
}

/// Largest width or precision `format()` accepts.
const MAX_FORMAT_WIDTH: usize = 1024;

fn format(args: FuncArgs) -> R {
    let spec = s(&args[0]);
    let mut rest = args.iter().skip(1);
    let mut out = String::new();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Flags and width: `%-10s`, `%05d`, `%.2f`.
        let mut left = false;
        let mut zero = false;
        let mut width = String::new();
        let mut precision: Option<String> = None;
        let verb = loop {
            let c = chars
                .next()
                .ok_or("the format string ends in the middle of a %-verb")?;
            match c {
                '-' if width.is_empty() && precision.is_none() => left = true,
                '0' if width.is_empty() && precision.is_none() => zero = true,
                '.' if precision.is_none() => precision = Some(String::new()),
                d if d.is_ascii_digit() => match &mut precision {
                    Some(p) => p.push(d),
                    None => width.push(d),
                },
                other => break other,
            }
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        // A width or precision in the millions would only allocate memory
        // (or abort the process when it cannot be had).
        for (what, digits) in [("width", Some(&width)), ("precision", precision.as_ref())] {
            let too_big = |d: &&String| d.parse::<usize>().map_or(true, |n| n > MAX_FORMAT_WIDTH);
            if let Some(digits) = digits.filter(|d| !d.is_empty()).filter(too_big) {
                return Err(format!(
                    "the {what} of %{verb} is {digits}; at most {MAX_FORMAT_WIDTH} is allowed"
                ));
            }
        }
        let arg = rest
            .next()
            .ok_or_else(|| format!("not enough arguments for %{verb}"))?;
        let number = |arg: &Value| -> Result<f64, String> {
            match arg {
                Value::Number(n) => Ok(n.as_f64().unwrap_or_default()),
                Value::String(t) => parse_number(t)
                    .and_then(|n| n.as_f64())
                    .ok_or_else(|| format!("%{verb} needs a number")),
                _ => Err(format!("%{verb} needs a number")),
            }
        };
        let text = match verb {
            's' => display(arg)?,
            'v' => match arg {
                Value::Array(_) | Value::Object(_) => arg.to_string(),
                _ => display(arg)?,
            },
            'd' => {
                let f = number(arg)?;
                if f.fract() != 0.0 {
                    return Err("%d needs a whole number".into());
                }
                format!("{}", f as i64)
            }
            'f' => {
                let p: usize = precision.as_deref().unwrap_or("6").parse().unwrap_or(6);
                format!("{:.*}", p, number(arg)?)
            }
            'q' => serde_json::Value::String(display(arg)?).to_string(),
            other => {
                return Err(format!(
                    "unsupported format verb %{other} (use %s, %d, %f, %q or %v)"
                ));
            }
        };
        let width: usize = width.parse().unwrap_or(0);
        let len = text.chars().count();
        if len >= width {
            out.push_str(&text);
        } else if left {
            out.push_str(&text);
            out.push_str(&" ".repeat(width - len));
        } else if zero && matches!(verb, 'd' | 'f') {
            let (sign, digits) = match text.strip_prefix('-') {
                Some(d) => ("-", d),
                None => ("", text.as_str()),
            };
            out.push_str(sign);
            out.push_str(&"0".repeat(width - len));
            out.push_str(digits);
        } else {
            out.push_str(&" ".repeat(width - len));
            out.push_str(&text);
        }
    }
    if rest.next().is_some() {
        return Err("too many arguments for the format string".into());
    }
    Ok(out.into())
}

fn join(args: FuncArgs) -> R {
    let parts = args[1]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(display)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(parts.join(s(&args[0])).into())
}

fn split(args: FuncArgs) -> R {
    let sep = s(&args[0]);
    let text = s(&args[1]);
    if text.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    if sep.is_empty() {
        return Err("the separator must not be empty".into());
    }
    Ok(Value::Array(text.split(sep).map(Value::from).collect()))
}

fn merge(args: FuncArgs) -> R {
    let mut out = Map::new();
    for v in args.iter() {
        if let Some(m) = v.as_object() {
            out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    Ok(Value::Object(out))
}

fn obj(v: &Value) -> &Map<String, Value> {
    // Parameters are typed as objects, so hcl-rs has checked this already.
    v.as_object().expect("checked by the function signature")
}

fn sorted_entries(m: &Map<String, Value>) -> Vec<(&String, &Value)> {
    // Terraform returns map keys in lexical order.
    let mut entries: Vec<_> = m.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

fn keys(args: FuncArgs) -> R {
    Ok(Value::Array(
        sorted_entries(obj(&args[0]))
            .into_iter()
            .map(|(k, _)| Value::from(k.as_str()))
            .collect(),
    ))
}

fn values(args: FuncArgs) -> R {
    Ok(Value::Array(
        sorted_entries(obj(&args[0]))
            .into_iter()
            .map(|(_, v)| v.clone())
            .collect(),
    ))
}

fn lookup(args: FuncArgs) -> R {
    if args.len() > 3 {
        return Err("lookup takes a map, a key and an optional default".into());
    }
    match obj(&args[0]).get(s(&args[1])) {
        Some(v) => Ok(v.clone()),
        None => args
            .get(2)
            .cloned()
            .ok_or_else(|| format!("no key {:?} in the map and no default given", s(&args[1]))),
    }
}

fn tostring(args: FuncArgs) -> R {
    if args[0].is_null() {
        return Ok(Value::Null);
    }
    display(&args[0]).map(Value::from)
}

fn tonumber(args: FuncArgs) -> R {
    convert(args[0].clone(), &Ty::Number)
}

fn tobool(args: FuncArgs) -> R {
    convert(args[0].clone(), &Ty::Bool)
}

fn length(args: FuncArgs) -> R {
    match &args[0] {
        Value::String(t) => Ok(t.chars().count().into()),
        Value::Array(a) => Ok(a.len().into()),
        Value::Object(o) => Ok(o.len().into()),
        other => Err(format!("cannot take the length of a {}", type_name(other))),
    }
}

fn concat(args: FuncArgs) -> R {
    Ok(Value::Array(
        args.iter()
            .flat_map(|a| a.as_array().cloned().unwrap_or_default())
            .collect(),
    ))
}

fn contains(args: FuncArgs) -> R {
    Ok(args[0]
        .as_array()
        .is_some_and(|a| a.contains(&args[1]))
        .into())
}

fn coalesce(args: FuncArgs) -> R {
    args.iter()
        .find(|v| !v.is_null() && v.as_str() != Some(""))
        .cloned()
        .ok_or_else(|| "all arguments are null or empty".to_string())
}

fn trimspace(args: FuncArgs) -> R {
    Ok(s(&args[0]).trim().into())
}

fn replace(args: FuncArgs) -> R {
    if s(&args[1]).is_empty() {
        return Err("the substring to replace must not be empty".into());
    }
    let (text, from, to) = (s(&args[0]), s(&args[1]), s(&args[2]));
    // Each match can grow the text by `to`: refuse before allocating.
    let grows_by = to.len().saturating_sub(from.len());
    let matches = text.matches(from).count();
    if text.len() + matches.saturating_mul(grows_by) > MAX_VALUE_BYTES {
        return Err("the result would be larger than 16 MiB".into());
    }
    Ok(text.replace(from, to).into())
}

fn distinct_items(items: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for v in items {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    out
}

fn toset(args: FuncArgs) -> R {
    // Sets are lists without duplicates here; for_each accepts either.
    Ok(Value::Array(distinct_items(
        args[0].as_array().unwrap_or(&Vec::new()),
    )))
}

fn tolist(args: FuncArgs) -> R {
    Ok(args[0].clone())
}

fn tomap(args: FuncArgs) -> R {
    Ok(args[0].clone())
}

fn element(args: FuncArgs) -> R {
    let list = args[0].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        return Err("cannot use element() on an empty list".into());
    }
    let index = args[1].as_number().and_then(|n| n.as_f64()).unwrap_or(-1.0);
    if index < 0.0 || index.fract() != 0.0 {
        return Err("the index must be a whole number of zero or more".into());
    }
    // Like Terraform, the index wraps around.
    Ok(list[(index as usize) % list.len()].clone())
}

fn flatten_into(items: &[Value], out: &mut Vec<Value>) {
    for v in items {
        match v {
            Value::Array(inner) => flatten_into(inner, out),
            other => out.push(other.clone()),
        }
    }
}

fn flatten(args: FuncArgs) -> R {
    let mut out = Vec::new();
    flatten_into(args[0].as_array().unwrap_or(&Vec::new()), &mut out);
    Ok(Value::Array(out))
}

fn distinct(args: FuncArgs) -> R {
    Ok(Value::Array(distinct_items(
        args[0].as_array().unwrap_or(&Vec::new()),
    )))
}

fn startswith(args: FuncArgs) -> R {
    Ok(s(&args[0]).starts_with(s(&args[1])).into())
}

fn endswith(args: FuncArgs) -> R {
    Ok(s(&args[0]).ends_with(s(&args[1])).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcl::eval::Evaluate;

    fn eval(src: &str) -> Result<Value, String> {
        let dir = std::env::temp_dir();
        install(FuncEnv {
            env: vec![("GREETING".into(), "hello".into())],
            dir,
        });
        let mut ctx = Context::new();
        declare_all(&mut ctx);
        let mut m = Map::new();
        m.insert("n".to_string(), Value::from(2));
        ctx.declare_var("var", Value::Object(m));
        let expr: hcl::Expression = hcl_edit::parser::parse_expr(src).unwrap().into();
        expr.evaluate(&ctx).map_err(|e| e.to_string())
    }

    #[track_caller]
    fn same(src: &str, expected: &str) {
        assert_eq!(eval(src), eval(expected), "{src}");
    }

    #[test]
    fn string_functions() {
        same(r#"lower("AbC")"#, r#""abc""#);
        same(r#"upper("AbC")"#, r#""ABC""#);
        same(r#"trimspace("  x \n")"#, r#""x""#);
        same(r#"replace("a-b-c", "-", "_")"#, r#""a_b_c""#);
        same(r#"startswith("page_1", "page")"#, "true");
        same(r#"endswith("page_1", "page")"#, "false");
        same(r#"split(",", "a,b")"#, r#"["a", "b"]"#);
        same(r#"split(",", "")"#, "[]");
        same(r#"join("-", ["a", 1, true])"#, r#""a-1-true""#);
    }

    #[test]
    fn format_verbs() {
        same(
            r#"format("%s/%d/%q/%v", "a", 7, "b", 1.5)"#,
            r#""a/7/\"b\"/1.5""#,
        );
        same(
            r#"format("%03d|%-3s|%3s|%.2f|%%", 7, "a", "b", 1)"#,
            r#""007|a  |  b|1.00|%""#,
        );
        assert!(
            eval(r#"format("%d", "x")"#)
                .unwrap_err()
                .contains("%d needs a number")
        );
        assert!(
            eval(r#"format("%s %s", "x")"#)
                .unwrap_err()
                .contains("not enough arguments")
        );
        assert!(
            eval(r#"format("%s", "x", "y")"#)
                .unwrap_err()
                .contains("too many arguments")
        );
        assert!(
            eval(r#"format("%x", 1)"#)
                .unwrap_err()
                .contains("unsupported format verb %x")
        );
    }

    #[test]
    fn collection_functions() {
        same(r#"merge({ a = 1, b = 1 }, { b = 2 })"#, "{ a = 1, b = 2 }");
        same(r#"keys({ b = 1, a = 2 })"#, r#"["a", "b"]"#);
        same(r#"values({ b = 1, a = 2 })"#, "[2, 1]");
        same(r#"lookup({ a = 1 }, "a")"#, "1");
        same(r#"lookup({ a = 1 }, "z", 9)"#, "9");
        assert!(
            eval(r#"lookup({ a = 1 }, "z")"#)
                .unwrap_err()
                .contains("no key \"z\"")
        );
        same(r#"length("héllo")"#, "5");
        same(r#"length([1, 2])"#, "2");
        same(r#"length({ a = 1 })"#, "1");
        same(r#"concat([1], [2, 3])"#, "[1, 2, 3]");
        same(r#"contains(["a", "b"], "b")"#, "true");
        same(r#"contains(["a", "b"], "c")"#, "false");
        same(r#"coalesce(null, "", "x")"#, r#""x""#);
        same(r#"toset(["a", "b", "a"])"#, r#"["a", "b"]"#);
        same(r#"distinct([1, 2, 1])"#, "[1, 2]");
        same(r#"tolist(["a"])"#, r#"["a"]"#);
        same(r#"tomap({ a = 1 })"#, "{ a = 1 }");
        same(r#"element(["a", "b"], 3)"#, r#""b""#);
        assert!(eval("element([], 0)").unwrap_err().contains("empty list"));
        same(r#"flatten([[1, [2]], 3])"#, "[1, 2, 3]");
    }

    #[test]
    fn conversions() {
        same("tostring(5)", r#""5""#);
        same("tostring(true)", r#""true""#);
        same(r#"tonumber("42")"#, "42");
        same(r#"tobool("true")"#, "true");
        assert!(
            eval(r#"tonumber("x")"#)
                .unwrap_err()
                .contains("a number is required")
        );
        assert!(
            eval(r#"tobool("yes")"#)
                .unwrap_err()
                .contains("a bool is required")
        );
    }

    #[test]
    fn env_and_file_use_the_load_options() {
        same(r#"env("GREETING")"#, r#""hello""#);
        same(r#"env("NOT_SET_ANYWHERE")"#, "null");
        let name = format!("sf-func-test-{}.txt", std::process::id());
        std::fs::write(std::env::temp_dir().join(&name), "from file").unwrap();
        same(&format!("file({name:?})"), r#""from file""#);
        assert!(
            eval(r#"file("no-such-file-here.txt")"#)
                .unwrap_err()
                .contains("cannot read")
        );
    }

    #[test]
    fn expression_language() {
        same(r#""n=${var.n * 2 + 1}""#, r#""n=5""#);
        same(r#"var.n > 1 ? "big" : "small""#, r#""big""#);
        same(r#"[for x in [1, 2, 3] : x * 10 if x != 2]"#, "[10, 30]");
        same(r#"{ for k, v in { a = 1 } : upper(k) => v }"#, "{ A = 1 }");
        same(r#""%{ for x in ["a", "b"] }${x};%{ endfor }""#, r#""a;b;""#);
        same(
            r#""%{ if var.n == 2 }two%{ else }other%{ endif }""#,
            r#""two""#,
        );
        same("!true || (1 < 2 && 3 >= 3)", "true");
        same(r#"[{ a = 1 }, { a = 2 }][*].a"#, "[1, 2]");
        same("<<EOT\n  x\nEOT", r#""  x\n""#);
    }

    #[test]
    fn arity_is_checked() {
        assert!(eval(r#"upper("a", "b")"#).unwrap_err().contains("upper"));
    }
}
