//! Where an instance's value is written, for the errors that should point
//! at a value rather than at the `each.value` that carried it: two
//! `for_each` entries with one `page_id` are shown at the entries.
//!
//! Only looked up when such an error is reported; a variable file read on
//! the fast path (no syntax tree kept) is parsed again here.

use super::files::{FileId, Sources, Span};
use super::resources::{Attr, Decls};
use super::types::PathStep;
use crate::address::{Address, InstanceKey, ResourceKind};
use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::Structure;
use std::collections::HashMap;

/// Which source gave a variable its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Its `default`.
    Default,
    /// An assignment in this variable file (HCL).
    File(FileId),
    /// The environment, the command line or a JSON file: no place to show.
    Elsewhere,
}

/// The expression `path` leads to inside `expr`, as deep as the value is
/// written out, and whether the whole path was followed.
pub(crate) fn follow<'e>(mut expr: &'e Expression, path: &[PathStep]) -> (&'e Expression, bool) {
    let mut steps = path.iter();
    let mut step = steps.next();
    while let Some(current) = step {
        let inner = match (expr, current) {
            (Expression::Parenthesis(p), _) => {
                expr = p.inner();
                continue;
            }
            (Expression::Array(items), PathStep::Index(i)) => items.get(*i),
            (Expression::Object(object), PathStep::Key(key)) => object
                .iter()
                .find(|(k, _)| match k {
                    ObjectKey::Ident(ident) => ident.as_str() == key,
                    ObjectKey::Expression(Expression::String(text)) => text.as_str() == key,
                    ObjectKey::Expression(_) => false,
                })
                .map(|(_, value)| value.expr()),
            _ => None,
        };
        match inner {
            Some(inner) => expr = inner,
            None => return (expr, false),
        }
        step = steps.next();
    }
    (expr, true)
}

/// The span of `expr` in `file`, whose spans start at `base`.
pub(crate) fn span_of(expr: &Expression, file: FileId, base: usize) -> Option<Span> {
    let range = expr.span()?;
    Some(Span {
        file,
        range: base + range.start..base + range.end,
    })
}

/// `each.value.a["b"]` → the steps after `each.value`; `None` for any
/// other expression.
fn steps_after(expr: &Expression, root: &str, first: &str) -> Option<Vec<PathStep>> {
    let Expression::Traversal(t) = expr else {
        return None;
    };
    let Expression::Variable(v) = &t.expr else {
        return None;
    };
    if v.as_str() != root {
        return None;
    }
    let mut ops = t.operators.iter().map(|op| op.value());
    match ops.next() {
        Some(TraversalOperator::GetAttr(a)) if a.as_str() == first => {}
        _ => return None,
    }
    ops.map(|op| match op {
        TraversalOperator::GetAttr(a) => Some(PathStep::Key(a.to_string())),
        TraversalOperator::Index(Expression::String(s)) => Some(PathStep::Key(s.to_string())),
        TraversalOperator::Index(Expression::Number(n)) => {
            Some(PathStep::Index(usize::try_from(n.value().as_u64()?).ok()?))
        }
        TraversalOperator::LegacyIndex(n) => {
            Some(PathStep::Index(usize::try_from(*n.value()).ok()?))
        }
        _ => None,
    })
    .collect()
}

/// Where the value of attribute `name` of the `for_each` instance
/// `address` is written, when it is `each.value...` of a `for_each` over a
/// map literal or a variable: the map entry itself, in the configuration
/// or the variable file. `None` when it cannot be traced.
pub(crate) fn value_written_at(
    sources: &Sources,
    decls: &Decls,
    origins: &HashMap<String, Origin>,
    address: &Address,
    name: &str,
) -> Option<Span> {
    let Some(InstanceKey::Name(key)) = &address.key else {
        return None;
    };
    let kind = ResourceKind::Page;
    let decl = decls
        .resources
        .iter()
        .find(|d| d.kind == kind && d.name == address.name)?;
    let mut tail = steps_after(&decl.attrs.get(name)?.expr, "each", "value")?;
    let for_each: &Attr = decl.for_each()?;
    let mut path = Vec::new();
    let (expr, file, base, owned);
    match variable_steps(&for_each.expr) {
        Some((variable, steps)) => {
            path.extend(steps);
            match origins.get(&variable)? {
                Origin::Default => {
                    let default = decls
                        .variables
                        .iter()
                        .find(|v| v.name == variable)?
                        .default
                        .as_ref()?;
                    (expr, file, base) = (&default.expr, default.expr_span.file, default.base);
                }
                Origin::File(id) => {
                    let body = hcl_edit::parser::parse_body(sources.text(*id)).ok()?;
                    owned = body.into_iter().find_map(|structure| match structure {
                        Structure::Attribute(a) if a.key.as_str() == variable => Some(a.value),
                        _ => None,
                    })?;
                    (expr, file, base) = (&owned, *id, 0);
                }
                Origin::Elsewhere => return None,
            }
        }
        None if matches!(for_each.expr, Expression::Object(_)) => {
            (expr, file, base) = (&for_each.expr, for_each.expr_span.file, for_each.base);
        }
        None => return None,
    }
    path.push(PathStep::Key(key.clone()));
    path.append(&mut tail);
    match follow(expr, &path) {
        (found, true) => span_of(found, file, base),
        (_, false) => None,
    }
}

/// `var.NAME.a["b"]` → (`NAME`, the steps after it).
fn variable_steps(expr: &Expression) -> Option<(String, Vec<PathStep>)> {
    let Expression::Traversal(t) = expr else {
        return None;
    };
    let Expression::Variable(v) = &t.expr else {
        return None;
    };
    if v.as_str() != "var" {
        return None;
    }
    let Some(TraversalOperator::GetAttr(name)) = t.operators.first().map(|op| op.value()) else {
        return None;
    };
    let steps = steps_after(expr, "var", name.as_str())?;
    Some((name.to_string(), steps))
}
