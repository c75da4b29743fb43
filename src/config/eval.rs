//! Evaluating expressions: reference checking (with "did you mean"),
//! the evaluation context, the dependency graph between locals, pages and
//! links, and its topological order with cycle detection.

use super::diagnostic::{Diagnostic, suggest};
use super::files::{FileId, Sources, Span};
use super::functions;
use super::limits::MAX_VALUE_BYTES;
use super::refs::{ExprInfo, Reference, Step, analyze};
use super::resources::{Attr, DataKind, Decls};
use super::types::type_name;
use crate::address::ResourceKind;
use fxhash::{FxHashMap, FxHashSet};
use hcl::eval::{Context, ErrorKind, Evaluate};
use hcl::{Map, Value};
use std::collections::{HashMap, HashSet};

/// A variable's value after every source was applied.
#[derive(Clone, Debug)]
pub(crate) enum VarState {
    Set(Value),
    Unset,
    /// A value was given and refused, and that was reported: whatever
    /// uses the variable is left out without a second error.
    Invalid,
}

pub(crate) const PAGE_FIELDS: &[&str] = &["page_id", "name"];
pub(crate) const LINK_FIELDS: &[&str] = &["page", "application"];
/// `id` is unknown until the application exists: it evaluates to a
/// placeholder (`application::unknown_id`) that the planner resolves.
pub(crate) const APPLICATION_FIELDS: &[&str] = &["id", "name"];

/// What names an expression may use besides var/local/page/link.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Scope {
    /// Only literals and functions: variable defaults, sfvars files.
    Constant,
    /// Locals, provider, import ids, for_each expressions.
    Plain,
    /// Attributes of a block with for_each: `each.key`, `each.value` too.
    Each,
    /// Attributes of a block with count: `count.index` too.
    Count,
}

impl Scope {
    /// The name the instance's binding is declared under: `each` or `count`.
    fn binding(self) -> Option<&'static str> {
        match self {
            Scope::Each => Some("each"),
            Scope::Count => Some("count"),
            Scope::Constant | Scope::Plain => None,
        }
    }
}

/// Each node's direct dependencies (deduplicated), and where it is declared.
pub(crate) type Deps = FxHashMap<Node, (Vec<Node>, Span)>;

/// A node of the dependency graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Node {
    Local(String),
    Resource(ResourceKind, String),
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Node::Local(n) => write!(f, "local.{n}"),
            Node::Resource(k, n) => write!(f, "{}.{n}", k.as_str()),
        }
    }
}

pub(crate) struct Evaluator<'a> {
    pub(crate) sources: &'a Sources,
    pub(crate) decls: &'a Decls,
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) vars: HashMap<String, VarState>,
    /// Evaluated values, exposed to later expressions as `local.*`, `page.*`, `link.*`.
    pub(crate) locals: Map<String, Value>,
    pub(crate) pages: Map<String, Value>,
    pub(crate) links: Map<String, Value>,
    pub(crate) applications: Map<String, Value>,
    /// An access_token that uses an unset variable becomes unknown instead of an error.
    pub(crate) allow_unknown_tokens: bool,
    /// See `LoadOptions::allow_unset_credentials`.
    pub(crate) allow_unset_credentials: bool,
    /// `data.facebook_pages.NAME.pages` for every declared data source, once
    /// Facebook has answered; `None` before (as in `validate`, offline).
    pub(crate) data: Option<Value>,
    /// Whether `data.facebook_pages` is known (in `data`).
    pub(crate) pages_known: bool,
    /// The account's applications, when known (`data.vonage_applications`
    /// is then in `data`): to say which name matches none or several.
    pub(crate) vonage_applications: Option<std::sync::Arc<Vec<super::DataApplication>>>,
    /// Set when an expression needed `data.facebook_pages` while it was
    /// unknown: what used it was left out, silently, and must be evaluated
    /// again once Facebook has answered.
    pub(crate) data_unknown: bool,
    /// The same for `data.vonage_applications`, until Vonage has answered.
    pub(crate) applications_unknown: bool,
    /// (span, message) of every error reported: the instances of a
    /// for_each or count block share their expressions, so a mistake in
    /// one is reported once, not once per instance.
    pub(crate) reported: HashSet<(FileId, std::ops::Range<usize>, String)>,
}

/// The size of `v` in bytes (strings, keys, and one per scalar), stopping
/// as soon as it passes `MAX_VALUE_BYTES`.
fn value_bytes(v: &Value) -> usize {
    match v {
        Value::String(text) => text.len(),
        Value::Array(items) => {
            let mut total = 0usize;
            for item in items {
                total = total.saturating_add(value_bytes(item));
                if total > MAX_VALUE_BYTES {
                    break;
                }
            }
            total
        }
        Value::Object(map) => {
            let mut total = 0usize;
            for (key, item) in map {
                total = total.saturating_add(key.len() + value_bytes(item));
                if total > MAX_VALUE_BYTES {
                    break;
                }
            }
            total
        }
        _ => 1,
    }
}

fn index_array(value: &Value, index: u64) -> Option<&Value> {
    value.as_array()?.get(usize::try_from(index).ok()?)
}

fn all_finite(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_f64().is_some_and(f64::is_finite),
        Value::Array(items) => items.iter().all(all_finite),
        Value::Object(m) => m.values().all(all_finite),
        _ => true,
    }
}

/// The value of an expression made only of literals (strings without
/// interpolation, numbers, bools, null, and arrays and objects of those with
/// plain keys), or `None` for anything that needs evaluating. (The parser
/// already refused duplicate object keys.)
pub(crate) fn literal_value(expr: &hcl_edit::expr::Expression) -> Option<Value> {
    use hcl_edit::expr::{Expression as E, ObjectKey};
    Some(match expr {
        E::Null(_) => Value::Null,
        E::Bool(b) => Value::Bool(*b.value()),
        E::Number(n) => Value::Number(*n.value()),
        E::String(s) => Value::String(s.value().clone()),
        E::Array(items) => Value::Array(items.iter().map(literal_value).collect::<Option<_>>()?),
        E::Object(object) => {
            let mut map = Map::new();
            for (key, value) in object.iter() {
                let key = match key {
                    ObjectKey::Ident(i) => i.as_str().to_string(),
                    ObjectKey::Expression(E::String(s)) => s.value().clone(),
                    ObjectKey::Expression(_) => return None,
                };
                map.insert(key, literal_value(value.expr())?);
            }
            Value::Object(map)
        }
        _ => return None,
    })
}

pub(crate) fn unset_help(name: &str) -> String {
    format!(
        "set it with --var {name}=VALUE, with `{name} = VALUE` in socialform.sfvars or a *.auto.sfvars file, or with the environment variable SF_VAR_{name}"
    )
}

/// An evaluation error in words, naming types but never values (a value may
/// be a token or a sensitive variable).
fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::Message(m) => m.clone(),
        ErrorKind::UndefinedVar(i) => format!("unknown name `{i}`"),
        ErrorKind::UndefinedFunc(f) => format!("unknown function `{f}`"),
        ErrorKind::Unexpected(v, expected) => format!("expected {expected}, got {}", type_name(v)),
        ErrorKind::Index(i) => format!("index {i} is out of range"),
        ErrorKind::UnaryOp(op, v) => {
            format!("operator `{op}` cannot be applied to a {}", type_name(v))
        }
        ErrorKind::BinaryOp(l, op, r) => format!(
            "operator `{op}` cannot be applied to {} and {}",
            type_name(l),
            type_name(r)
        ),
        ErrorKind::NoSuchKey(k) => format!("no element or attribute named {k:?}"),
        ErrorKind::KeyExists(k) => format!("the for expression produces the key {k:?} twice"),
        ErrorKind::FuncCall(name, msg) => format!("{name}(): {msg}"),
        other => other.to_string(),
    }
}

/// What is wrong with `wanted` as a key of `source`'s `by_name` (which
/// lists `listed`, applications of kind `which`): (message, help), or
/// `None` when exactly one application has that name.
fn name_problem(
    listed: &[&super::DataApplication],
    which: &str,
    source: &str,
    wanted: &str,
) -> Option<(String, String)> {
    let found: Vec<_> = listed.iter().filter(|a| a.name == wanted).collect();
    match found.len() {
        1 => None,
        0 => {
            let mut names: Vec<String> = listed.iter().map(|a| format!("{:?}", a.name)).collect();
            names.dedup();
            let names = if names.is_empty() {
                format!("the account has no {which}")
            } else if names.len() > 10 {
                format!("its {which}s include {}, …", names[..10].join(", "))
            } else {
                format!("its {which}s are named {}", names.join(", "))
            };
            Some((
                format!("no {which} is named {wanted:?} ({source})"),
                format!(
                    "{names}; correct the name, or declare the application with an application block and refer to application.NAME.id"
                ),
            ))
        }
        n => {
            let ids: Vec<&str> = found.iter().map(|a| a.id.as_str()).collect();
            Some((
                format!(
                    "{n} {which}s are named {wanted:?} ({source}): {}",
                    ids.join(", ")
                ),
                format!(
                    "rename all but one at Vonage, or choose one by its id: {source}.by_id[\"{}\"].id",
                    ids[0]
                ),
            ))
        }
    }
}

impl<'a> Evaluator<'a> {
    pub(crate) fn error(&mut self, at: &Span, message: impl Into<String>, help: Option<String>) {
        let message = message.into();
        if !self
            .reported
            .insert((at.file, at.range.clone(), message.clone()))
        {
            return;
        }
        let d = self.sources.error(at, message).with_help_opt(help);
        self.diags.push(d);
    }

    /// A span inside `attr`'s expression, in its file.
    fn span_in(attr: &Attr, range: &std::ops::Range<usize>) -> Span {
        Span {
            file: attr.expr_span.file,
            range: range.start + attr.base..range.end + attr.base,
        }
    }

    /// Checks every reference and function call in `attr`; false if any is wrong.
    fn check(&mut self, attr: &Attr, info: &ExprInfo, scope: Scope) -> bool {
        let mut ok = true;
        if let Some(range) = &info.too_deep {
            let at = Self::span_in(attr, range);
            self.error(
                &at,
                "expression nested too deeply",
                Some("split it into smaller parts using locals".into()),
            );
            return false;
        }
        for f in &info.funcs {
            if !functions::is_known(&f.name) {
                let at = Self::span_in(attr, &f.range);
                let help = suggest(&f.name, functions::names())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| {
                        format!(
                            "available functions: {}",
                            functions::names().collect::<Vec<_>>().join(", ")
                        )
                    });
                self.error(&at, format!("unknown function `{}`", f.name), Some(help));
                ok = false;
            }
        }
        for r in &info.refs {
            if r.root == "data" && self.check_ref(&r.root, &r.steps, scope).is_ok() {
                let source = match r.steps.first() {
                    Some(Step::Attr(a)) => DataKind::parse(a),
                    _ => None,
                };
                match source {
                    // Only Facebook knows; not an error, and not evaluable yet.
                    Some(DataKind::FacebookPages) if !self.pages_known => {
                        self.data_unknown = true;
                        ok = false;
                        continue;
                    }
                    // Only Vonage knows (plan reads it; validate does not).
                    Some(DataKind::VonageApplications) if self.vonage_applications.is_none() => {
                        self.applications_unknown = true;
                        ok = false;
                        continue;
                    }
                    _ => {}
                }
            }
            if self.refers_to_broken(&r.root, &r.steps) {
                // Its own error is reported; "unknown" would be false.
                ok = false;
                continue;
            }
            let at = Self::span_in(attr, &r.range);
            if let Err((message, help)) = self.check_ref(&r.root, &r.steps, scope) {
                self.error(&at, message, help);
                ok = false;
            }
        }
        ok
    }

    /// Whether a reference names a block declared with errors in its body,
    /// or a variable whose value was refused.
    fn refers_to_broken(&self, root: &str, steps: &[Step]) -> bool {
        if root == "var" {
            return matches!(steps.first(), Some(Step::Attr(name))
                if matches!(self.vars.get(name), Some(VarState::Invalid)));
        }
        let kind = match root {
            "page" => ResourceKind::Page,
            "link" => ResourceKind::Link,
            "application" => ResourceKind::Application,
            _ => return false,
        };
        match steps.first() {
            Some(Step::Attr(name)) => self.decls.broken.contains(&(kind, name.clone())),
            _ => false,
        }
    }

    fn check_ref(
        &self,
        root: &str,
        steps: &[Step],
        scope: Scope,
    ) -> Result<(), (String, Option<String>)> {
        let first = match steps.first() {
            Some(Step::Attr(a)) => Some(a.as_str()),
            _ => None,
        };
        let did_you_mean = |name: &str, candidates: Vec<&str>| {
            suggest(name, candidates).map(|s| format!("did you mean `{root}.{s}`?"))
        };
        if scope == Scope::Constant
            && matches!(
                root,
                "var" | "local" | "page" | "link" | "application" | "each" | "count" | "data"
            )
        {
            return Err((
                format!("`{root}` cannot be used here"),
                Some("only literal values and functions are allowed here".into()),
            ));
        }
        match root {
            "var" => {
                let name = first.ok_or_else(|| {
                    (
                        "`var` must be followed by a variable name, like var.NAME".to_string(),
                        None,
                    )
                })?;
                match self.vars.get(name) {
                    None => {
                        let candidates = self
                            .decls
                            .variables
                            .iter()
                            .map(|v| v.name.as_str())
                            .collect();
                        Err((
                            format!("unknown variable `var.{name}`"),
                            did_you_mean(name, candidates)
                                .or(Some(format!("declare it with `variable \"{name}\" {{}}`"))),
                        ))
                    }
                    Some(VarState::Unset) => Err((
                        format!("variable `{name}` is not set and has no default"),
                        Some(unset_help(name)),
                    )),
                    Some(VarState::Set(_) | VarState::Invalid) => Ok(()),
                }
            }
            "local" => {
                let name = first.ok_or_else(|| {
                    (
                        "`local` must be followed by a name, like local.NAME".to_string(),
                        None,
                    )
                })?;
                if self.decls.locals.iter().any(|l| l.attr.name == name) {
                    return Ok(());
                }
                let candidates = self
                    .decls
                    .locals
                    .iter()
                    .map(|l| l.attr.name.as_str())
                    .collect();
                Err((
                    format!("unknown local value `local.{name}`"),
                    did_you_mean(name, candidates)
                        .or(Some("declare it in a locals { ... } block".into())),
                ))
            }
            "page" | "link" | "application" => {
                let (kind, fields) = match root {
                    "page" => (ResourceKind::Page, PAGE_FIELDS),
                    "link" => (ResourceKind::Link, LINK_FIELDS),
                    _ => (ResourceKind::Application, APPLICATION_FIELDS),
                };
                let name = first.ok_or_else(|| {
                    (
                        format!("`{root}` must be followed by a name, like {root}.NAME"),
                        None,
                    )
                })?;
                let Some(decl) = self.decls.resource(kind, name) else {
                    let candidates = self
                        .decls
                        .resources
                        .iter()
                        .filter(|r| r.kind == kind)
                        .map(|r| r.name.as_str())
                        .collect();
                    return Err((
                        format!("unknown {root} `{root}.{name}`"),
                        did_you_mean(name, candidates).or(Some(format!(
                            "declare it with `{root} \"{name}\" {{ ... }}`"
                        ))),
                    ));
                };
                let mut rest = &steps[1..];
                // A for_each block is a map of instances (`["KEY"]`), a
                // count block a list (`[0]`), any other block one object.
                match (
                    decl.for_each().is_some(),
                    decl.count().is_some(),
                    rest.first(),
                ) {
                    (true, _, Some(Step::Attr(a))) => {
                        return Err((
                            format!("{root}.{name} uses for_each, so `.{a}` needs an instance key"),
                            Some(format!(
                                "write {root}.{name}[\"KEY\"].{a}, or iterate: [for k, p in {root}.{name} : p.{a}]"
                            )),
                        ));
                    }
                    (true, _, Some(Step::Key(_))) => rest = &rest[1..],
                    (true, _, Some(Step::Index(i))) => {
                        return Err((
                            format!(
                                "{root}.{name} uses for_each, so its instances have keys, not indexes like [{i}]"
                            ),
                            Some(format!(
                                "write {root}.{name}[\"KEY\"] with a key of its for_each"
                            )),
                        ));
                    }
                    (_, true, Some(Step::Attr(a))) => {
                        return Err((
                            format!("{root}.{name} uses count, so `.{a}` needs an instance index"),
                            Some(format!(
                                "write {root}.{name}[0].{a} (or [count.index] in a block with the same count), or iterate: [for p in {root}.{name} : p.{a}]"
                            )),
                        ));
                    }
                    (_, true, Some(Step::Index(i))) => {
                        // The block was evaluated before this expression
                        // (dependency order): its instances are known.
                        let instances = match kind {
                            ResourceKind::Page => self.pages.get(name),
                            ResourceKind::Link => self.links.get(name),
                            ResourceKind::Application => self.applications.get(name),
                        };
                        if let Some(hcl::Value::Array(items)) = instances
                            && *i >= items.len() as u64
                        {
                            let help = match items.len() {
                                0 => "its count is 0, so it has no instances".to_string(),
                                n => format!("use an index from 0 to {}", n - 1),
                            };
                            return Err((
                                format!(
                                    "{root}.{name}[{i}] does not exist: {root}.{name} has count = {}",
                                    items.len()
                                ),
                                Some(help),
                            ));
                        }
                        rest = &rest[1..]
                    }
                    (_, true, Some(Step::Key(k))) => {
                        return Err((
                            format!(
                                "{root}.{name} uses count, so its instances have indexes, not keys like [{k:?}]"
                            ),
                            Some(format!("write {root}.{name}[0], {root}.{name}[1], …")),
                        ));
                    }
                    (false, false, Some(Step::Key(k))) => {
                        return Err((
                            format!(
                                "{root}.{name} has no for_each, so it cannot be indexed with [{k:?}]"
                            ),
                            Some(format!("write {root}.{name}.ATTRIBUTE")),
                        ));
                    }
                    (false, false, Some(Step::Index(i))) => {
                        return Err((
                            format!(
                                "{root}.{name} has no count, so it cannot be indexed with [{i}]"
                            ),
                            Some(format!("write {root}.{name}.ATTRIBUTE")),
                        ));
                    }
                    _ => {}
                }
                match rest.first() {
                    Some(Step::Attr(a)) if a == "access_token" => Err((
                        "a page's access_token cannot be referenced: it is sensitive".into(),
                        Some("use the variable that holds the token instead".into()),
                    )),
                    Some(Step::Attr(a)) if !fields.contains(&a.as_str()) => Err((
                        format!("{root} has no attribute `{a}`"),
                        Some(match suggest(a, fields.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("a {root} has: {}", fields.join(", ")),
                        }),
                    )),
                    _ => Ok(()),
                }
            }
            "each" => {
                if scope == Scope::Count {
                    return Err((
                        "`each` is only available in a block that has for_each; this block uses count".into(),
                        Some("use count.index, the instance's number (0, 1, …)".into()),
                    ));
                }
                if scope != Scope::Each {
                    return Err((
                        "`each` is only available in a block that has for_each".into(),
                        Some(
                            "add for_each to the block, or use a variable or local instead".into(),
                        ),
                    ));
                }
                match first {
                    Some("key" | "value") => Ok(()),
                    Some(other) => Err((
                        format!("`each` has no attribute `{other}`"),
                        Some("use each.key or each.value".into()),
                    )),
                    None => Err((
                        "`each` must be followed by .key or .value".into(),
                        Some("use each.key or each.value".into()),
                    )),
                }
            }
            "data" => self.check_data_ref(steps),
            "count" => {
                if scope == Scope::Each {
                    return Err((
                        "`count` is only available in a block that has count; this block uses for_each".into(),
                        Some("use each.key or each.value".into()),
                    ));
                }
                if scope != Scope::Count {
                    return Err((
                        "`count.index` is only available in a block that has count".into(),
                        Some(
                            "add count = N to the block, or use a variable or local instead".into(),
                        ),
                    ));
                }
                match first {
                    Some("index") => Ok(()),
                    Some(other) => Err((
                        format!("`count` has no attribute `{other}`"),
                        Some("use count.index".into()),
                    )),
                    None => Err((
                        "`count` must be followed by .index".into(),
                        Some("use count.index".into()),
                    )),
                }
            }
            other => {
                let roots = [
                    "var",
                    "local",
                    "page",
                    "link",
                    "application",
                    "each",
                    "count",
                    "data",
                ];
                Err((
                    format!("unknown name `{other}`"),
                    Some(match suggest(other, roots) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "references start with var., local., page., link., application., each., count. or data."
                            .into(),
                    }),
                ))
            }
        }
    }

    /// `data.facebook_pages.NAME.pages` and `data.vonage_applications.NAME`
    /// with `.applications`, `.by_id` or `.by_name`.
    fn check_data_ref(&self, steps: &[Step]) -> Result<(), (String, Option<String>)> {
        let attr = |i: usize| match steps.get(i) {
            Some(Step::Attr(a)) => Some(a.as_str()),
            _ => None,
        };
        let sources = "data.facebook_pages.NAME.pages or data.vonage_applications.NAME.by_name";
        let kind = match attr(0) {
            Some(source) => DataKind::parse(source).ok_or_else(|| {
                (
                    format!("unknown data source `data.{source}`"),
                    Some(match suggest(source, ["facebook_pages", "vonage_applications"]) {
                        Some(s) => format!("did you mean `data.{s}`?"),
                        None => format!("the data sources are facebook_pages and vonage_applications: write {sources}"),
                    }),
                )
            })?,
            None => {
                return Err((
                    "`data` must be followed by a data source, like data.facebook_pages.NAME"
                        .into(),
                    Some(format!("write {sources}")),
                ));
            }
        };
        let source = kind.as_str();
        let example = match kind {
            DataKind::FacebookPages => "data.facebook_pages.NAME.pages",
            DataKind::VonageApplications => {
                "data.vonage_applications.NAME.by_name[\"APPLICATION NAME\"].id"
            }
        };
        let Some(name) = attr(1) else {
            return Err((
                format!("`data.{source}` must be followed by the data block's name"),
                Some(format!("write {example}")),
            ));
        };
        let declared = self.decls.data.iter().filter(|d| d.kind == kind);
        if !declared.clone().any(|d| d.name == name) {
            let candidates = declared.map(|d| d.name.as_str());
            let body = match kind {
                DataKind::FacebookPages => "{}",
                DataKind::VonageApplications => "{ capability = \"messages\" }",
            };
            return Err((
                format!("unknown data source `data.{source}.{name}`"),
                Some(match suggest(name, candidates) {
                    Some(s) => format!("did you mean `data.{source}.{s}`?"),
                    None => format!("declare it with `data \"{source}\" \"{name}\" {body}`"),
                }),
            ));
        }
        match (kind, attr(2)) {
            (_, None) => Ok(()),
            (DataKind::FacebookPages, Some("pages")) => Ok(()),
            (DataKind::VonageApplications, Some("applications" | "by_id" | "by_name")) => Ok(()),
            (DataKind::FacebookPages, Some(other)) => Err((
                format!("data.facebook_pages has no attribute `{other}`"),
                Some(format!(
                    "use {example}: a map from page ID to {{ id, name, tasks }}"
                )),
            )),
            (DataKind::VonageApplications, Some(other)) => Err((
                format!("data.vonage_applications has no attribute `{other}`"),
                Some(
                    "use .by_name[\"NAME\"] or .by_id[\"ID\"] (maps to { id, name, capabilities, inbound_url, status_url }), or .applications (a list of them)"
                        .into(),
                ),
            )),
        }
    }

    /// Where `data.vonage_applications.NAME.by_name` is used once Vonage has
    /// answered: a name that matches no application, or several, is an
    /// error at the reference (and the whole map cannot be used while two
    /// applications share a name); false if any was found.
    fn check_application_names(
        &mut self,
        attr: &Attr,
        info: &ExprInfo,
        each: Option<&Value>,
    ) -> bool {
        let Some(apps) = self.vonage_applications.clone() else {
            return true;
        };
        let each_key = match each {
            Some(Value::Object(m)) => m.get("key").and_then(Value::as_str),
            _ => None,
        };
        let mut ok = true;
        for r in &info.refs {
            let [
                Step::Attr(root),
                Step::Attr(block),
                Step::Attr(by),
                rest @ ..,
            ] = r.steps.as_slice()
            else {
                continue;
            };
            if r.root != "data" || root != "vonage_applications" || by != "by_name" {
                continue;
            }
            let Some(decl) = self
                .decls
                .data
                .iter()
                .find(|d| d.kind == DataKind::VonageApplications && d.name == *block)
            else {
                continue;
            };
            let listed = super::filtered(&apps, decl.capability.as_deref());
            let which = match &decl.capability {
                Some(c) => format!("{c} application"),
                None => "application".to_string(),
            };
            let at = Self::span_in(attr, &r.range);
            let source = format!("data.vonage_applications.{block}");
            let wanted = match rest.first() {
                Some(Step::Key(k)) => Some(k.as_str()),
                Some(_) => continue,
                None if r.each_key_index => each_key,
                None => None,
            };
            match wanted {
                Some(wanted) => {
                    if let Some((message, help)) = name_problem(&listed, &which, &source, wanted) {
                        self.error(&at, message, Some(help));
                        ok = false;
                    }
                }
                None => {
                    let mut shared: Vec<&str> = listed
                        .windows(2)
                        .filter(|w| w[0].name == w[1].name)
                        .map(|w| w[0].name.as_str())
                        .collect();
                    shared.dedup();
                    if let Some(first) = shared.first() {
                        let names: Vec<String> = shared.iter().map(|n| format!("{n:?}")).collect();
                        self.error(
                            &at,
                            format!(
                                "{source}.by_name cannot be used whole: several {which}s are named {}",
                                names.join(", ")
                            ),
                            Some(format!(
                                "rename all but one of the {first:?} applications at Vonage, or use {source}.by_id or {source}.applications, which keep every application"
                            )),
                        );
                        ok = false;
                    }
                }
            }
        }
        ok
    }

    /// The evaluation context for one expression, holding only what `info`
    /// references: the variables, locals and blocks it names and, where it
    /// indexes a map with a literal key or `[each.key]`, only that entry, so
    /// that evaluating every instance of a `for_each` stays linear in the
    /// number of instances. Index lookups see the same entry (or the same
    /// missing key) as with the whole map.
    fn context(&self, info: &ExprInfo, scope: Scope, each: Option<&Value>) -> Context<'static> {
        let mut ctx = Context::new();
        functions::declare_only(&mut ctx, |name| info.funcs.iter().any(|f| f.name == name));
        let each_key = match each.filter(|_| scope == Scope::Each) {
            Some(Value::Object(m)) => m.get("key").and_then(Value::as_str),
            _ => None,
        };
        for root in ["var", "local", "page", "link", "application"] {
            let lookup = |name: &str| -> Option<&Value> {
                match root {
                    "var" => match self.vars.get(name) {
                        Some(VarState::Set(v)) => Some(v),
                        _ => None,
                    },
                    "local" => self.locals.get(name),
                    "page" => self.pages.get(name),
                    "link" => self.links.get(name),
                    _ => self.applications.get(name),
                }
            };
            let refs: Vec<&Reference> = info.refs.iter().filter(|r| r.root == root).collect();
            if refs.is_empty() {
                continue;
            }
            let whole_root = refs
                .iter()
                .any(|r| !matches!(r.steps.first(), Some(Step::Attr(_))));
            let value: Map<String, Value> = if whole_root {
                let names: Vec<String> = match root {
                    "var" => self.vars.keys().cloned().collect(),
                    "local" => self.locals.keys().cloned().collect(),
                    "page" => self.pages.keys().cloned().collect(),
                    "link" => self.links.keys().cloned().collect(),
                    _ => self.applications.keys().cloned().collect(),
                };
                names
                    .into_iter()
                    .filter_map(|n| lookup(&n).map(|v| (n, v.clone())))
                    .collect()
            } else {
                // name => None (needed whole) or Some(keys needed).
                let mut needs: HashMap<&str, Option<HashSet<&str>>> = HashMap::new();
                for r in &refs {
                    let Some(Step::Attr(name)) = r.steps.first() else {
                        continue;
                    };
                    let key = match r.steps.get(1) {
                        Some(Step::Key(k)) => Some(k.as_str()),
                        None if r.each_key_index => each_key,
                        _ => None,
                    };
                    let need = needs
                        .entry(name.as_str())
                        .or_insert_with(|| Some(HashSet::new()));
                    match (need.as_mut(), key) {
                        (Some(keys), Some(k)) => {
                            keys.insert(k);
                        }
                        _ => *need = None,
                    }
                }
                needs
                    .into_iter()
                    .filter_map(|(name, keys)| {
                        let value = lookup(name)?;
                        let value = match (keys, value) {
                            (Some(keys), Value::Object(m)) => Value::Object(
                                keys.into_iter()
                                    .filter_map(|k| m.get(k).map(|v| (k.to_string(), v.clone())))
                                    .collect(),
                            ),
                            (_, v) => v.clone(),
                        };
                        Some((name.to_string(), value))
                    })
                    .collect()
            };
            ctx.declare_var(root, Value::Object(value));
        }
        if info.refs.iter().any(|r| r.root == "data")
            && let Some(data) = &self.data
        {
            ctx.declare_var("data", data.clone());
        }
        if let (Some(name), Some(binding)) = (scope.binding(), each) {
            ctx.declare_var(name, binding.clone());
        }
        ctx
    }

    /// Evaluates one attribute, reporting every problem; `None` if it failed.
    pub(crate) fn eval(
        &mut self,
        attr: &Attr,
        scope: Scope,
        each: Option<&Value>,
    ) -> Option<Value> {
        let info = analyze(&attr.expr);
        if !self.check(attr, &info, scope) || !self.check_application_names(attr, &info, each) {
            return None;
        }
        // Literals need no context, and converting a big literal object
        // into hcl's expression type costs quadratic time (its object map
        // checks every key against every other).
        if let Some(v) = literal_value(&attr.expr)
            && all_finite(&v)
        {
            return Some(v);
        }
        // Most attributes of a for_each block are plain lookups into values
        // already evaluated (`each.value.page_id`, `page.p[each.key].page_id`,
        // `var.x`). Walking those directly skips building an hcl context and
        // converting the expression. Any other shape, and any lookup that
        // misses, goes through hcl so that its error is the one reported.
        if let Some(v) = self.lookup(&attr.expr, scope, each, 0)
            && all_finite(v)
        {
            return Some(v.clone());
        }
        let ctx = self.context(&info, scope, each);
        let expr: hcl::Expression = attr.expr.clone().into();
        // hcl-primitives debug-asserts that arithmetic stays finite, so `1/0`
        // panics in debug builds and yields infinity in release builds; both
        // become the same diagnostic.
        let result = quiet_catch_unwind(|| expr.evaluate(&ctx));
        let error = match result {
            Ok(Ok(v)) if value_bytes(&v) > MAX_VALUE_BYTES => {
                self.error(
                    &attr.expr_span,
                    "this value is larger than 16 MiB",
                    Some("a configuration value this large is almost certainly a mistake (a string doubled in a chain of locals?)".into()),
                );
                return None;
            }
            Ok(Ok(v)) if all_finite(&v) => return Some(v),
            Ok(Err(e)) => e,
            Ok(Ok(_)) | Err(_) => {
                self.error(
                    &attr.expr_span,
                    "arithmetic gave no finite number (division by zero or overflow)",
                    Some("check the divisor and the size of the numbers".into()),
                );
                return None;
            }
        };
        // Errors from a function call point at the call when we can find it.
        let at = match error.kind() {
            ErrorKind::FuncCall(name, _) => info
                .funcs
                .iter()
                .find(|f| f.name == name.to_string())
                .map(|f| Self::span_in(attr, &f.range)),
            _ => None,
        }
        .unwrap_or_else(|| attr.expr_span.clone());
        if let ErrorKind::NoSuchKey(key) = error.kind()
            && let Some((message, help)) = self.application_name_problem(&info, key)
        {
            self.error(&at, message, Some(help));
            return None;
        }
        self.error(&at, describe(error.kind()), None);
        None
    }

    /// A computed key (`by_name[var.bot]`) that no application (or
    /// several) of a `by_name` the expression uses has: said as the
    /// literal key would be.
    fn application_name_problem(&self, info: &ExprInfo, key: &str) -> Option<(String, String)> {
        let apps = self.vonage_applications.as_ref()?;
        info.refs.iter().find_map(|r| {
            let [Step::Attr(root), Step::Attr(block), Step::Attr(by)] = r.steps.as_slice() else {
                return None;
            };
            if r.root != "data" || root != "vonage_applications" || by != "by_name" {
                return None;
            }
            let decl = self
                .decls
                .data
                .iter()
                .find(|d| d.kind == DataKind::VonageApplications && d.name == *block)?;
            let listed = super::filtered(apps, decl.capability.as_deref());
            let which = match &decl.capability {
                Some(c) => format!("{c} application"),
                None => "application".to_string(),
            };
            name_problem(
                &listed,
                &which,
                &format!("data.vonage_applications.{block}"),
                key,
            )
        })
    }

    /// The value a traversal of plain lookups leads to, if every step
    /// finds something: a root (`each`, `var.NAME`, `local.NAME`,
    /// `page.NAME`, `link.NAME`) followed by attribute names, literal
    /// indexes, or indexes that are themselves such lookups. The steps mean
    /// what they mean in hcl's evaluator: a name or a string index looks up
    /// an object key, an unsigned integer indexes an array.
    fn lookup<'v>(
        &'v self,
        expr: &hcl_edit::expr::Expression,
        scope: Scope,
        each: Option<&'v Value>,
        depth: usize,
    ) -> Option<&'v Value> {
        use hcl_edit::expr::{Expression as E, TraversalOperator as Op};
        // An index nested in an index nested in…: leave those to hcl.
        if depth > 4 {
            return None;
        }
        let E::Traversal(traversal) = expr else {
            return None;
        };
        let E::Variable(root) = &traversal.expr else {
            return None;
        };
        let mut operators = traversal.operators.iter().map(|op| op.value());
        let mut current = match root.as_str() {
            // The instance's binding, under the name its block's scope gives it.
            binding if scope.binding() == Some(binding) => each?,
            named => {
                let Some(Op::GetAttr(name)) = operators.next() else {
                    return None;
                };
                let name = name.as_str();
                match named {
                    "var" => match self.vars.get(name)? {
                        VarState::Set(v) => v,
                        VarState::Unset | VarState::Invalid => return None,
                    },
                    "local" => self.locals.get(name)?,
                    "page" => self.pages.get(name)?,
                    "link" => self.links.get(name)?,
                    "application" => self.applications.get(name)?,
                    _ => return None,
                }
            }
        };
        for operator in operators {
            current = match operator {
                Op::GetAttr(name) => current.as_object()?.get(name.as_str())?,
                Op::LegacyIndex(index) => index_array(current, *index.value())?,
                Op::Index(index) => {
                    let literal;
                    let index = match index {
                        E::String(s) => {
                            literal = Value::String(s.value().clone());
                            &literal
                        }
                        E::Number(n) => {
                            literal = Value::Number(*n.value());
                            &literal
                        }
                        nested => self.lookup(nested, scope, each, depth + 1)?,
                    };
                    match index {
                        Value::String(key) => current.as_object()?.get(key.as_str())?,
                        Value::Number(n) => index_array(current, n.as_u64()?)?,
                        _ => return None,
                    }
                }
                Op::AttrSplat(_) | Op::FullSplat(_) => return None,
            };
        }
        Some(current)
    }

    /// The sensitive variable `attr` uses, directly or through locals, if
    /// any (as written; a value indexed out of a sensitive map through
    /// `each` is not followed).
    pub(crate) fn sensitive_source(&self, attr: &Attr) -> Option<String> {
        self.sensitive_in(&attr.expr, 0)
    }

    fn sensitive_in(&self, expr: &hcl_edit::expr::Expression, depth: usize) -> Option<String> {
        // Locals cannot form cycles that evaluate, but a reported cycle
        // must not make this loop.
        if depth > 64 {
            return None;
        }
        for r in analyze(expr).refs {
            let Some(Step::Attr(name)) = r.steps.first() else {
                continue;
            };
            match r.root.as_str() {
                "var"
                    if self
                        .decls
                        .variables
                        .iter()
                        .any(|v| &v.name == name && v.sensitive) =>
                {
                    return Some(format!("var.{name}"));
                }
                "local" => {
                    let local = self.decls.locals.iter().find(|l| &l.attr.name == name);
                    if let Some(found) =
                        local.and_then(|l| self.sensitive_in(&l.attr.expr, depth + 1))
                    {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Whether `expr` gives a set, as Terraform types it: `toset(...)`, a
    /// variable declared `set(...)` (or an attribute of an object variable
    /// declared so), a local or parentheses around one, or a conditional
    /// whose both results are. A list literal, a `[for ...]` or another
    /// function's list is a list (a tuple), which `for_each` refuses as
    /// Terraform does: a list's order is no stable key.
    pub(crate) fn yields_set(&self, expr: &hcl_edit::expr::Expression, depth: usize) -> bool {
        use hcl_edit::expr::{Expression, TraversalOperator};
        if depth > 64 {
            return false;
        }
        match expr {
            Expression::Parenthesis(p) => self.yields_set(p.inner(), depth + 1),
            Expression::Conditional(c) => {
                self.yields_set(&c.true_expr, depth + 1)
                    && self.yields_set(&c.false_expr, depth + 1)
            }
            Expression::FuncCall(call) => {
                call.name.namespace.is_empty() && call.name.name.as_str() == "toset"
            }
            Expression::Traversal(t) => {
                let Expression::Variable(root) = &t.expr else {
                    return false;
                };
                let mut names = t.operators.iter().map(|op| match op.value() {
                    TraversalOperator::GetAttr(a) => Some(a.as_str()),
                    _ => None,
                });
                let Some(Some(first)) = names.next() else {
                    return false;
                };
                match root.as_str() {
                    "var" => {
                        let Some(variable) = self.decls.variables.iter().find(|v| v.name == first)
                        else {
                            return false;
                        };
                        let mut ty = &variable.ty;
                        for name in names {
                            let Some(name) = name else { return false };
                            let crate::config::types::Ty::Object(attrs) = ty else {
                                return false;
                            };
                            let Some((_, inner, _)) = attrs.iter().find(|(n, _, _)| n == name)
                            else {
                                return false;
                            };
                            ty = inner;
                        }
                        matches!(ty, crate::config::types::Ty::Set(_))
                    }
                    "local" if t.operators.len() == 1 => self
                        .decls
                        .locals
                        .iter()
                        .find(|l| l.attr.name == first)
                        .is_some_and(|l| self.yields_set(&l.attr.expr, depth + 1)),
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// True when `attr` refers to a declared variable that has no value.
    pub(crate) fn uses_unset_var(&self, attr: &Attr) -> bool {
        analyze(&attr.expr).refs.iter().any(|r| {
            r.root == "var"
                && matches!(r.steps.first(), Some(Step::Attr(n)) if matches!(self.vars.get(n), Some(VarState::Unset)))
        })
    }

    /// Locals, pages and links in an order where every node comes after
    /// what it references, with each node's direct dependencies (each
    /// expression is analyzed once, here). Members of a cycle are reported
    /// and left out of the order.
    ///
    /// The maps are keyed by every declaration, so they are sized once and
    /// use FxHash: SipHash and rehashing were a tenth of `validate`'s
    /// instructions on 15,000 blocks.
    pub(crate) fn order(&mut self) -> (Vec<Node>, Deps) {
        let decls = self.decls;
        let count = decls.locals.len() + decls.resources.len();
        let mut deps: Deps = FxHashMap::with_capacity_and_hasher(count, Default::default());
        let mut nodes = Vec::with_capacity(count);
        let mut add = |node: Node, attrs: Vec<&Attr>, at: Span| {
            let mut out = Vec::new();
            for attr in attrs {
                for r in analyze(&attr.expr).refs {
                    let Some(Step::Attr(name)) = r.steps.first() else {
                        continue;
                    };
                    let dep = match r.root.as_str() {
                        "local" => Node::Local(name.clone()),
                        "page" => Node::Resource(ResourceKind::Page, name.clone()),
                        "link" => Node::Resource(ResourceKind::Link, name.clone()),
                        "application" => Node::Resource(ResourceKind::Application, name.clone()),
                        _ => continue,
                    };
                    if !out.contains(&dep) {
                        out.push(dep);
                    }
                }
            }
            nodes.push(node.clone());
            deps.insert(node, (out, at));
        };
        for l in &decls.locals {
            add(
                Node::Local(l.attr.name.clone()),
                vec![&l.attr],
                l.attr.key_span.clone(),
            );
        }
        for r in &decls.resources {
            add(
                Node::Resource(r.kind, r.name.clone()),
                r.attrs.values().collect(),
                r.label_span.clone(),
            );
        }
        // Iterative DFS would be more code; recursion depth is bounded by the
        // number of declarations, and load runs on a thread with a large stack.
        // 1 = in progress, 2 = done
        let mut state: FxHashMap<Node, u8> =
            FxHashMap::with_capacity_and_hasher(count, Default::default());
        let mut order = Vec::with_capacity(count);
        let mut in_cycle: FxHashSet<Node> = FxHashSet::default();
        let mut cycles: Vec<Vec<Node>> = Vec::new();
        fn visit(
            node: &Node,
            deps: &Deps,
            state: &mut FxHashMap<Node, u8>,
            path: &mut Vec<Node>,
            order: &mut Vec<Node>,
            cycles: &mut Vec<Vec<Node>>,
        ) {
            match state.get(node) {
                Some(2) => return,
                Some(1) => {
                    let start = path.iter().position(|n| n == node).unwrap_or(0);
                    cycles.push(path[start..].to_vec());
                    return;
                }
                _ => {}
            }
            state.insert(node.clone(), 1);
            path.push(node.clone());
            if let Some((ds, _)) = deps.get(node) {
                for d in ds {
                    if deps.contains_key(d) {
                        visit(d, deps, state, path, order, cycles);
                    }
                }
            }
            path.pop();
            state.insert(node.clone(), 2);
            order.push(node.clone());
        }
        for node in &nodes {
            visit(
                node,
                &deps,
                &mut state,
                &mut Vec::new(),
                &mut order,
                &mut cycles,
            );
        }
        for cycle in cycles {
            if cycle.iter().any(|n| in_cycle.contains(n)) {
                continue;
            }
            let mut names: Vec<String> = cycle.iter().map(Node::to_string).collect();
            names.push(names[0].clone());
            let at = deps[&cycle[0]].1.clone();
            self.error(
                &at,
                format!("reference cycle: {}", names.join(" -> ")),
                Some("break the cycle: one of these must not depend on the others".into()),
            );
            in_cycle.extend(cycle);
        }
        // Nodes that depend on a cycle member are skipped by the caller
        // (their dependency never gets a value); cycle members go last so
        // the caller sees them as failed.
        order.retain(|n| !in_cycle.contains(n));
        (order, deps)
    }
}

thread_local! {
    /// Set while a panic on this thread is expected and caught.
    static PANIC_EXPECTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `catch_unwind` without the "thread panicked at" message the default hook
/// prints: a panic caught here becomes a diagnostic, and users must not see
/// panic text for bad input. Panics anywhere else still print as usual.
fn quiet_catch_unwind<T>(work: impl FnOnce() -> T) -> std::thread::Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !PANIC_EXPECTED.with(|expected| expected.get()) {
                previous(info);
            }
        }));
    });
    PANIC_EXPECTED.with(|expected| expected.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    PANIC_EXPECTED.with(|expected| expected.set(false));
    result
}
