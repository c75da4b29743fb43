//! From parsed files to declarations: which blocks exist, with which
//! attributes, checked against each block type's schema. Nothing is
//! evaluated here except literal-only settings (`lifecycle`, `type`).

use super::diagnostic::{Diagnostic, suggest};
use super::files::{FileId, Sources, Span};
use super::types::{Ty, parse_type, type_help};
use crate::address::ResourceKind;
use fxhash::FxHashMap;
use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body, Structure};
use std::collections::HashMap;

/// One attribute, with the spans diagnostics need.
#[derive(Clone, Debug)]
pub(crate) struct Attr {
    pub(crate) name: String,
    pub(crate) expr: Expression,
    pub(crate) key_span: Span,
    pub(crate) expr_span: Span,
    /// Where the text the expression was parsed from starts in its file: the
    /// spans inside `expr` are relative to it (see `files::parse_chunked`).
    pub(crate) base: usize,
}

pub(crate) struct VariableDecl {
    pub(crate) name: String,
    pub(crate) label_span: Span,
    pub(crate) ty: Ty,
    pub(crate) default: Option<Attr>,
    pub(crate) sensitive: bool,
    pub(crate) nullable: bool,
}

pub(crate) struct LocalDecl {
    pub(crate) attr: Attr,
}

pub(crate) struct ResourceDecl {
    pub(crate) kind: ResourceKind,
    pub(crate) name: String,
    pub(crate) label_span: Span,
    pub(crate) attrs: Attrs,
    pub(crate) prevent_destroy: bool,
}

/// A block's attributes, names unique (duplicates are refused when the
/// block is read). A block has at most five, so a linear scan beats a hash
/// map, and a list sized once costs a fifth of the memory of a map per block
/// (14 MB of maps for 15,000 blocks before).
pub(crate) struct Attrs(Vec<Attr>);

impl Attrs {
    pub(crate) fn get(&self, name: &str) -> Option<&Attr> {
        self.0.iter().find(|a| a.name == name)
    }

    pub(crate) fn values(&self) -> std::slice::Iter<'_, Attr> {
        self.0.iter()
    }
}

impl std::ops::Index<&str> for Attrs {
    type Output = Attr;

    fn index(&self, name: &str) -> &Attr {
        self.get(name)
            .unwrap_or_else(|| panic!("attribute `{name}` was checked as required"))
    }
}

impl<'a> IntoIterator for &'a Attrs {
    type Item = &'a Attr;
    type IntoIter = std::slice::Iter<'a, Attr>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl ResourceDecl {
    pub(crate) fn for_each(&self) -> Option<&Attr> {
        self.attrs.get("for_each")
    }

    /// `count = N`: instances `[0]` to `[N-1]`. Never set together with
    /// `for_each` (refused when the block is read).
    pub(crate) fn count(&self) -> Option<&Attr> {
        self.attrs.get("count")
    }

    /// How an instance of this block is written, for help texts:
    /// `page.x["KEY"]`, `page.x[0]` or `page.x`.
    pub(crate) fn instance_example(&self) -> String {
        let block = format!("{}.{}", self.kind.as_str(), self.name);
        if self.for_each().is_some() {
            format!("{block}[\"KEY\"]")
        } else if self.count().is_some() {
            format!("{block}[0]")
        } else {
            block
        }
    }
}

pub(crate) struct ImportBlock {
    pub(crate) span: Span,
    pub(crate) to: Option<Attr>,
    pub(crate) id: Option<Attr>,
}

pub(crate) struct RemovedBlock {
    pub(crate) span: Span,
    pub(crate) from: Option<Attr>,
    pub(crate) destroy: bool,
}

pub(crate) struct MovedBlock {
    pub(crate) span: Span,
    pub(crate) from: Option<Attr>,
    pub(crate) to: Option<Attr>,
}

pub(crate) struct ProviderDecl {
    pub(crate) attrs: Vec<Attr>,
}

/// `data "facebook_pages" "NAME" {}`: the pages the Facebook user token
/// can manage, known only once Facebook has answered; `data
/// "vonage_applications" "NAME" { capability = "messages" }`: the
/// account's applications, known once Vonage has answered.
pub(crate) struct DataDecl {
    pub(crate) kind: DataKind,
    pub(crate) name: String,
    /// `vonage_applications`' filter: only applications with it.
    pub(crate) capability: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DataKind {
    FacebookPages,
    VonageApplications,
}

impl DataKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DataKind::FacebookPages => "facebook_pages",
            DataKind::VonageApplications => "vonage_applications",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<DataKind> {
        match name {
            "facebook_pages" => Some(DataKind::FacebookPages),
            "vonage_applications" => Some(DataKind::VonageApplications),
            _ => None,
        }
    }
}

/// The capabilities an application can have (Application API v2), as
/// `data "vonage_applications"` filters by them.
pub(crate) const CAPABILITIES: &[&str] = &[
    "messages",
    "voice",
    "rtc",
    "vbc",
    "video",
    "verify",
    "network_apis",
];

/// The `backend "postgres"` block.
pub(crate) struct BackendDecl {
    pub(crate) attrs: Vec<Attr>,
}

#[derive(Default)]
pub(crate) struct Decls {
    pub(crate) provider: Option<ProviderDecl>,
    pub(crate) facebook: Option<ProviderDecl>,
    pub(crate) data: Vec<DataDecl>,
    pub(crate) backend: Option<BackendDecl>,
    pub(crate) variables: Vec<VariableDecl>,
    pub(crate) locals: Vec<LocalDecl>,
    pub(crate) resources: Vec<ResourceDecl>,
    /// Built on first lookup, after every block was read: pages, links,
    /// applications.
    pub(crate) resource_index: std::sync::OnceLock<[FxHashMap<String, usize>; 3]>,
    pub(crate) imports: Vec<ImportBlock>,
    pub(crate) removed: Vec<RemovedBlock>,
    pub(crate) moved: Vec<MovedBlock>,
    /// Blocks declared with an error in their body (reported): left out of
    /// `resources`, but references to them are not unknown names.
    pub(crate) broken: std::collections::HashSet<(ResourceKind, String)>,
}

impl Decls {
    /// The help for a value given to a variable nobody declared.
    pub(crate) fn undeclared_variable_help(&self, name: &str) -> String {
        match suggest(name, self.variables.iter().map(|v| v.name.as_str())) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("declare it with `variable \"{name}\" {{}}`, or remove the value"),
        }
    }

    pub(crate) fn resource(&self, kind: ResourceKind, name: &str) -> Option<&ResourceDecl> {
        // Duplicates are refused at declaration, so the index maps each
        // (kind, name) to its only declaration.
        let slot = |kind| match kind {
            ResourceKind::Page => 0,
            ResourceKind::Link => 1,
            ResourceKind::Application => 2,
        };
        let index = self.resource_index.get_or_init(|| {
            let mut index: [FxHashMap<String, usize>; 3] = Default::default();
            for (i, r) in self.resources.iter().enumerate() {
                index[slot(r.kind)].entry(r.name.clone()).or_insert(i);
            }
            index
        });
        index[slot(kind)].get(name).map(|&i| &self.resources[i])
    }
}

const BLOCK_TYPES: &[&str] = &[
    "provider",
    "backend",
    "variable",
    "locals",
    "page",
    "link",
    "application",
    "data",
    "import",
    "removed",
    "moved",
];
const PAGE_ATTRS: &[&str] = &["page_id", "name", "access_token", "for_each", "count"];
const LINK_ATTRS: &[&str] = &[
    "channel",
    "page",
    "account",
    "application",
    "for_each",
    "count",
];
const APPLICATION_ATTRS: &[&str] = &["name", "public_key", "for_each", "count"];
/// The attributes of an application's `messages` block; they are kept as
/// the application's attributes `messages.NAME`.
const MESSAGES_ATTRS: &[&str] = &[
    "inbound_url",
    "status_url",
    "http_method",
    "inbound_http_method",
    "status_http_method",
    "version",
    "authenticate_inbound_media",
];
/// Terraform's resource meta-arguments socialform does not have, with what
/// to do instead.
const UNSUPPORTED_META: &[(&str, &str)] = &[
    (
        "depends_on",
        "socialform orders calls itself: a link waits for the page it refers to \
         (page = page.NAME.page_id); remove this attribute",
    ),
    (
        "provider",
        "each kind of block has its provider (pages and links: \"vonage\"; data \"facebook_pages\": \"facebook\"); remove this attribute",
    ),
];
/// Terraform's lifecycle settings other than `prevent_destroy`.
const UNSUPPORTED_LIFECYCLE: &[&str] = &[
    "create_before_destroy",
    "ignore_changes",
    "replace_triggered_by",
];
const VARIABLE_ATTRS: &[&str] = &["type", "default", "sensitive", "description", "nullable"];
const PROVIDER_ATTRS: &[&str] = &[
    "api_key",
    "api_secret",
    "endpoint",
    "requests_per_second",
    "ca_file",
];
const FACEBOOK_ATTRS: &[&str] = &[
    "user_token",
    "app_id",
    "app_secret",
    "endpoint",
    "token_warning_days",
    "ca_file",
];
/// The data sources there are.
const DATA_SOURCES: &[&str] = &["facebook_pages", "vonage_applications"];
const BACKEND_ATTRS: &[&str] = &[
    "conn_str",
    "schema_name",
    "state_name",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
];

pub(crate) struct Collector<'a> {
    pub(crate) sources: &'a Sources,
    pub(crate) diags: &'a mut Vec<Diagnostic>,
    pub(crate) decls: Decls,
    /// First declaration of each name, to report duplicates with both places.
    seen: FxHashMap<String, Span>,
    /// Terraform attributes and blocks the body being read does not take,
    /// with what to do instead: (name, help).
    answers: Vec<(String, String)>,
    /// Offset of the text being read in its file; parsed spans are relative
    /// to it.
    pub(crate) base: usize,
}

/// An attribute's expression as it is kept until evaluation: a traversal's
/// operator list is cut to its length (the parser grows it in steps, and
/// `var.token` or `page.p1.page_id` kept room for four operators: 12 MB over
/// 15,000 blocks). Nothing later reads whitespace or comments of an
/// expression (diagnostics use spans into the source text), so a top-level
/// traversal's decor goes too.
fn compact(mut expr: Expression) -> Expression {
    use hcl_edit::Decorate as _;
    if let Expression::Traversal(t) = &mut expr {
        t.operators.shrink_to_fit();
    }
    expr.decor_mut().clear();
    expr
}

pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl<'a> Collector<'a> {
    pub(crate) fn new(sources: &'a Sources, diags: &'a mut Vec<Diagnostic>) -> Self {
        Collector {
            sources,
            diags,
            decls: Decls::default(),
            seen: FxHashMap::default(),
            answers: Vec::new(),
            base: 0,
        }
    }

    fn at(&self, file: FileId, range: Option<std::ops::Range<usize>>) -> Span {
        let range = range.unwrap_or(0..0);
        Span {
            file,
            range: range.start + self.base..range.end + self.base,
        }
    }

    fn error(&mut self, at: &Span, message: impl Into<String>, help: impl Into<String>) {
        let d = self.sources.error(at, message).with_help(help);
        self.diags.push(d);
    }

    /// Reports a Terraform name socialform does not support with its own
    /// answer (from `answers`); false when `name` has none.
    fn answered(&mut self, at: &Span, name: &str, what: &str) -> bool {
        let Some((_, help)) = self.answers.iter().find(|(n, _)| n == name) else {
            return false;
        };
        let help = help.clone();
        self.error(at, format!("`{name}` is not supported in {what}"), help);
        true
    }

    /// Records `key` as declared at `at`; reports and returns false if it
    /// was declared before.
    fn first_declaration(&mut self, key: String, what: &str, at: &Span) -> bool {
        if let Some(first) = self.seen.get(&key) {
            let first = self.sources.location(first);
            self.error(
                at,
                format!("duplicate {what}; it was first declared at {first}"),
                "rename or remove one of the two declarations",
            );
            return false;
        }
        self.seen.insert(key, at.clone());
        true
    }

    /// Reads one file's top-level blocks, consuming the parsed tree: each
    /// attribute's expression is moved into the declarations, and the rest
    /// of each block (decor, spans of punctuation, the block's own vectors)
    /// is freed as soon as the block is read. Holding the whole tree until
    /// evaluation ended cost about 45 MB on a 1.6 MB file.
    pub(crate) fn file(&mut self, file: FileId, body: Body) {
        self.file_from(file, body, 0);
    }

    /// As `file`, for the structures that start at or after `from`: the
    /// rest of a file whose beginning was read in runs.
    pub(crate) fn file_from(&mut self, file: FileId, body: Body, from: usize) {
        self.seen.reserve(body.len());
        for structure in body {
            if structure.span().is_some_and(|r| r.start < from) {
                continue;
            }
            match structure {
                Structure::Attribute(a) => {
                    let at = self.at(file, a.key.span());
                    self.error(
                        &at,
                        format!("unexpected attribute `{}` at the top level", a.key.as_str()),
                        "top-level attributes are not allowed; put values in a locals { ... } block",
                    );
                }
                Structure::Block(b) => self.block(file, b),
            }
        }
    }

    fn block(&mut self, file: FileId, mut block: Block) {
        let ident_span = self.at(file, block.ident.span());
        let Some(&kind) = BLOCK_TYPES.iter().find(|k| **k == block.ident.as_str()) else {
            let other = block.ident.as_str();
            let help = match suggest(other, BLOCK_TYPES.iter().copied()) {
                Some(s) => format!(
                    "did you mean `{s}`? Block types are: {}",
                    BLOCK_TYPES.join(", ")
                ),
                None => format!("block types are: {}", BLOCK_TYPES.join(", ")),
            };
            self.error(&ident_span, format!("unknown block type `{other}`"), help);
            return;
        };
        let mut labels: Vec<(String, Span)> = std::mem::take(&mut block.labels)
            .into_iter()
            .map(|l| {
                let at = self.at(file, l.span());
                (l.as_str().to_string(), at)
            })
            .collect();
        let want_labels = match kind {
            "provider" | "backend" | "variable" | "page" | "link" | "application" => 1,
            "data" => 2,
            _ => 0,
        };
        if labels.len() != want_labels {
            let help = match want_labels {
                0 => format!("write `{kind} {{ ... }}` without a label"),
                2 => format!(
                    "write `{kind} \"TYPE\" \"NAME\" {{ ... }}`, like `data \"facebook_pages\" \"managed\" {{}}`"
                ),
                _ => format!("write `{kind} \"NAME\" {{ ... }}` with exactly one label"),
            };
            let at = labels
                .get(want_labels)
                .map(|l| l.1.clone())
                .unwrap_or(ident_span);
            self.error(
                &at,
                format!(
                    "a {kind} block takes {want_labels} label(s), found {}",
                    labels.len()
                ),
                help,
            );
            return;
        }
        let label = labels.pop();
        let label = || label.expect("one label, checked above");
        match kind {
            "provider" => self.provider(file, block, label()),
            "backend" => self.backend(file, block, label()),
            "variable" => self.variable(file, block, label()),
            "locals" => self.locals(file, block),
            "page" => self.resource(file, block, ResourceKind::Page, label()),
            "link" => self.resource(file, block, ResourceKind::Link, label()),
            "application" => self.resource(file, block, ResourceKind::Application, label()),
            "data" => {
                // Two labels: the source's type, then its name (`label()`).
                let kind = labels.pop().expect("two labels, checked above");
                self.data(file, block, kind, label())
            }
            "import" => self.import(file, block, ident_span),
            "removed" => self.removed(file, block, ident_span),
            "moved" => self.moved(file, block, ident_span),
            _ => unreachable!("BLOCK_TYPES has no other kind"),
        }
    }

    /// The attributes of `body`, reporting unknown and duplicate ones and
    /// unknown nested blocks. Returns attributes and the allowed blocks.
    fn body(
        &mut self,
        file: FileId,
        body: Body,
        what: &str,
        allowed_attrs: Option<&[&str]>,
        allowed_blocks: &[&str],
    ) -> (Vec<Attr>, Vec<Block>) {
        let mut attrs: Vec<Attr> = Vec::with_capacity(body.len());
        let mut blocks = Vec::new();
        for structure in body {
            match structure {
                Structure::Attribute(a) => {
                    let name = a.key.as_str().to_string();
                    let key_span = self.at(file, a.key.span());
                    if let Some(allowed) = allowed_attrs
                        && !allowed.contains(&name.as_str())
                    {
                        if self.answered(&key_span, &name, what) {
                            continue;
                        }
                        let help = match suggest(&name, allowed.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("{what} accepts: {}", allowed.join(", ")),
                        };
                        self.error(
                            &key_span,
                            format!("unknown attribute `{name}` in {what}"),
                            help,
                        );
                        continue;
                    }
                    if attrs.iter().any(|x| x.name == name) {
                        self.error(
                            &key_span,
                            format!("attribute `{name}` is set twice in {what}"),
                            "remove one of the two assignments",
                        );
                        continue;
                    }
                    attrs.push(Attr {
                        base: self.base,
                        name,
                        expr_span: self.at(file, a.value.span()),
                        expr: compact(a.value),
                        key_span,
                    });
                }
                Structure::Block(b) => {
                    let name = b.ident.as_str();
                    if allowed_blocks.contains(&name) {
                        blocks.push(b);
                    } else {
                        let name = name.to_string();
                        let name = name.as_str();
                        let at = self.at(file, b.ident.span());
                        if self.answered(&at, name, what) {
                            continue;
                        }
                        let help = if allowed_blocks.is_empty() {
                            format!("{what} takes no nested blocks")
                        } else {
                            format!("{what} only takes: {}", allowed_blocks.join(", "))
                        };
                        self.error(&at, format!("unknown block `{name}` in {what}"), help);
                    }
                }
            }
        }
        (attrs, blocks)
    }

    fn required(
        &mut self,
        attrs: &[Attr],
        name: &str,
        what: &str,
        at: &Span,
        example: &str,
    ) -> bool {
        if attrs.iter().any(|a| a.name == name) {
            return true;
        }
        self.error(
            at,
            format!("{what} is missing the required attribute `{name}`"),
            format!("add `{name} = {example}`"),
        );
        false
    }

    /// A literal bool (no references): `sensitive`, `prevent_destroy`, `destroy`.
    fn literal_bool(&mut self, attr: &Attr) -> Option<bool> {
        match &attr.expr {
            Expression::Bool(b) => Some(*b.value()),
            _ => {
                self.error(
                    &attr.expr_span,
                    format!("`{}` must be true or false", attr.name),
                    format!(
                        "write `{} = true` or `{} = false` (a literal, not an expression)",
                        attr.name, attr.name
                    ),
                );
                None
            }
        }
    }

    fn lifecycle_bool(
        &mut self,
        file: FileId,
        blocks: Vec<Block>,
        what: &str,
        name: &str,
        default: bool,
    ) -> bool {
        let mut value = default;
        let mut seen = false;
        for b in blocks {
            let at = self.at(file, b.ident.span());
            if seen {
                self.error(
                    &at,
                    format!("{what} has more than one lifecycle block"),
                    "merge them into one",
                );
                continue;
            }
            seen = true;
            if !b.labels.is_empty() {
                self.error(
                    &at,
                    "a lifecycle block takes no labels",
                    "write `lifecycle { ... }`",
                );
            }
            self.answers = UNSUPPORTED_LIFECYCLE
                .iter()
                .map(|n| {
                    (
                        n.to_string(),
                        format!("the only lifecycle setting here is {name}"),
                    )
                })
                .collect();
            let (attrs, _) = self.body(
                file,
                b.body,
                &format!("the lifecycle block of {what}"),
                Some(&[name]),
                &[],
            );
            self.answers.clear();
            if let Some(a) = attrs.iter().find(|a| a.name == name) {
                value = self.literal_bool(a).unwrap_or(default);
            }
        }
        value
    }

    fn provider(&mut self, file: FileId, block: Block, label: (String, Span)) {
        let allowed = match label.0.as_str() {
            "vonage" => PROVIDER_ATTRS,
            "facebook" => FACEBOOK_ATTRS,
            other => {
                let help = match suggest(other, ["vonage", "facebook"]) {
                    Some(s) => format!("did you mean `provider \"{s}\"`?"),
                    None => "the providers are \"vonage\" (pages and links) and \"facebook\" \
                             (page tokens from Facebook)"
                        .into(),
                };
                self.error(&label.1, format!("unknown provider `{other}`"), help);
                return;
            }
        };
        let what = format!("provider \"{}\"", label.0);
        let key = if label.0 == "vonage" {
            "provider".to_string()
        } else {
            format!("provider {}", label.0)
        };
        if !self.first_declaration(key, &format!("{what} block"), &label.1) {
            return;
        }
        let (attrs, _) = self.body(file, block.body, &what, Some(allowed), &[]);
        let decl = Some(ProviderDecl { attrs });
        if label.0 == "vonage" {
            self.decls.provider = decl;
        } else {
            self.decls.facebook = decl;
        }
    }

    fn data(&mut self, file: FileId, block: Block, kind: (String, Span), name: (String, Span)) {
        if !DATA_SOURCES.contains(&kind.0.as_str()) {
            let help = match suggest(&kind.0, DATA_SOURCES.iter().copied()) {
                Some(s) => format!("did you mean `data \"{s}\"`?"),
                None => format!("the data sources are: {}", DATA_SOURCES.join(", ")),
            };
            self.error(&kind.1, format!("unknown data source `{}`", kind.0), help);
            return;
        }
        if !is_identifier(&name.0) {
            self.error(
                &name.1,
                format!("invalid data source name {:?}", name.0),
                "use letters, digits, _ and -, starting with a letter",
            );
            return;
        }
        let what = format!("data \"{}\" \"{}\"", kind.0, name.0);
        if !self.first_declaration(format!("data {} {}", kind.0, name.0), &what, &name.1) {
            return;
        }
        let kind = DataKind::parse(&kind.0).expect("checked against DATA_SOURCES");
        let capability = match kind {
            // It takes no settings: the provider "facebook" block says whose pages.
            DataKind::FacebookPages => {
                let _ = self.body(file, block.body, &what, Some(&[]), &[]);
                None
            }
            DataKind::VonageApplications => {
                let (attrs, _) = self.body(file, block.body, &what, Some(&["capability"]), &[]);
                match attrs.first() {
                    None => None,
                    Some(attr) => {
                        let listed = CAPABILITIES
                            .iter()
                            .map(|c| format!("{c:?}"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        match super::eval::literal_value(&attr.expr) {
                            Some(hcl::Value::String(c)) if CAPABILITIES.contains(&c.as_str()) => {
                                Some(c)
                            }
                            Some(hcl::Value::String(c)) => {
                                let at = attr.expr_span.clone();
                                self.error(
                                    &at,
                                    format!("unknown capability {c:?}"),
                                    format!("write capability = \"messages\" (one of {listed}), or leave it out for every application"),
                                );
                                // Declared all the same: uses of it are not unknown.
                                None
                            }
                            _ => {
                                let at = attr.expr_span.clone();
                                self.error(
                                    &at,
                                    "capability must be a literal string",
                                    format!("write capability = \"messages\" (one of {listed}); it is read without evaluating, as validate does"),
                                );
                                // Declared all the same: uses of it are not unknown.
                                None
                            }
                        }
                    }
                }
            }
        };
        self.decls.data.push(DataDecl {
            kind,
            name: name.0,
            capability,
        });
    }

    fn backend(&mut self, file: FileId, block: Block, label: (String, Span)) {
        if label.0 != "postgres" {
            self.error(
                &label.1,
                format!("unknown backend `{}`", label.0),
                "the backends are the local store (no backend block) and \"postgres\": write \
                 `backend \"postgres\" { ... }`",
            );
            return;
        }
        if !self.first_declaration("backend".into(), "backend block", &label.1) {
            return;
        }
        let (attrs, _) = self.body(
            file,
            block.body,
            "backend \"postgres\"",
            Some(BACKEND_ATTRS),
            &[],
        );
        self.decls.backend = Some(BackendDecl { attrs });
    }

    fn variable(&mut self, file: FileId, block: Block, label: (String, Span)) {
        let (name, label_span) = label;
        if !is_identifier(&name) {
            self.error(
                &label_span,
                format!("invalid variable name {name:?}"),
                "use letters, digits, _ and -, starting with a letter",
            );
            return;
        }
        let what = format!("variable \"{name}\"");
        let (attrs, blocks) = self.body(
            file,
            block.body,
            &what,
            Some(VARIABLE_ATTRS),
            &["validation"],
        );
        if !blocks.is_empty() {
            let at = self.at(file, blocks[0].ident.span());
            self.error(
                &at,
                "validation blocks are not supported",
                "check the value where it is used instead",
            );
        }
        let mut ty = Ty::Any;
        let mut sensitive = false;
        let mut nullable = true;
        let mut default = None;
        for a in attrs {
            match a.name.as_str() {
                "type" => match parse_type(&a.expr) {
                    Ok(t) => ty = t,
                    Err(e) => self.error(
                        &a.expr_span,
                        format!("invalid type constraint: {e}"),
                        type_help(),
                    ),
                },
                "sensitive" => sensitive = self.literal_bool(&a).unwrap_or(true),
                "nullable" => nullable = self.literal_bool(&a).unwrap_or(true),
                "description" if !matches!(a.expr, Expression::String(_)) => {
                    self.error(
                        &a.expr_span,
                        "description must be a literal string",
                        "write `description = \"...\"`",
                    );
                }
                "default" => default = Some(a),
                _ => {}
            }
        }
        if !self.first_declaration(
            format!("var.{name}"),
            &format!("variable \"{name}\""),
            &label_span,
        ) {
            return;
        }
        self.decls.variables.push(VariableDecl {
            name,
            label_span,
            ty,
            default,
            sensitive,
            nullable,
        });
    }

    fn locals(&mut self, file: FileId, block: Block) {
        let (attrs, _) = self.body(file, block.body, "a locals block", None, &[]);
        for attr in attrs {
            if self.first_declaration(
                format!("local.{}", attr.name),
                &format!("local value `{}`", attr.name),
                &attr.key_span,
            ) {
                self.decls.locals.push(LocalDecl { attr });
            }
        }
    }

    fn resource(&mut self, file: FileId, block: Block, kind: ResourceKind, label: (String, Span)) {
        let (name, label_span) = label;
        let k = kind.as_str();
        if !is_identifier(&name) {
            self.error(
                &label_span,
                format!("invalid {k} name {name:?}"),
                "use letters, digits, _ and -, starting with a letter",
            );
            return;
        }
        let what = format!("{k} \"{name}\"");
        let (allowed, blocks): (&[&str], &[&str]) = match kind {
            ResourceKind::Page => (PAGE_ATTRS, &["lifecycle"]),
            ResourceKind::Link => (LINK_ATTRS, &["lifecycle"]),
            ResourceKind::Application => (APPLICATION_ATTRS, &["lifecycle", "messages"]),
        };
        // Terraform's meta-arguments get an answer of their own; the block
        // is still declared, so references to it do not cascade.
        self.answers = UNSUPPORTED_META
            .iter()
            .map(|(name, help)| (name.to_string(), help.to_string()))
            .collect();
        let (mut attrs, mut lifecycle) = self.body(file, block.body, &what, Some(allowed), blocks);
        self.answers.clear();
        let mut ok = true;
        if kind == ResourceKind::Application {
            let messages: Vec<Block>;
            (messages, lifecycle) = lifecycle
                .into_iter()
                .partition(|b| b.ident.as_str() == "messages");
            ok &= self.messages_block(file, messages, &what, &label_span, &mut attrs);
        }
        match kind {
            ResourceKind::Page => {
                ok &= self.required(&attrs, "page_id", &what, &label_span, "\"107100000000001\"");
                // Without access_token, Facebook supplies the token.
            }
            ResourceKind::Link => {
                // With a `channel`, whether `page` or `account` is required
                // depends on its value: checked when it is evaluated.
                if !attrs.iter().any(|a| a.name == "channel") {
                    ok &= self.required(&attrs, "page", &what, &label_span, "page.NAME.page_id");
                }
                ok &= self.required(
                    &attrs,
                    "application",
                    &what,
                    &label_span,
                    "\"APPLICATION-UUID\"",
                );
            }
            ResourceKind::Application => {
                ok &= self.required(&attrs, "name", &what, &label_span, "\"Acme Support Bot\"");
            }
        }
        // Both would make two sets of instance addresses; Terraform refuses
        // it too. The block counts as broken, so references to it do not
        // cascade into errors of their own.
        if let (Some(count), Some(_)) = (
            attrs.iter().find(|a| a.name == "count"),
            attrs.iter().find(|a| a.name == "for_each"),
        ) {
            self.error(
                &count.key_span,
                format!("{what} sets both count and for_each"),
                format!(
                    "keep one: count = N makes {k}.{name}[0], {k}.{name}[1], …; for_each makes \
                     {k}.{name}[\"KEY\"] for each key of a map or set"
                ),
            );
            ok = false;
        }
        let prevent_destroy = self.lifecycle_bool(file, lifecycle, &what, "prevent_destroy", false);
        if !self.first_declaration(
            format!("{k}.{name}"),
            &format!("{k} \"{name}\""),
            &label_span,
        ) {
            return;
        }
        if !ok {
            self.decls.broken.insert((kind, name));
            return;
        }
        self.decls.resources.push(ResourceDecl {
            kind,
            name,
            label_span,
            attrs: Attrs(attrs),
            prevent_destroy,
        });
    }

    /// An application's one `messages` block, its attributes added to
    /// `attrs` as `messages.NAME` (so that references, dependencies and
    /// diagnostics treat them like any other attribute of the block).
    fn messages_block(
        &mut self,
        file: FileId,
        blocks: Vec<Block>,
        what: &str,
        label_span: &Span,
        attrs: &mut Vec<Attr>,
    ) -> bool {
        let mut blocks = blocks.into_iter();
        let Some(block) = blocks.next() else {
            self.error(
                label_span,
                format!("{what} is missing its messages block"),
                "add `messages { inbound_url = \"https://…/inbound\"  status_url = \"https://…/status\" }`: \
                 socialform manages applications that pages link to, which need the messages capability",
            );
            return false;
        };
        let mut ok = true;
        for extra in blocks {
            let at = self.at(file, extra.ident.span());
            self.error(
                &at,
                format!("{what} has more than one messages block"),
                "merge them into one",
            );
            ok = false;
        }
        let at = self.at(file, block.ident.span());
        if !block.labels.is_empty() {
            self.error(
                &at,
                "a messages block takes no labels",
                "write `messages { ... }`",
            );
            ok = false;
        }
        let inner = format!("the messages block of {what}");
        let (messages, _) = self.body(file, block.body, &inner, Some(MESSAGES_ATTRS), &[]);
        ok &= self.required(
            &messages,
            "inbound_url",
            &inner,
            &at,
            "\"https://example.com/inbound\"",
        );
        ok &= self.required(
            &messages,
            "status_url",
            &inner,
            &at,
            "\"https://example.com/status\"",
        );
        attrs.extend(messages.into_iter().map(|mut a| {
            a.name = format!("messages.{}", a.name);
            a
        }));
        ok
    }

    fn import(&mut self, file: FileId, block: Block, at: Span) {
        let (attrs, _) = self.body(
            file,
            block.body,
            "an import block",
            Some(&["to", "id"]),
            &[],
        );
        self.required(&attrs, "to", "the import block", &at, "page.NAME");
        self.required(&attrs, "id", "the import block", &at, "\"PAGE_ID\"");
        let mut attrs: HashMap<String, Attr> =
            attrs.into_iter().map(|a| (a.name.clone(), a)).collect();
        self.decls.imports.push(ImportBlock {
            span: at,
            to: attrs.remove("to"),
            id: attrs.remove("id"),
        });
    }

    fn removed(&mut self, file: FileId, block: Block, at: Span) {
        let (attrs, lifecycle) = self.body(
            file,
            block.body,
            "a removed block",
            Some(&["from"]),
            &["lifecycle"],
        );
        self.required(&attrs, "from", "the removed block", &at, "page.NAME");
        let destroy = self.lifecycle_bool(file, lifecycle, "the removed block", "destroy", true);
        self.decls.removed.push(RemovedBlock {
            span: at,
            from: attrs.into_iter().find(|a| a.name == "from"),
            destroy,
        });
    }

    fn moved(&mut self, file: FileId, block: Block, at: Span) {
        let (attrs, _) = self.body(
            file,
            block.body,
            "a moved block",
            Some(&["from", "to"]),
            &[],
        );
        self.required(&attrs, "from", "the moved block", &at, "page.OLD_NAME");
        self.required(&attrs, "to", "the moved block", &at, "page.NEW_NAME");
        let mut attrs: HashMap<String, Attr> =
            attrs.into_iter().map(|a| (a.name.clone(), a)).collect();
        self.decls.moved.push(MovedBlock {
            span: at,
            from: attrs.remove("from"),
            to: attrs.remove("to"),
        });
    }
}
