//! Evaluating declarations into the plain model: pages and links (with
//! for_each expansion), the provider, import, removed and moved blocks.

use super::diagnostic::suggest;
use super::eval::{Evaluator, Node, Scope};
use super::files::Span;
use super::limits::MAX_COUNT;
use super::resources::{Attr, ResourceDecl};
use super::types::type_name;
use crate::address::{Address, InstanceKey, ResourceKind};
use crate::channel::Channel;
use crate::desired::{
    DesiredPage, FacebookSettings, ImportDecl, MovedDecl, ProviderSettings, RemovedDecl,
};
use crate::secret::Secret;
use crate::state::PostgresSettings;
use fxhash::FxHashSet;
use hcl::{Map, Value};
use hcl_edit::expr::{Expression, TraversalOperator};

/// A page instance plus what the cross-checks need.
pub(crate) struct PageOut {
    pub(crate) page: DesiredPage,
    pub(crate) page_id_span: Span,
}

/// A link instance before its page is resolved.
pub(crate) struct LinkOut {
    pub(crate) address: Address,
    pub(crate) channel: Channel,
    /// The page ID (messenger) or the account's external_id.
    pub(crate) page_id: String,
    pub(crate) application: String,
    /// The `page` (messenger) or `account` expression.
    pub(crate) page_span: Span,
    pub(crate) label_span: Span,
}

#[derive(Default)]
pub(crate) struct Outputs {
    pub(crate) pages: Vec<PageOut>,
    pub(crate) links: Vec<LinkOut>,
    pub(crate) applications: Vec<crate::desired::DesiredApplication>,
    /// Access tokens and the api_secret, to scrub from diagnostics.
    pub(crate) secrets: Vec<String>,
}

pub(crate) fn is_page_id(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

/// What an account of `channel` looks like, for help texts.
fn account_example(channel: Channel) -> &'static str {
    match channel {
        Channel::Whatsapp => "\"447700900123\"",
        Channel::ViberServiceMsg => "\"VIBER-SERVICE-ID\"",
        _ => "\"RCS-AGENT-ID\"",
    }
}

pub(crate) fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

impl Evaluator<'_> {
    /// Evaluates locals, pages and links in dependency order.
    pub(crate) fn run_graph(&mut self, out: &mut Outputs) {
        let (order, deps) = self.order();
        // Every declared node is in `deps`; a dependency outside it (an
        // unknown name) was reported by the reference check.
        let mut done: FxHashSet<&Node> =
            FxHashSet::with_capacity_and_hasher(deps.len(), Default::default());
        for node in &order {
            // A dependency that failed has been reported already; evaluating
            // this node would only add follow-on errors.
            if deps[node]
                .0
                .iter()
                .any(|d| deps.contains_key(d) && !done.contains(d))
            {
                continue;
            }
            let ok = match node {
                Node::Local(name) => {
                    let decls = self.decls;
                    let attr = &decls
                        .locals
                        .iter()
                        .find(|l| &l.attr.name == name)
                        .expect("node exists")
                        .attr;
                    match self.eval(attr, Scope::Plain, None) {
                        Some(v) => {
                            self.locals.insert(name.clone(), v);
                            true
                        }
                        None => false,
                    }
                }
                Node::Resource(kind, name) => {
                    let decls = self.decls;
                    let decl = decls.resource(*kind, name).expect("node exists");
                    self.resource(decl, out)
                }
            };
            if ok {
                done.insert(node);
            }
        }
    }

    /// The instances of a block, each with its key and the value its
    /// expressions see as `each` (for_each) or `count` (count): one keyless
    /// instance without either.
    fn instances(
        &mut self,
        decl: &ResourceDecl,
    ) -> Option<Vec<(Option<InstanceKey>, Option<Value>)>> {
        if let Some(attr) = decl.count() {
            let n = self.count(decl, attr)?;
            return Some(
                (0..n)
                    .map(|i| {
                        let mut binding = Map::new();
                        binding.insert("index".to_string(), Value::from(i));
                        (Some(InstanceKey::Index(i)), Some(Value::Object(binding)))
                    })
                    .collect(),
            );
        }
        let Some(attr) = decl.for_each() else {
            return Some(vec![(None, None)]);
        };
        let each = |key: String, value: Value| {
            let mut binding = Map::new();
            binding.insert("key".to_string(), Value::from(key.as_str()));
            binding.insert("value".to_string(), value);
            (Some(InstanceKey::Name(key)), Some(Value::Object(binding)))
        };
        let value = self.eval(attr, Scope::Plain, None)?;
        let help = Some("for_each takes a map (keys become instance keys) or a set of strings, e.g. toset([\"a\", \"b\"])".to_string());
        match value {
            Value::Object(m) => {
                // Keys in lexical order, as Terraform iterates maps.
                let mut pairs: Vec<(String, Value)> = m.into_iter().collect();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                Some(pairs.into_iter().map(|(k, v)| each(k, v)).collect())
            }
            Value::Array(_) if !self.yields_set(&attr.expr, 0) => {
                self.error(
                    &attr.expr_span,
                    "for_each must be a map or a set of strings, and this is a list (a tuple), whose order is no stable key for an instance",
                    Some("wrap it in toset(...), as Terraform asks: for_each = toset([\"a\", \"b\"]), or give a map, or declare the variable with type = set(string)".into()),
                );
                None
            }
            Value::Array(items) => {
                let mut out = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for item in items {
                    let Value::String(s) = item else {
                        self.error(
                            &attr.expr_span,
                            format!("for_each must be a map or a set of strings, but this list contains a {}", type_name(&item)),
                            help,
                        );
                        return None;
                    };
                    if !seen.insert(s.clone()) {
                        self.error(
                            &attr.expr_span,
                            format!("for_each gives the key {s:?} twice, so {}.{}[{s:?}] would be declared twice", decl.kind.as_str(), decl.name),
                            Some("remove the duplicate, or wrap the list in toset(...)".into()),
                        );
                        return None;
                    }
                    out.push(each(s.clone(), Value::String(s)));
                }
                Some(out)
            }
            other => {
                self.error(
                    &attr.expr_span,
                    format!(
                        "for_each must be a map or a set of strings, got {}",
                        type_name(&other)
                    ),
                    help,
                );
                None
            }
        }
    }

    /// The value of `count`: a whole number from 0 to `MAX_COUNT`, known
    /// without the network (literals, variables, locals, functions).
    fn count(&mut self, decl: &ResourceDecl, attr: &Attr) -> Option<u64> {
        let value = self.eval(attr, Scope::Plain, None)?;
        let help = format!(
            "count takes a whole number of instances, e.g. count = 3 or count = length(var.LIST); \
             they are {}.{}[0], {}.{}[1], …",
            decl.kind.as_str(),
            decl.name,
            decl.kind.as_str(),
            decl.name
        );
        let problem = match &value {
            Value::Number(n) => match (n.as_u64(), n.as_f64()) {
                (Some(n), _) if n <= MAX_COUNT => return Some(n),
                // A float with no fraction (3.0, or 6 / 2) is a whole number.
                (None, Some(f)) if f.fract() == 0.0 && (0.0..=MAX_COUNT as f64).contains(&f) => {
                    return Some(f as u64);
                }
                (_, Some(f)) if f < 0.0 => format!("count must not be negative, got {n}"),
                (_, Some(f)) if f.fract() != 0.0 => {
                    format!("count must be a whole number, got {n}")
                }
                _ => {
                    format!("count is {n}, more than the {MAX_COUNT} instances one block may have")
                }
            },
            other => format!("count must be a whole number, got {}", type_name(other)),
        };
        self.error(&attr.expr_span, problem, Some(help));
        None
    }

    /// A required string attribute of one instance.
    pub(crate) fn string_attr(
        &mut self,
        attr: &Attr,
        scope: Scope,
        each: Option<&Value>,
        help: &str,
    ) -> Option<String> {
        match self.eval(attr, scope, each)? {
            Value::String(s) => Some(s),
            other => {
                let help = if matches!(other, Value::Number(_)) && attr.name == "page_id" {
                    "quote it: page IDs are strings of digits, e.g. page_id = \"107100000000001\""
                        .to_string()
                } else {
                    help.to_string()
                };
                self.error(
                    &attr.expr_span,
                    format!("{} must be a string, got {}", attr.name, type_name(&other)),
                    Some(help),
                );
                None
            }
        }
    }

    fn resource(&mut self, decl: &ResourceDecl, out: &mut Outputs) -> bool {
        if !self.no_sensitive_values_shown(decl) {
            return false;
        }
        let Some(instances) = self.instances(decl) else {
            return false;
        };
        let scope = if decl.for_each().is_some() {
            Scope::Each
        } else if decl.count().is_some() {
            Scope::Count
        } else {
            Scope::Plain
        };
        let mut ok = true;
        // Expressions see a for_each block as a map of its instances and a
        // count block as a list, as in Terraform.
        let mut values = Map::new();
        let mut list = Vec::new();
        for (key, each) in instances {
            let address = match decl.kind {
                ResourceKind::Page => Address::page(&decl.name),
                ResourceKind::Link => Address::link(&decl.name),
                ResourceKind::Application => Address::application(&decl.name),
            };
            let address = match &key {
                Some(k) => address.with_key(k.clone()),
                None => address,
            };
            let value = match decl.kind {
                ResourceKind::Page => self.page(decl, address, each.as_ref(), scope, out),
                ResourceKind::Link => self.link(decl, address, each.as_ref(), scope, out),
                ResourceKind::Application => {
                    self.application(decl, address, each.as_ref(), scope, out)
                }
            };
            match (value, key) {
                (Some(v), Some(InstanceKey::Name(k))) => {
                    values.insert(k, v);
                }
                (Some(v), Some(InstanceKey::Index(_))) => list.push(v),
                (Some(v), None) => {
                    self.store(decl, v);
                    return true;
                }
                (None, _) => ok = false,
            }
        }
        if ok {
            let value = if scope == Scope::Count {
                Value::Array(list)
            } else {
                Value::Object(values)
            };
            self.store(decl, value);
        }
        ok
    }

    fn store(&mut self, decl: &ResourceDecl, value: Value) {
        match decl.kind {
            ResourceKind::Page => self.pages.insert(decl.name.clone(), value),
            ResourceKind::Link => self.links.insert(decl.name.clone(), value),
            ResourceKind::Application => self.applications.insert(decl.name.clone(), value),
        };
    }

    fn page(
        &mut self,
        decl: &ResourceDecl,
        address: Address,
        each: Option<&Value>,
        scope: Scope,
        out: &mut Outputs,
    ) -> Option<Value> {
        let page_id_attr = &decl.attrs["page_id"];
        let page_id = self.string_attr(
            page_id_attr,
            scope,
            each,
            "write the Facebook Page ID as a string of digits",
        );
        // No early return: every attribute is evaluated so all problems are
        // reported, and so the token is known (and scrubbed) even when the
        // page_id is wrong.
        let page_id = match page_id {
            Some(id) if !is_page_id(&id) => {
                self.error(
                    &page_id_attr.expr_span,
                    format!("page_id must be all digits (a Facebook Page ID), got {id:?}"),
                    Some("copy the numeric Page ID from the page's About section".into()),
                );
                None
            }
            other => other,
        };
        let name = match decl.attrs.get("name") {
            None => Some(None),
            Some(attr) => match self.eval(attr, scope, each) {
                Some(Value::Null) => Some(None),
                Some(Value::String(s)) => Some(Some(s)),
                Some(other) => {
                    self.error(
                        &attr.expr_span,
                        format!("name must be a string, got {}", type_name(&other)),
                        Some("write name = \"Page name\"".into()),
                    );
                    None
                }
                None => None,
            },
        };
        let token_attr = decl.attrs.get("access_token");
        let token = if let Some(token_attr) = token_attr {
            self.page_token(token_attr, scope, each, out)
        } else {
            // Facebook supplies it, once asked.
            Some(None)
        };
        let (page_id, name, access_token) = (page_id?, name?, token?);
        let mut fields = Map::new();
        fields.insert("page_id".to_string(), Value::from(page_id.as_str()));
        fields.insert(
            "name".to_string(),
            name.clone().map(Value::from).unwrap_or(Value::Null),
        );
        out.pages.push(PageOut {
            page: DesiredPage {
                address,
                page_id,
                name,
                access_token,
                token_from_facebook: token_attr.is_none(),
                location: self.sources.location(&decl.label_span),
            },
            page_id_span: page_id_attr.expr_span.clone(),
        });
        Some(Value::Object(fields))
    }

    /// Only `access_token` may take a sensitive value: every other
    /// attribute of a page or link is shown in plans, kept in state and
    /// sent to Vonage as it is. (`for_each` and `count` only make keys;
    /// iterating a sensitive map of tokens is how fleets are written.)
    fn no_sensitive_values_shown(&mut self, decl: &ResourceDecl) -> bool {
        let mut ok = true;
        for attr in &decl.attrs {
            if matches!(attr.name.as_str(), "access_token" | "for_each" | "count") {
                continue;
            }
            if let Some(source) = self.sensitive_source(attr) {
                self.error(
                    &attr.expr_span,
                    format!(
                        "{} uses the sensitive variable {source}: its value would be shown in \
                         plans, kept in state and sent to Vonage as the {} {}",
                        attr.name,
                        decl.kind.as_str(),
                        attr.name
                    ),
                    Some(
                        "only access_token may take a sensitive value; use a variable that is \
                         not sensitive here"
                            .into(),
                    ),
                );
                ok = false;
            }
        }
        ok
    }

    /// A page's configured access_token: `Some(None)` when it is unknown
    /// (drift without tokens), `None` when in error (reported here).
    fn page_token(
        &mut self,
        token_attr: &Attr,
        scope: Scope,
        each: Option<&Value>,
        out: &mut Outputs,
    ) -> Option<Option<Secret>> {
        if self.allow_unknown_tokens && self.uses_unset_var(token_attr) {
            Some(None)
        } else {
            match self.eval(token_attr, scope, each) {
                // An empty token can only be a mistake (`--var NAME=` or an
                // empty environment variable): caught here, before the plan
                // proposes sending it.
                Some(Value::String(s)) if s.trim().is_empty() => {
                    self.error(
                        &token_attr.expr_span,
                        "access_token is empty",
                        Some(
                            "give the page's access token (a Facebook Page access token), \
                             usually from a sensitive variable set with --var NAME=TOKEN or \
                             SF_VAR_NAME"
                                .into(),
                        ),
                    );
                    None
                }
                Some(Value::String(s)) => {
                    out.secrets.push(s.clone());
                    Some(Some(Secret::new(s)))
                }
                Some(Value::Null) => {
                    self.error(
                        &token_attr.expr_span,
                        "access_token is null",
                        Some(
                            "give the page's access token, usually from a sensitive variable"
                                .into(),
                        ),
                    );
                    None
                }
                Some(other) => {
                    self.error(
                        &token_attr.expr_span,
                        format!("access_token must be a string, got {}", type_name(&other)),
                        Some("use a string variable".into()),
                    );
                    None
                }
                None => None,
            }
        }
    }

    fn link(
        &mut self,
        decl: &ResourceDecl,
        address: Address,
        each: Option<&Value>,
        scope: Scope,
        out: &mut Outputs,
    ) -> Option<Value> {
        let channel = self.link_channel(decl, scope, each);
        let account = match channel {
            Some(Channel::Messenger) => self.link_page(decl, scope, each),
            Some(channel) => self.link_account(decl, channel, scope, each),
            None => None,
        };
        let app_attr = &decl.attrs["application"];
        let application = self.string_attr(
            app_attr,
            scope,
            each,
            "give the application's UUID as a string, or application.NAME.id",
        );
        let application = match application {
            Some(a) if is_uuid(&a) => Some(a.to_ascii_lowercase()),
            // `application.NAME.id` of an application declared here: the
            // planner resolves it (from state, or after its create).
            Some(a) if crate::application::unknown_id_of(&a).is_some() => Some(a),
            Some(a) => {
                self.error(
                    &app_attr.expr_span,
                    format!("application must be a UUID, got {a:?}"),
                    Some("use application.NAME.id of an application block, or the application ID from the Vonage dashboard, like \"c0ffee00-0000-4000-8000-000000000001\"".into()),
                );
                None
            }
            None => None,
        };
        let (channel, (page_id, page_span), application) = (channel?, account?, application?);
        let mut fields = Map::new();
        if channel.is_messenger() {
            fields.insert("page".to_string(), Value::from(page_id.as_str()));
        } else {
            fields.insert("channel".to_string(), Value::from(channel.as_str()));
            fields.insert("account".to_string(), Value::from(page_id.as_str()));
        }
        fields.insert("application".to_string(), Value::from(application.as_str()));
        out.links.push(LinkOut {
            address,
            channel,
            page_id,
            application,
            page_span,
            label_span: decl.label_span.clone(),
        });
        Some(Value::Object(fields))
    }

    /// A link's `channel`: messenger when absent.
    fn link_channel(
        &mut self,
        decl: &ResourceDecl,
        scope: Scope,
        each: Option<&Value>,
    ) -> Option<Channel> {
        let Some(attr) = decl.attrs.get("channel") else {
            return Some(Channel::Messenger);
        };
        let names = Channel::ALL.map(Channel::as_str);
        let listed = names.map(|n| format!("{n:?}")).join(", ");
        let text = self.string_attr(
            attr,
            scope,
            each,
            &format!("write one of {listed}, e.g. channel = \"whatsapp\""),
        )?;
        if let Some(channel) = Channel::from_provider(&text) {
            return Some(channel);
        }
        let help = match suggest(&text, names) {
            Some(close) => format!("did you mean \"{close}\"?"),
            None => format!("write one of {listed}; leave channel out for messenger"),
        };
        self.error(
            &attr.expr_span,
            format!("unknown channel {text:?}; expected one of {listed}"),
            Some(help),
        );
        None
    }

    /// A messenger link's `page`, with the span of its expression. A link
    /// whose `channel` is given says whether it needs `page` only then.
    fn link_page(
        &mut self,
        decl: &ResourceDecl,
        scope: Scope,
        each: Option<&Value>,
    ) -> Option<(String, Span)> {
        if let Some(account) = decl.attrs.get("account") {
            self.error(
                &account.key_span,
                "`account` is for links on other channels; a messenger link names its page",
                Some("write page = page.NAME.page_id, or set channel".into()),
            );
        }
        let Some(page_attr) = decl.attrs.get("page") else {
            self.error(
                &decl.label_span,
                format!(
                    "link \"{}\" is missing the required attribute `page`",
                    decl.name
                ),
                Some("add `page = page.NAME.page_id`".into()),
            );
            return None;
        };
        let page_help = "reference a page: page = page.NAME.page_id";
        let page_id = match self.string_attr(page_attr, scope, each, page_help) {
            Some(s) if is_page_id(&s) => Some(s),
            Some(s) => {
                self.error(
                    &page_attr.expr_span,
                    format!("page must be a page_id (all digits), got {s:?}"),
                    Some(page_help.into()),
                );
                None
            }
            None => None,
        };
        page_id.map(|id| (id, page_attr.expr_span.clone()))
    }

    /// The `account` of a link on another channel: the account's
    /// external_id, with the span of its expression.
    fn link_account(
        &mut self,
        decl: &ResourceDecl,
        channel: Channel,
        scope: Scope,
        each: Option<&Value>,
    ) -> Option<(String, Span)> {
        let example = account_example(channel);
        if let Some(page) = decl.attrs.get("page") {
            self.error(
                &page.key_span,
                format!("`page` is for messenger links; a {channel} link names its account"),
                Some(format!("write account = {example}")),
            );
        }
        let Some(attr) = decl.attrs.get("account") else {
            self.error(
                &decl.label_span,
                format!(
                    "link \"{}\" is missing the required attribute `account` (channel {channel})",
                    decl.name
                ),
                Some(format!("add `account = {example}`")),
            );
            return None;
        };
        let help = format!(
            "the {}'s ID as a string: account = {example}",
            channel.account_noun()
        );
        let account = self.string_attr(attr, scope, each, &help)?;
        let problem = if account.is_empty() {
            Some("account must not be empty".to_string())
        } else if channel == Channel::Whatsapp && !is_page_id(&account) {
            Some(format!(
                "a WhatsApp account is its number in international format, digits only (no + or spaces), got {account:?}"
            ))
        } else if account
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '%'))
        {
            Some(format!(
                "account must not contain spaces, control characters, /, ?, # or %, got {account:?}"
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            self.error(&attr.expr_span, message, Some(help));
            return None;
        }
        Some((account, attr.expr_span.clone()))
    }

    /// A settings block's attribute (provider, backend): a string, or
    /// `None` when null or in error (the error is reported here).
    fn optional_string(&mut self, attr: &Attr) -> Option<String> {
        match self.eval(attr, Scope::Plain, None) {
            Some(Value::String(s)) => Some(s),
            Some(Value::Null) => None,
            Some(other) => {
                self.error(
                    &attr.expr_span,
                    format!("{} must be a string, got {}", attr.name, type_name(&other)),
                    Some("use a string".into()),
                );
                None
            }
            None => None,
        }
    }

    /// The `backend "postgres"` block, evaluated (it may use `var.*` and
    /// `env()`); `None` without one. `conn_str` is a secret: it may carry
    /// a password.
    pub(crate) fn backend(&mut self, secrets: &mut Vec<String>) -> Option<PostgresSettings> {
        let decl = self.decls.backend.as_ref()?;
        let mut settings = PostgresSettings::default();
        for attr in &decl.attrs {
            if self.unset_credential(attr) {
                continue;
            }
            let value = self.optional_string(attr);
            match attr.name.as_str() {
                "conn_str" => {
                    if let Some(s) = &value {
                        secrets.push(s.clone());
                    }
                    settings.conn_str = value.map(Secret::new);
                }
                "schema_name" => settings.schema_name = value,
                "state_name" => settings.state_name = value,
                "sslmode" => settings.tls.sslmode = value,
                // Files named in the block are found as file() finds them:
                // in the configuration directory.
                "sslrootcert" => {
                    settings.tls.sslrootcert = value.map(|v| match v.as_str() {
                        "system" => v,
                        path => super::functions::in_config_dir(path).display().to_string(),
                    })
                }
                "sslcert" => {
                    settings.tls.sslcert =
                        value.map(|v| super::functions::in_config_dir(&v).display().to_string())
                }
                "sslkey" => {
                    settings.tls.sslkey =
                        value.map(|v| super::functions::in_config_dir(&v).display().to_string())
                }
                _ => {}
            }
        }
        Some(settings)
    }

    pub(crate) fn provider(&mut self, out: &mut Outputs) -> ProviderSettings {
        let mut settings = ProviderSettings::default();
        let Some(p) = &self.decls.provider else {
            return settings;
        };
        for attr in &p.attrs {
            if self.unset_credential(attr) {
                continue;
            }
            if attr.name == "requests_per_second" {
                settings.requests_per_second = self.requests_per_second(attr);
                continue;
            }
            let value = self.optional_string(attr);
            match attr.name.as_str() {
                "api_key" => settings.api_key = value,
                "api_secret" => {
                    if let Some(s) = &value {
                        out.secrets.push(s.clone());
                    }
                    settings.api_secret = value.map(Secret::new)
                }
                "endpoint" => {
                    self.check_endpoint(attr, value.as_deref());
                    settings.endpoint_location = Some(self.sources.location(&attr.expr_span));
                    settings.endpoint = value
                }
                "ca_file" => settings.ca_file = self.ca_file(attr, value),
                _ => {}
            }
        }
        settings
    }

    /// A provider's `ca_file`, found as `file()` finds files (in the
    /// configuration directory); one that is not there is an error at it.
    fn ca_file(&mut self, attr: &Attr, value: Option<String>) -> Option<std::path::PathBuf> {
        let path = super::functions::in_config_dir(&value?);
        if !path.is_file() {
            self.error(
                &attr.expr_span,
                format!("ca_file {} does not exist", path.display()),
                Some(
                    "name a PEM file of CA certificates (relative paths are read from the \
                     configuration directory)"
                        .into(),
                ),
            );
            return None;
        }
        Some(path)
    }

    /// The `provider "facebook"` block, evaluated; `None` without one. The
    /// user token and the app secret are secrets.
    pub(crate) fn facebook(&mut self, out: &mut Outputs) -> Option<FacebookSettings> {
        let decl = self.decls.facebook.as_ref()?;
        let mut settings = FacebookSettings::default();
        for attr in &decl.attrs {
            if self.unset_credential(attr) {
                continue;
            }
            if attr.name == "token_warning_days" {
                settings.token_warning_days = self.warning_days(attr);
                continue;
            }
            let value = self.optional_string(attr);
            if matches!(attr.name.as_str(), "user_token" | "app_secret")
                && let Some(s) = &value
            {
                out.secrets.push(s.clone());
            }
            match attr.name.as_str() {
                "user_token" => settings.user_token = value.map(Secret::new),
                "app_id" => settings.app_id = value,
                "app_secret" => settings.app_secret = value.map(Secret::new),
                "endpoint" => {
                    self.check_endpoint(attr, value.as_deref());
                    settings.endpoint_location = Some(self.sources.location(&attr.expr_span));
                    settings.endpoint = value
                }
                "ca_file" => settings.ca_file = self.ca_file(attr, value),
                _ => {}
            }
        }
        Some(settings)
    }

    /// A provider's endpoint that is not an http(s) URL (nor "sandbox"):
    /// caught here, so that `validate` reports it at the attribute rather
    /// than the first command that connects.
    fn check_endpoint(&mut self, attr: &Attr, endpoint: Option<&str>) {
        if let Some(endpoint) = endpoint
            && endpoint != crate::endpoint::SANDBOX
            && let Some(fix) = crate::endpoint::fix(endpoint)
        {
            self.error(
                &attr.expr_span,
                format!("endpoint {endpoint:?} is not an http(s) URL"),
                Some(format!(
                    "write endpoint = \"{fix}\" (with the scheme), or \"sandbox\" for the built-in emulator"
                )),
            );
        }
    }

    /// A credential of a provider or backend block whose variable is unset,
    /// while that is allowed (`validate`): left out, with no error.
    fn unset_credential(&self, attr: &Attr) -> bool {
        const CREDENTIALS: &[&str] = &[
            "api_key",
            "api_secret",
            "user_token",
            "app_id",
            "app_secret",
            "conn_str",
        ];
        self.allow_unset_credentials
            && CREDENTIALS.contains(&attr.name.as_str())
            && self.uses_unset_var(attr)
    }

    /// `requests_per_second`: the External Accounts API's rate for this key,
    /// a number above 0 and at most 10,000 (0 turns the client's limit off).
    fn requests_per_second(&mut self, attr: &Attr) -> Option<f64> {
        let value = self.eval(attr, Scope::Plain, None)?;
        let rate = match &value {
            Value::Number(n) => n.as_f64().filter(|r| (0.0..=10_000.0).contains(r)),
            Value::Null => return None,
            _ => None,
        };
        if rate.is_none() {
            self.error(
                &attr.expr_span,
                format!(
                    "requests_per_second must be a number from 0 to 10000, got {}",
                    if matches!(value, Value::Number(_)) {
                        "another number".to_string()
                    } else {
                        type_name(&value).to_string()
                    }
                ),
                Some(
                    "write requests_per_second = 30 (Vonage's documented default per API key), \
                     or 0 for no client-side limit"
                        .into(),
                ),
            );
        }
        rate
    }

    /// `token_warning_days`: a whole number of days, 0 to 365.
    fn warning_days(&mut self, attr: &Attr) -> Option<u32> {
        let value = self.eval(attr, Scope::Plain, None)?;
        let days = match &value {
            Value::Number(n) => n.as_u64().filter(|d| *d <= 365),
            Value::Null => return None,
            _ => None,
        };
        if days.is_none() {
            self.error(
                &attr.expr_span,
                format!(
                    "token_warning_days must be a whole number of days from 0 to 365, got {}",
                    if matches!(value, Value::Number(_)) {
                        "another number".to_string()
                    } else {
                        type_name(&value).to_string()
                    }
                ),
                Some("write token_warning_days = 14 (the default)".into()),
            );
        }
        days.map(|d| d as u32)
    }

    /// `page.NAME`, `page.NAME["k"]`, `link.NAME`: read from the syntax, not evaluated.
    fn static_address(&mut self, attr: &Attr, what: &str) -> Option<Address> {
        let bad = |this: &mut Self| {
            this.error(
                &attr.expr_span,
                format!("{what} must be a resource address, like page.NAME, page.NAME[\"KEY\"] or page.NAME[0]"),
                Some("write the address itself, without quotes or expressions".into()),
            );
            None
        };
        let Expression::Traversal(t) = &attr.expr else {
            return bad(self);
        };
        let Expression::Variable(root) = &t.expr else {
            return bad(self);
        };
        let kind = match root.as_str() {
            "page" => ResourceKind::Page,
            "link" => ResourceKind::Link,
            "application" => ResourceKind::Application,
            _ => return bad(self),
        };
        let mut ops = t.operators.iter().map(|o| o.value());
        let Some(TraversalOperator::GetAttr(name)) = ops.next() else {
            return bad(self);
        };
        let mut address = Address {
            kind,
            name: name.to_string(),
            key: None,
        };
        match ops.next() {
            None => {}
            Some(TraversalOperator::Index(Expression::String(k))) => {
                address.key = Some(InstanceKey::Name(k.value().clone()))
            }
            Some(TraversalOperator::Index(Expression::Number(n))) => match n.value().as_u64() {
                Some(i) => address.key = Some(InstanceKey::Index(i)),
                None => return bad(self),
            },
            Some(TraversalOperator::LegacyIndex(n)) => {
                address.key = Some(InstanceKey::Index(*n.value()))
            }
            Some(_) => return bad(self),
        }
        if ops.next().is_some() {
            return bad(self);
        }
        Some(address)
    }

    /// True when `address` names a block whose own error was reported:
    /// declared with an error in its body (`broken`), or declared but not
    /// evaluated (an attribute failed, or something it depends on did).
    /// Checking a block that points at it would only add a false "not
    /// declared" to the real error.
    fn in_error(&self, address: &Address) -> bool {
        let name = &address.name;
        let evaluated = match address.kind {
            ResourceKind::Page => self.pages.contains_key(name),
            ResourceKind::Link => self.links.contains_key(name),
            ResourceKind::Application => self.applications.contains_key(name),
        };
        self.decls.broken.contains(&(address.kind, name.clone()))
            || (self.decls.resource(address.kind, name).is_some() && !evaluated)
    }

    pub(crate) fn imports(&mut self, out: &Outputs) -> Vec<ImportDecl> {
        let mut result: Vec<ImportDecl> = Vec::new();
        let decls = self.decls;
        for block in &decls.imports {
            let (Some(to), Some(id)) = (&block.to, &block.id) else {
                continue;
            };
            let Some(address) = self.static_address(to, "import `to`") else {
                continue;
            };
            if !matches!(address.kind, ResourceKind::Page | ResourceKind::Application) {
                self.error(
                    &to.expr_span,
                    "only pages and applications can be imported",
                    Some("write to = page.NAME or to = application.NAME; links are created from the configuration".into()),
                );
                continue;
            }
            if self.in_error(&address) {
                continue;
            }
            if address.kind == ResourceKind::Application {
                if let Some(import) = self.application_import(block, address, id, out, &result) {
                    result.push(import);
                }
                continue;
            }
            if !out.pages.iter().any(|p| p.page.address == address) {
                let help = match decls.resource(ResourceKind::Page, &address.name) {
                    Some(d) if d.for_each().is_some() && address.key.is_none() => format!(
                        "page.{} uses for_each: name an instance, like page.{}[\"KEY\"]",
                        address.name, address.name
                    ),
                    Some(d) if d.count().is_some() && address.key.is_none() => format!(
                        "page.{} uses count: name an instance, like page.{}[0]",
                        address.name, address.name
                    ),
                    Some(d) if d.for_each().is_none() && d.count().is_none() => format!(
                        "page.{} has neither count nor for_each: write to = page.{}",
                        address.name, address.name
                    ),
                    Some(d) => format!(
                        "page.{} has no instance {address}: name one of its instances, like {}",
                        address.name,
                        d.instance_example()
                    ),
                    _ => format!(
                        "declare `page \"{}\" {{ ... }}` for the imported page",
                        address.name
                    ),
                };
                self.error(
                    &to.expr_span,
                    format!("import target {address} is not declared in the configuration"),
                    Some(help),
                );
                continue;
            }
            let Some(page_id) =
                self.string_attr(id, Scope::Plain, None, "give the Page ID as a string")
            else {
                continue;
            };
            if !is_page_id(&page_id) {
                self.error(
                    &id.expr_span,
                    format!("id must be a page_id (all digits), got {page_id:?}"),
                    Some("write id = \"107100000000001\"".into()),
                );
                continue;
            }
            if let Some(first) = result.iter().find(|i| i.to == address) {
                let first = first.location.clone();
                self.error(
                    &to.expr_span,
                    format!("{address} is imported twice; the first import is at {first}"),
                    Some("remove one of the import blocks".into()),
                );
                continue;
            }
            result.push(ImportDecl {
                to: address,
                id: page_id,
                location: self.sources.location(&block.span),
            });
        }
        result
    }

    /// `import { to = application.NAME  id = "UUID" }`: the block must be
    /// declared (without count or for_each, as applications are) and the
    /// id a UUID; whether Vonage has it is the planner's to check.
    fn application_import(
        &mut self,
        block: &super::resources::ImportBlock,
        address: Address,
        id: &Attr,
        out: &Outputs,
        earlier: &[ImportDecl],
    ) -> Option<ImportDecl> {
        let to = block.to.as_ref()?;
        if !out.applications.iter().any(|a| a.address == address) {
            self.error(
                &to.expr_span,
                format!("import target {address} is not declared in the configuration"),
                Some(format!(
                    "declare `application \"{}\" {{ ... }}` for the imported application",
                    address.name
                )),
            );
            return None;
        }
        let uuid = self.string_attr(
            id,
            Scope::Plain,
            None,
            "give the application's id as a string",
        )?;
        if !is_uuid(&uuid) {
            self.error(
                &id.expr_span,
                format!("id must be an application id (a UUID), got {uuid:?}"),
                Some("write id = \"c0ffee00-0000-4000-8000-000000000001\" (the dashboard and `GET /v2/applications` show it)".into()),
            );
            return None;
        }
        if let Some(first) = earlier.iter().find(|i| i.to == address) {
            self.error(
                &to.expr_span,
                format!(
                    "{address} is imported twice; the first import is at {}",
                    first.location
                ),
                Some("remove one of the import blocks".into()),
            );
            return None;
        }
        Some(ImportDecl {
            to: address,
            id: uuid.to_ascii_lowercase(),
            location: self.sources.location(&block.span),
        })
    }

    pub(crate) fn removed(&mut self, out: &Outputs) -> Vec<RemovedDecl> {
        let mut result = Vec::new();
        let decls = self.decls;
        for block in &decls.removed {
            let Some(from) = &block.from else { continue };
            let Some(address) = self.static_address(from, "removed `from`") else {
                continue;
            };
            // Whether it is still declared cannot be told; its error is reported.
            if self.in_error(&address) {
                continue;
            }
            let still = decls.resource(address.kind, &address.name).is_some()
                && (address.key.is_none()
                    || out.pages.iter().any(|p| p.page.address == address)
                    || out.links.iter().any(|l| l.address == address));
            if still {
                self.error(
                    &from.expr_span,
                    format!("{address} is still declared, so it cannot be removed"),
                    Some(format!("delete the {} block (or the instance's for_each key, or lower its count), or delete this removed block", address.kind.as_str())),
                );
                continue;
            }
            result.push(RemovedDecl {
                from: address,
                destroy: block.destroy,
                location: self.sources.location(&block.span),
            });
        }
        result
    }

    /// True when `address` names a declared instance, or (keyless) a
    /// declared block.
    fn declared(&self, out: &Outputs, address: &Address) -> bool {
        let instance = out.pages.iter().any(|p| &p.page.address == address)
            || out.links.iter().any(|l| &l.address == address);
        instance
            || (address.key.is_none() && self.decls.resource(address.kind, &address.name).is_some())
    }

    pub(crate) fn moved(&mut self, out: &Outputs) -> Vec<MovedDecl> {
        let mut result: Vec<MovedDecl> = Vec::new();
        let decls = self.decls;
        for block in &decls.moved {
            let (Some(from_attr), Some(to_attr)) = (&block.from, &block.to) else {
                continue;
            };
            let from = self.static_address(from_attr, "moved `from`");
            let to = self.static_address(to_attr, "moved `to`");
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            // A block with an error of its own was reported already.
            if self.in_error(&from) || self.in_error(&to) {
                continue;
            }
            if from.kind != to.kind {
                self.error(
                    &to_attr.expr_span,
                    format!(
                        "cannot move a {} to a {}: {from} and {to} are different kinds",
                        from.kind.as_str(),
                        to.kind.as_str()
                    ),
                    Some(format!(
                        "write to = {}.NAME; a page moves to a page, a link to a link",
                        from.kind.as_str()
                    )),
                );
                continue;
            }
            if from == to {
                self.error(
                    &to_attr.expr_span,
                    format!("the moved block moves {from} to itself"),
                    Some("delete this moved block".into()),
                );
                continue;
            }
            // One instance (a keyed `from`) must land on one declared
            // instance, not on a whole for_each block.
            let to_declared = if from.key.is_some() && to.key.is_none() {
                out.pages.iter().any(|p| p.page.address == to)
                    || out.links.iter().any(|l| l.address == to)
            } else {
                self.declared(out, &to)
            };
            if !to_declared {
                let help = match decls.resource(to.kind, &to.name) {
                    Some(d) if d.for_each().is_some() && to.key.is_none() => format!(
                        "{}.{} uses for_each: name an instance, like {}.{}[\"KEY\"]",
                        to.kind.as_str(),
                        to.name,
                        to.kind.as_str(),
                        to.name
                    ),
                    Some(d) if d.count().is_some() && to.key.is_none() => format!(
                        "{}.{} uses count: name an instance, like {}.{}[0]",
                        to.kind.as_str(),
                        to.name,
                        to.kind.as_str(),
                        to.name
                    ),
                    Some(d) if d.for_each().is_some() => format!(
                        "{}.{} has no instance with that key: check its for_each",
                        to.kind.as_str(),
                        to.name
                    ),
                    Some(d) if d.count().is_some() => format!(
                        "{}.{} has no instance with that index: check its count",
                        to.kind.as_str(),
                        to.name
                    ),
                    Some(_) if to.key.is_some() => format!(
                        "{}.{} has neither count nor for_each: write to = {}.{}",
                        to.kind.as_str(),
                        to.name,
                        to.kind.as_str(),
                        to.name
                    ),
                    _ => format!(
                        "declare `{} \"{}\" {{ ... }}` where the object now lives",
                        to.kind.as_str(),
                        to.name
                    ),
                };
                self.error(
                    &to_attr.expr_span,
                    format!("moved target {to} is not declared in the configuration"),
                    Some(help),
                );
                continue;
            }
            // Moving a block's only instance into a for_each of the same
            // block (page.x -> page.x["k"]) is allowed; otherwise `from`
            // must be gone from the configuration, or its record would be
            // both moved away and needed where it is.
            let same_block = from.name == to.name && (from.key.is_none() != to.key.is_none());
            if !same_block
                && (out.pages.iter().any(|p| p.page.address == from)
                    || out.links.iter().any(|l| l.address == from)
                    || (from.key.is_none()
                        && to.key.is_none()
                        && decls.resource(from.kind, &from.name).is_some()))
            {
                self.error(
                    &from_attr.expr_span,
                    format!("{from} is still declared, so nothing can move away from it"),
                    Some(format!(
                        "rename the {} block to {to} (that is what this moved block records), or delete this moved block",
                        from.kind.as_str()
                    )),
                );
                continue;
            }
            if let Some(first) = result.iter().find(|m| m.from == from) {
                let first = first.location.clone();
                self.error(
                    &from_attr.expr_span,
                    format!("{from} is moved twice; the first moved block is at {first}"),
                    Some("keep one moved block per `from` address".into()),
                );
                continue;
            }
            result.push(MovedDecl {
                from,
                to,
                location: self.sources.location(&block.span),
            });
        }
        result
    }
}
