//! Variable values and their sources, in increasing precedence (as in
//! Terraform): `default`, `SF_VAR_<name>`, `socialform.sfvars`,
//! `*.auto.sfvars` in name order, then `--var` / `--var-file` in order.
//!
//! A value for an undeclared variable is an error from every source except
//! the environment (where unrelated `SF_VAR_*` may be set for other
//! configurations): in a file it is almost always a typo.

use super::diagnostic::Diagnostic;
use super::eval::{Evaluator, Scope, VarState};
use super::files::{Sources, files_matching, parse_source, read_source};
use super::provenance::{Origin, follow, span_of};
use super::resources::{Attr, Decls, VariableDecl};
use super::types::{Mismatch, Ty, convert, convert_locating};
use super::{CliVar, LoadOptions};
use hcl::Value;
use hcl_edit::Span as _;
use hcl_edit::structure::Structure;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub(crate) struct Resolved {
    pub(crate) values: HashMap<String, VarState>,
    /// Every string inside a sensitive variable's value, to scrub from diagnostics.
    pub(crate) secrets: Vec<String>,
    /// Which source set each variable that has a value.
    pub(crate) origins: HashMap<String, Origin>,
}

/// A value written as a bare name (`token = EAAB12`) or a reference
/// (`token = var.x`): variable files hold literals only, and the usual
/// "unknown name" help about `var.`/`local.` references would mislead. The
/// message never repeats the word: it may be a token typed without quotes
/// (the snippet is scrubbed for sensitive variables).
fn not_a_literal(sources: &Sources, attr: &Attr, v: &VariableDecl) -> Option<Diagnostic> {
    use hcl_edit::expr::Expression;
    let root = match &attr.expr {
        Expression::Variable(name) => (name.as_str(), false),
        Expression::Traversal(t) => match &t.expr {
            Expression::Variable(name) => (name.as_str(), true),
            _ => return None,
        },
        _ => return None,
    };
    let example = if v.sensitive {
        format!("{} = \"EAAB…\"", v.name)
    } else {
        format!("{} = \"VALUE\"", v.name)
    };
    let d = match root {
        ("var" | "local" | "page" | "link" | "each", true) => sources
            .error(
                &attr.expr_span,
                format!(
                    "the value of `{}` refers to `{}`: a value in a .sfvars file must be a literal",
                    v.name, root.0
                ),
            )
            .with_help(format!(
                ".sfvars files cannot refer to variables, locals or blocks; write the value itself, e.g. {example}"
            )),
        ("true" | "false" | "null", false) => return None,
        _ => sources
            .error(
                &attr.expr_span,
                format!(
                    "the value of `{}` is not quoted: a value in a .sfvars file must be a literal",
                    v.name
                ),
            )
            .with_help(format!(
                "quote strings, e.g. {example}; numbers, true, false, lists [..] and maps {{..}} are written as in HCL"
            )),
    };
    let mut d = d;
    if v.sensitive
        && !root.1
        && let Some(word) = sources
            .text(attr.expr_span.file)
            .get(attr.expr_span.range.clone())
        && let Some(excerpt) = &mut d.excerpt
    {
        // What was typed is likely the token itself.
        excerpt.replace(word.trim(), "(sensitive value)");
    }
    Some(d)
}

/// Where in `attr`'s value the part a conversion refused is written: the
/// element or attribute its path leads to, as deep as the expression is
/// written out (a value from a function call stops at the call).
fn refused_part(attr: &Attr, mismatch: &Mismatch) -> super::files::Span {
    let (part, _) = follow(&attr.expr, &mismatch.path);
    span_of(part, attr.expr_span.file, attr.base).unwrap_or_else(|| attr.expr_span.clone())
}

/// Constant-evaluates an attribute (no references) with a throwaway evaluator.
fn constant(
    sources: &Sources,
    decls: &Decls,
    attr: &Attr,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    let mut ev = Evaluator {
        sources,
        decls,
        diags: Vec::new(),
        vars: HashMap::new(),
        locals: Default::default(),
        pages: Default::default(),
        links: Default::default(),
        applications: Default::default(),
        allow_unknown_tokens: false,
        allow_unset_credentials: false,
        data: None,
        pages_known: false,
        vonage_applications: None,
        data_unknown: false,
        applications_unknown: false,
        reported: Default::default(),
    };
    let v = ev.eval(attr, Scope::Constant, None);
    diags.append(&mut ev.diags);
    v
}

/// `--var` and `SF_VAR_` values are strings: strings and `any` take them
/// as they are, numbers and bools convert, complex types parse as HCL.
fn from_text(text: &str, ty: &Ty) -> Result<Value, String> {
    if matches!(ty, Ty::String | Ty::Any | Ty::Number | Ty::Bool) {
        return convert(Value::from(text), ty);
    }
    let expr = hcl_edit::parser::parse_expr(text).map_err(|e| {
        format!(
            "a {ty} is required, and the value is not a valid HCL expression ({})",
            e.message()
        )
    })?;
    let expr: hcl::Expression = expr.into();
    let mut ctx = hcl::eval::Context::new();
    super::functions::declare_all(&mut ctx);
    let value = hcl::eval::Evaluate::evaluate(&expr, &ctx)
        .map_err(|_| format!("a {ty} is required, and the value is not a literal HCL value"))?;
    convert(value, ty)
}

fn secret_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| secret_strings(v, out)),
        Value::Object(m) => m.values().for_each(|v| secret_strings(v, out)),
        _ => {}
    }
}

pub(crate) fn resolve(
    options: &LoadOptions,
    sources: &mut Sources,
    decls: &Decls,
    diags: &mut Vec<Diagnostic>,
) -> Resolved {
    let mut values: HashMap<String, VarState> = HashMap::new();
    let mut origins: HashMap<String, Origin> = HashMap::new();
    let find = |name: &str| decls.variables.iter().find(|v| v.name == name);

    for v in &decls.variables {
        let state = match &v.default {
            None => VarState::Unset,
            Some(attr) => match constant(sources, decls, attr, diags) {
                Some(value) => match convert_locating(value, &v.ty) {
                    Ok(value) => VarState::Set(value),
                    Err(e) => {
                        let d = sources
                            .error(
                                &refused_part(attr, &e),
                                format!(
                                    "the default of variable `{}` does not match its type: {}",
                                    v.name, e.message
                                ),
                            )
                            .with_help(format!("make the default a {}", v.ty));
                        diags.push(d);
                        VarState::Invalid
                    }
                },
                None => VarState::Unset,
            },
        };
        if matches!(state, VarState::Set(_)) {
            origins.insert(v.name.clone(), Origin::Default);
        }
        values.insert(v.name.clone(), state);
    }

    // Environment: SF_VAR_<name>, only for declared names.
    for (key, text) in &options.env {
        if let Some(name) = key.strip_prefix("SF_VAR_")
            && let Some(v) = find(name)
        {
            match from_text(text, &v.ty) {
                Ok(value) => {
                    values.insert(name.to_string(), VarState::Set(value));
                    origins.insert(name.to_string(), Origin::Elsewhere);
                }
                Err(e) => {
                    diags.push(
                        Diagnostic::error(format!(
                            "invalid value for variable `{name}` in the environment variable {key}: {e}"
                        ))
                        .with_help(format!("set {key} to a {}", v.ty)),
                    );
                    // Reported here: what uses it says nothing more.
                    values.insert(name.to_string(), VarState::Invalid);
                    origins.remove(name);
                }
            }
        }
    }

    // Files in the directory, then the command line in order.
    // As Terraform orders terraform.tfvars, terraform.tfvars.json, then
    // *.auto.tfvars and *.auto.tfvars.json together in name order.
    let mut files: Vec<PathBuf> = Vec::new();
    for main in ["socialform.sfvars", "socialform.sfvars.json"] {
        let main = options.dir.join(main);
        if main.is_file() {
            files.push(main);
        }
    }
    if options.dir.is_dir() {
        files.extend(files_matching(&options.dir, diags, |n| {
            n.ends_with(".auto.sfvars") || n.ends_with(".auto.sfvars.json")
        }));
    }
    for path in files {
        from_file(&path, sources, decls, (&mut values, &mut origins), diags);
    }
    for cli in &options.cli_vars {
        match cli {
            CliVar::File(path) => {
                let path = if path.is_absolute() {
                    path.clone()
                } else {
                    options.dir.join(path)
                };
                from_file(&path, sources, decls, (&mut values, &mut origins), diags);
            }
            CliVar::Pair { name, value } => {
                let Some(v) = find(name) else {
                    diags.push(
                        Diagnostic::error(format!(
                            "--var {name}=...: there is no variable named `{name}`"
                        ))
                        .with_help(decls.undeclared_variable_help(name)),
                    );
                    continue;
                };
                match from_text(value, &v.ty) {
                    Ok(value) => {
                        values.insert(name.clone(), VarState::Set(value));
                        origins.insert(name.clone(), Origin::Elsewhere);
                    }
                    Err(e) => {
                        diags.push(
                            Diagnostic::error(format!(
                                "--var {name}=...: invalid value for variable `{name}`: {e}"
                            ))
                            .with_help(format!(
                                "pass a {}, e.g. {}",
                                v.ty,
                                example(&v.ty, name)
                            )),
                        );
                        values.insert(name.clone(), VarState::Invalid);
                        origins.remove(name.as_str());
                    }
                }
            }
        }
    }

    let mut secrets = Vec::new();
    for v in &decls.variables {
        if let Some(VarState::Set(value)) = values.get(&v.name) {
            if value.is_null() && !v.nullable {
                let d = sources
                    .error(
                        &v.label_span,
                        format!(
                            "variable `{}` is null, but it is declared with nullable = false",
                            v.name
                        ),
                    )
                    .with_help("give it a non-null value");
                diags.push(d);
            }
            if v.sensitive {
                secret_strings(value, &mut secrets);
            }
        }
    }
    Resolved {
        values,
        secrets,
        origins,
    }
}

fn example(ty: &Ty, name: &str) -> String {
    match ty {
        Ty::Number => format!("--var {name}=3"),
        Ty::Bool => format!("--var {name}=true"),
        Ty::List(_) | Ty::Set(_) | Ty::Tuple(_) => format!("--var '{name}=[\"a\", \"b\"]'"),
        Ty::Map(_) | Ty::Object(_) => format!("--var '{name}={{ key = \"value\" }}'"),
        _ => format!("--var {name}=VALUE"),
    }
}

/// The values a literal-only variable file sets, when every name is a
/// declared variable and every value converts to its type; `None` (and the
/// full path, with its diagnostics) otherwise. Values are converted before
/// any is kept, so a declined file has changed nothing.
fn literal_values(text: &str, decls: &Decls) -> Option<Vec<(String, VarState)>> {
    let attrs = super::literal::read_attributes(text)?;
    let mut out = Vec::with_capacity(attrs.len());
    for (name, value) in attrs {
        let v = decls.variables.iter().find(|v| v.name == name)?;
        let value = convert(value, &v.ty).ok()?;
        out.push((name, VarState::Set(value)));
    }
    Some(out)
}

fn from_file(
    path: &Path,
    sources: &mut Sources,
    decls: &Decls,
    (values, origins): (&mut HashMap<String, VarState>, &mut HashMap<String, Origin>),
    diags: &mut Vec<Diagnostic>,
) {
    let Some(file) = read_source(path, sources, diags) else {
        return;
    };
    let plain = decls
        .variables
        .iter()
        .filter(|v| !v.sensitive)
        .map(|v| v.name.clone())
        .collect();
    sources.show_as_written(file, plain);
    if super::files::is_json_vars(path) {
        super::json_vars::read(sources, file, decls, values, origins, diags);
        return;
    }
    if let Some(fast) = literal_values(sources.text(file), decls) {
        for (name, _) in &fast {
            origins.insert(name.clone(), Origin::File(file));
        }
        values.extend(fast);
        return;
    }
    let Some(body) = parse_source(file, sources, diags) else {
        return;
    };
    let sources: &Sources = sources;
    let span = |r: Option<std::ops::Range<usize>>| super::files::Span {
        file,
        range: r.unwrap_or(0..0),
    };
    for structure in body.iter() {
        let attr = match structure {
            Structure::Block(b) => {
                let d = sources
                    .error(
                        &span(b.ident.span()),
                        "variable files contain only assignments, not blocks",
                    )
                    .with_help("write NAME = VALUE");
                diags.push(d);
                continue;
            }
            Structure::Attribute(a) => Attr {
                base: 0,
                name: a.key.as_str().to_string(),
                expr: a.value.clone(),
                key_span: span(a.key.span()),
                expr_span: span(a.value.span()),
            },
        };
        let Some(v): Option<&VariableDecl> = decls.variables.iter().find(|v| v.name == attr.name)
        else {
            let d = sources
                .error(
                    &attr.key_span,
                    format!("there is no variable named `{}`", attr.name),
                )
                .with_help(decls.undeclared_variable_help(&attr.name));
            diags.push(d);
            continue;
        };
        if let Some(d) = not_a_literal(sources, &attr, v) {
            diags.push(d);
            continue;
        }
        let Some(value) = constant(sources, decls, &attr, diags) else {
            continue;
        };
        match convert_locating(value, &v.ty) {
            Ok(value) => {
                values.insert(v.name.clone(), VarState::Set(value));
                origins.insert(v.name.clone(), Origin::File(file));
            }
            Err(e) => {
                let d = sources
                    .error(
                        &refused_part(&attr, &e),
                        format!("invalid value for variable `{}`: {}", v.name, e.message),
                    )
                    .with_help(format!("give a {}", v.ty));
                diags.push(d);
                // Reported here: what uses it says nothing more.
                values.insert(v.name.clone(), VarState::Invalid);
                origins.remove(&v.name);
            }
        }
    }
}
