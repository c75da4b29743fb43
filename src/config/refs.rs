//! Static analysis of one expression: which names it references (with
//! spans, for dependency order and "unknown reference" diagnostics) and which
//! functions it calls. Runs before evaluation so errors point at the exact
//! reference instead of the whole attribute.

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};
use std::ops::Range;

/// Expression trees deeper than this are refused. hcl-edit's parser already
/// bounds nesting (64 levels); this keeps the evaluator safe should that change.
pub(crate) const MAX_DEPTH: usize = 256;

/// One step after the root of a reference, as far as it is static.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Step {
    Attr(String),
    /// `["name"]`: a map key, a `for_each` instance.
    Key(String),
    /// `[0]`: a list index, a `count` instance.
    Index(u64),
}

/// `var.x`, `page.region["emea"].page_id`, `each.value`…
#[derive(Clone, Debug)]
pub(crate) struct Reference {
    pub(crate) root: String,
    /// Static steps only; stops at the first computed index or splat.
    pub(crate) steps: Vec<Step>,
    /// The static steps are followed by `[each.key]`: the evaluator then
    /// needs only that one instance of the map the steps lead to.
    pub(crate) each_key_index: bool,
    pub(crate) range: Range<usize>,
}

#[derive(Clone, Debug)]
pub(crate) struct FuncUse {
    pub(crate) name: String,
    pub(crate) range: Range<usize>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct ExprInfo {
    pub(crate) refs: Vec<Reference>,
    pub(crate) funcs: Vec<FuncUse>,
    /// Where the depth limit was hit, if it was.
    pub(crate) too_deep: Option<Range<usize>>,
}

pub(crate) fn analyze(expr: &Expression) -> ExprInfo {
    analyze_with_limit(expr, MAX_DEPTH)
}

fn analyze_with_limit(expr: &Expression, limit: usize) -> ExprInfo {
    let mut walker = Walker {
        info: ExprInfo::default(),
        scope: Vec::new(),
        limit,
    };
    walker.expr(expr, 0);
    walker.info
}

struct Walker {
    info: ExprInfo,
    /// Names bound by enclosing `for` expressions and template directives.
    scope: Vec<String>,
    limit: usize,
}

/// `each.key`, exactly.
fn is_each_key(expr: &Expression) -> bool {
    let Expression::Traversal(t) = expr else {
        return false;
    };
    matches!(&t.expr, Expression::Variable(v) if v.as_str() == "each")
        && t.operators.len() == 1
        && matches!(t.operators[0].value(), TraversalOperator::GetAttr(a) if a.as_str() == "key")
}

fn range_of(expr: &Expression) -> Range<usize> {
    expr.span().unwrap_or(0..0)
}

impl Walker {
    fn bound(&self, name: &str) -> bool {
        self.scope.iter().any(|s| s == name)
    }

    fn expr(&mut self, expr: &Expression, depth: usize) {
        if depth > self.limit {
            if self.info.too_deep.is_none() {
                self.info.too_deep = Some(range_of(expr));
            }
            return;
        }
        let d = depth + 1;
        match expr {
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => {}
            Expression::Array(array) => array.iter().for_each(|e| self.expr(e, d)),
            Expression::Object(object) => {
                for (key, value) in object.iter() {
                    // A bare identifier key is a literal name, not a reference.
                    if let ObjectKey::Expression(k) = key {
                        self.expr(k, d);
                    }
                    self.expr(value.expr(), d);
                }
            }
            Expression::StringTemplate(t) => self.template(t, d),
            Expression::HeredocTemplate(h) => self.template(&h.template, d),
            Expression::Parenthesis(p) => self.expr(p.inner(), d),
            Expression::Variable(v) => {
                if !self.bound(v.as_str()) {
                    self.info.refs.push(Reference {
                        root: v.as_str().to_string(),
                        steps: Vec::new(),
                        each_key_index: false,
                        range: range_of(expr),
                    });
                }
            }
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr, d);
                self.expr(&c.true_expr, d);
                self.expr(&c.false_expr, d);
            }
            Expression::FuncCall(call) => {
                let mut name = call
                    .name
                    .namespace
                    .iter()
                    .map(|n| format!("{}::", n.as_str()))
                    .collect::<String>();
                name.push_str(call.name.name.as_str());
                self.info.funcs.push(FuncUse {
                    name,
                    range: call.name.name.span().unwrap_or_else(|| range_of(expr)),
                });
                call.args.iter().for_each(|a| self.expr(a, d));
            }
            Expression::Traversal(t) => {
                if let Expression::Variable(v) = &t.expr
                    && !self.bound(v.as_str())
                {
                    let mut steps = Vec::new();
                    let mut each_key_index = false;
                    for op in &t.operators {
                        match op.value() {
                            TraversalOperator::GetAttr(a) => steps.push(Step::Attr(a.to_string())),
                            TraversalOperator::LegacyIndex(n) => {
                                steps.push(Step::Index(*n.value()))
                            }
                            TraversalOperator::Index(Expression::String(s)) => {
                                steps.push(Step::Key(s.value().clone()))
                            }
                            // A whole number indexes a list; any other number
                            // is left to the evaluator, whose error names it.
                            TraversalOperator::Index(Expression::Number(n))
                                if n.value().as_u64().is_some() =>
                            {
                                steps.push(Step::Index(n.value().as_u64().unwrap_or_default()))
                            }
                            TraversalOperator::Index(i) => {
                                each_key_index = !self.bound("each") && is_each_key(i);
                                break;
                            }
                            _ => break,
                        }
                    }
                    self.info.refs.push(Reference {
                        root: v.as_str().to_string(),
                        steps,
                        each_key_index,
                        range: range_of(expr),
                    });
                } else {
                    self.expr(&t.expr, d);
                }
                for op in &t.operators {
                    if let TraversalOperator::Index(i) = op.value() {
                        self.expr(i, d);
                    }
                }
            }
            Expression::UnaryOp(u) => self.expr(&u.expr, d),
            Expression::BinaryOp(b) => {
                self.expr(&b.lhs_expr, d);
                self.expr(&b.rhs_expr, d);
            }
            Expression::ForExpr(f) => {
                self.expr(&f.intro.collection_expr, d);
                let saved = self.scope.len();
                if let Some(k) = &f.intro.key_var {
                    self.scope.push(k.as_str().to_string());
                }
                self.scope.push(f.intro.value_var.as_str().to_string());
                if let Some(k) = &f.key_expr {
                    self.expr(k, d);
                }
                self.expr(&f.value_expr, d);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr, d);
                }
                self.scope.truncate(saved);
            }
        }
    }

    fn template(&mut self, template: &Template, depth: usize) {
        if depth > self.limit {
            return;
        }
        let d = depth + 1;
        for element in template.iter() {
            match element {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr, d),
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(i) => {
                        self.expr(&i.if_expr.cond_expr, d);
                        self.template(&i.if_expr.template, d);
                        if let Some(e) = &i.else_expr {
                            self.template(&e.template, d);
                        }
                    }
                    Directive::For(f) => {
                        let e = &f.for_expr;
                        self.expr(&e.collection_expr, d);
                        let saved = self.scope.len();
                        if let Some(k) = &e.key_var {
                            self.scope.push(k.as_str().to_string());
                        }
                        self.scope.push(e.value_var.as_str().to_string());
                        self.template(&e.template, d);
                        self.scope.truncate(saved);
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Expression {
        hcl_edit::parser::parse_expr(src).unwrap()
    }

    #[test]
    fn collects_static_steps_and_spans() {
        let src = r#"page.region["emea"].page_id"#;
        let info = analyze(&parse(src));
        assert_eq!(info.refs.len(), 1);
        let r = &info.refs[0];
        assert_eq!(r.root, "page");
        assert_eq!(
            r.steps,
            vec![
                Step::Attr("region".into()),
                Step::Key("emea".into()),
                Step::Attr("page_id".into())
            ]
        );
        assert_eq!(r.range, 0..src.len());
    }

    #[test]
    fn a_whole_number_index_is_not_a_string_key() {
        let steps = |src: &str| analyze(&parse(src)).refs[0].steps.clone();
        assert_eq!(
            steps("page.p[1].page_id"),
            vec![
                Step::Attr("p".into()),
                Step::Index(1),
                Step::Attr("page_id".into())
            ]
        );
        assert_eq!(
            steps(r#"page.p["1"]"#),
            vec![Step::Attr("p".into()), Step::Key("1".into())]
        );
        assert_eq!(
            steps("page.p.0"),
            vec![Step::Attr("p".into()), Step::Index(0)]
        );
        // Not a whole number: left to the evaluator.
        assert_eq!(steps("page.p[1.5]"), vec![Step::Attr("p".into())]);
    }

    #[test]
    fn an_each_key_index_after_the_static_steps_is_noted() {
        let info = analyze(&parse("page.p[each.key].page_id"));
        assert_eq!(info.refs[0].steps, vec![Step::Attr("p".into())]);
        assert!(info.refs[0].each_key_index);
        let others = [
            "page.p[each.value].page_id",
            "page.p[each.key.x]",
            "{ for each in [1] : page.p[each.key] => 1 }",
        ];
        for src in others {
            let info = analyze(&parse(src));
            let page = info.refs.iter().find(|r| r.root == "page").unwrap();
            assert!(!page.each_key_index, "{src}");
        }
    }

    #[test]
    fn for_variables_are_not_references() {
        let info = analyze(&parse(
            r#"{ for k, v in var.m : k => "${v}-${local.x}" if v != "" }"#,
        ));
        let roots: Vec<_> = info.refs.iter().map(|r| r.root.as_str()).collect();
        assert_eq!(roots, ["var", "local"]);
    }

    #[test]
    fn function_calls_and_template_directives() {
        let info = analyze(&parse(r#"upper("%{for x in var.l}${x}%{endfor}")"#));
        assert_eq!(info.funcs[0].name, "upper");
        assert_eq!(info.funcs[0].range, 0..5);
        assert_eq!(info.refs.len(), 1);
    }

    #[test]
    fn depth_is_bounded() {
        // hcl-edit's parser already refuses deep input, so exercise the
        // walker's own bound with a small limit.
        let expr = parse("[[[[1]]]]");
        assert_eq!(analyze_with_limit(&expr, 2).too_deep, Some(3..6));
        assert!(analyze_with_limit(&expr, 4).too_deep.is_none());
    }
}
