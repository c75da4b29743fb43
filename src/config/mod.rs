//! Loading a configuration directory: parse every `*.hcl` file, evaluate
//! variables, locals, `for_each` and references, check the static rules, and
//! produce a `Desired`. No network, no state.

mod applications;
mod checks;
mod diagnostic;
mod eval;
mod files;
mod functions;
mod instances;
mod json_vars;
mod limits;
mod literal;
mod provenance;
mod refs;
mod resources;
#[cfg(test)]
mod tests;
mod types;
mod vars;

pub(crate) use diagnostic::{Diagnostic, Diagnostics};

use crate::address::Address;
use crate::desired::{Desired, Protection};
use eval::Evaluator;
use files::Sources;
use instances::Outputs;
use std::path::PathBuf;

/// Where variable values come from, besides the directory's own
/// `socialform.sfvars` and `*.auto.sfvars`.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    pub dir: PathBuf,
    /// `--var NAME=VALUE` and `--var-file FILE`, in command-line order
    /// (later wins, as in Terraform).
    pub cli_vars: Vec<CliVar>,
    /// `SF_VAR_<name>` and anything `env(NAME)` reads. Taken as a snapshot so
    /// tests need not touch the process environment.
    pub env: Vec<(String, String)>,
    /// For `drift` without page tokens: an `access_token` whose variable is
    /// unset becomes `None` instead of an error.
    pub allow_unknown_tokens: bool,
    /// For `validate`: a provider or backend credential (`api_key`,
    /// `api_secret`, `user_token`, `app_id`, `app_secret`, `conn_str`) whose
    /// variable is unset is left out instead of an error, so that a lint
    /// job needs no production secret. Commands that connect get the error.
    pub allow_unset_credentials: bool,
    /// What `data "facebook_pages"` blocks see: Facebook's answer, once
    /// read. `None`: unknown (offline, as in `validate`); whatever depends
    /// on it is left out and `Desired::needs_facebook_pages` says so.
    pub facebook_pages: Option<std::sync::Arc<Vec<FacebookPage>>>,
    /// What `data "vonage_applications"` blocks see: the account's
    /// applications, once read (refresh reads them anyway). `None`:
    /// unknown, as `facebook_pages`; `Desired::needs_vonage_applications`.
    pub vonage_applications: Option<std::sync::Arc<Vec<DataApplication>>>,
    /// What of the configuration to load.
    pub select: Select,
}

/// What `load` reads of a configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Select {
    /// Every block, every check.
    #[default]
    Everything,
    /// Only the `backend` block (`Desired::backend`; the rest left empty),
    /// for commands that need where state lives but not what it should
    /// hold: a mistake in a page block does not stop them. The block may
    /// use `var.*` and `env()`. `files`: these files instead of every
    /// configuration file.
    Backend { files: Option<Vec<PathBuf>> },
}

/// A page the Facebook user token can manage, as data sources expose it:
/// no token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacebookPage {
    pub id: String,
    pub name: Option<String>,
    pub tasks: Vec<String>,
}

/// An application of the account, as `data "vonage_applications"`
/// exposes it: no key material.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataApplication {
    pub id: String,
    pub name: String,
    /// Sorted: `messages`, `voice`, …
    pub capabilities: Vec<String>,
    pub inbound_url: Option<String>,
    pub status_url: Option<String>,
}

impl DataApplication {
    fn value(&self) -> hcl::Value {
        use hcl::{Map, Value};
        let optional = |v: &Option<String>| v.clone().map(Value::from).unwrap_or(Value::Null);
        let mut fields = Map::new();
        fields.insert("id".to_string(), Value::from(self.id.as_str()));
        fields.insert("name".to_string(), Value::from(self.name.as_str()));
        fields.insert(
            "capabilities".to_string(),
            Value::Array(
                self.capabilities
                    .iter()
                    .map(|c| Value::from(c.as_str()))
                    .collect(),
            ),
        );
        fields.insert("inbound_url".to_string(), optional(&self.inbound_url));
        fields.insert("status_url".to_string(), optional(&self.status_url));
        Value::Object(fields)
    }
}

/// The applications a `data "vonage_applications"` block lists: those with
/// its capability (every one without), by name then id.
pub(crate) fn filtered<'a>(
    apps: &'a [DataApplication],
    capability: Option<&str>,
) -> Vec<&'a DataApplication> {
    let mut out: Vec<&DataApplication> = apps
        .iter()
        .filter(|a| capability.is_none_or(|c| a.capabilities.iter().any(|have| have == c)))
        .collect();
    out.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    out
}

/// The value of one `data "vonage_applications"` block: `applications`
/// (a list), `by_id` and `by_name` (names that more than one application
/// has are left out of `by_name`: using them is an error at the expression).
fn applications_value(apps: &[DataApplication], capability: Option<&str>) -> hcl::Value {
    use hcl::{Map, Value};
    let listed = filtered(apps, capability);
    let mut by_id = Map::new();
    let mut by_name = Map::new();
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    for app in &listed {
        *counts.entry(app.name.as_str()).or_default() += 1;
    }
    for app in &listed {
        by_id.insert(app.id.clone(), app.value());
        if counts[app.name.as_str()] == 1 {
            by_name.insert(app.name.clone(), app.value());
        }
    }
    let mut source = Map::new();
    source.insert(
        "applications".to_string(),
        Value::Array(listed.iter().map(|a| a.value()).collect()),
    );
    source.insert("by_id".to_string(), Value::Object(by_id));
    source.insert("by_name".to_string(), Value::Object(by_name));
    Value::Object(source)
}

/// The value of `data`, for the sources whose answer is known:
/// `facebook_pages.NAME.pages` = page ID => `{ id, name, tasks }`, and
/// `vonage_applications.NAME` (see `applications_value`). `None` when
/// neither is.
fn data_value(
    decls: &resources::Decls,
    pages: Option<&[FacebookPage]>,
    apps: Option<&[DataApplication]>,
) -> Option<hcl::Value> {
    use hcl::{Map, Value};
    if pages.is_none() && apps.is_none() {
        return None;
    }
    let mut data = Map::new();
    if let Some(apps) = apps {
        let mut sources = Map::new();
        for decl in decls
            .data
            .iter()
            .filter(|d| d.kind == resources::DataKind::VonageApplications)
        {
            sources.insert(
                decl.name.clone(),
                applications_value(apps, decl.capability.as_deref()),
            );
        }
        data.insert("vonage_applications".to_string(), Value::Object(sources));
    }
    let Some(pages) = pages else {
        return Some(Value::Object(data));
    };
    let mut by_id = Map::new();
    for page in pages {
        let mut fields = Map::new();
        fields.insert("id".to_string(), Value::from(page.id.as_str()));
        fields.insert(
            "name".to_string(),
            page.name.clone().map(Value::from).unwrap_or(Value::Null),
        );
        fields.insert(
            "tasks".to_string(),
            Value::Array(page.tasks.iter().map(|t| Value::from(t.as_str())).collect()),
        );
        by_id.insert(page.id.clone(), Value::Object(fields));
    }
    let mut sources = Map::new();
    for decl in decls
        .data
        .iter()
        .filter(|d| d.kind == resources::DataKind::FacebookPages)
    {
        let mut source = Map::new();
        source.insert("pages".to_string(), Value::Object(by_id.clone()));
        sources.insert(decl.name.clone(), Value::Object(source));
    }
    data.insert("facebook_pages".to_string(), Value::Object(sources));
    Some(Value::Object(data))
}

#[derive(Clone, Debug)]
pub enum CliVar {
    /// `--var NAME=VALUE`
    Pair { name: String, value: String },
    /// `--var-file FILE`
    File(PathBuf),
}

/// Loads what `options.select` asks for of the configuration in
/// `options.dir`, checked.
///
/// Runs on a worker thread (see `threads`: a large stack for the parser's
/// recursion). A panic inside becomes a diagnostic rather than a crash.
pub fn load(options: &LoadOptions) -> Result<Desired, Diagnostics> {
    let options = options.clone();
    let internal = |what: &str| {
        Diagnostics(vec![
            Diagnostic::error(format!(
                "internal error while loading the configuration: {what}"
            ))
            .with_help("please report this, with the configuration that caused it"),
        ])
    };
    let worker = crate::threads::start("config-load", move || match &options.select {
        Select::Everything => load_here(&options),
        Select::Backend { files } => {
            load_backend_here(&options, files.as_deref()).map(|backend| Desired {
                backend,
                ..Desired::default()
            })
        }
    });
    match worker {
        Ok(worker) => worker
            .join()
            .unwrap_or_else(|_| Err(internal("the loader panicked"))),
        Err(e) => Err(internal(&format!("cannot start the loader thread: {e}"))),
    }
}

/// How much source one parse takes at most, give or take a block: small
/// enough that a run's tree (about 30 bytes per byte) stays a few MB, large
/// enough that a typical configuration is one run.
const PARSE_RUN_BYTES: usize = 64 * 1024;

fn load_here(options: &LoadOptions) -> Result<Desired, Diagnostics> {
    functions::install(functions::FuncEnv {
        env: options.env.clone(),
        dir: options.dir.clone(),
    });
    let mut diags = Vec::new();
    let mut sources = Sources::default();

    let paths = files::config_files(&options.dir, &mut diags);
    if paths.is_empty() && diags.is_empty() {
        diags.push(
            Diagnostic::error(format!(
                "no *.hcl files in {}",
                options.dir.display()
            ))
            .with_help("an empty configuration would remove every page; run in the configuration directory or pass -C DIR"),
        );
    }
    let mut parse_failed = !diags.is_empty();
    let mut read = Vec::with_capacity(paths.len());
    for path in &paths {
        match files::read_source(path, &mut sources, &mut diags) {
            Some(id) => read.push(id),
            None => parse_failed = true,
        }
    }
    // Each file is parsed a run of top-level lines at a time, and each
    // run's tree is consumed at once (see `files::top_level_runs` and
    // `Collector::file`): only one run's tree is alive at a time, and of it
    // only the attributes' expressions outlive the loop. Block errors are
    // kept apart so they follow every syntax error.
    let mut block_diags = Vec::new();
    let mut collector = resources::Collector::new(&sources, &mut block_diags);
    for id in read {
        let text = sources.text(id);
        let reported = collector.diags.len();
        let runs = files::top_level_runs(text, PARSE_RUN_BYTES);
        let failed_at = parse_runs(text, &runs, |run, body| {
            collector.base = run.start;
            collector.file(id, body);
        });
        collector.base = 0;
        // A run that does not parse: the whole file is parsed, so a syntax
        // error is reported against the whole file's text; if the file does
        // parse (the cut was wrong), what was not read yet is read from its
        // tree.
        if let Some(from) = failed_at {
            match files::parse_source(id, &sources, &mut diags) {
                Some(body) => collector.file_from(id, body, from),
                None => {
                    // A file with a syntax error contributes no block errors.
                    collector.diags.truncate(reported);
                    parse_failed = true;
                }
            }
        }
    }
    let decls = collector.decls;
    diags.append(&mut block_diags);
    // With a file missing, every reference into it would be reported as
    // unknown: stop at syntax errors, as Terraform does.
    if parse_failed {
        return Err(finish(diags, Vec::new()));
    }

    let resolved = vars::resolve(options, &mut sources, &decls, &mut diags);
    let mut ev = Evaluator {
        sources: &sources,
        decls: &decls,
        diags: Vec::new(),
        vars: resolved.values,
        locals: Default::default(),
        pages: Default::default(),
        links: Default::default(),
        applications: Default::default(),
        allow_unknown_tokens: options.allow_unknown_tokens,
        allow_unset_credentials: options.allow_unset_credentials,
        data: data_value(
            &decls,
            options.facebook_pages.as_deref().map(Vec::as_slice),
            options.vonage_applications.as_deref().map(Vec::as_slice),
        ),
        pages_known: options.facebook_pages.is_some(),
        vonage_applications: options.vonage_applications.clone(),
        data_unknown: false,
        applications_unknown: false,
        reported: Default::default(),
    };
    let mut out = Outputs::default();
    ev.run_graph(&mut out);
    let provider = ev.provider(&mut out);
    let facebook = ev.facebook(&mut out);
    let needs_facebook_pages = ev.data_unknown;
    let needs_vonage_applications = ev.applications_unknown;
    let backend = ev.backend(&mut out.secrets);
    let imports = ev.imports(&out);
    let removed = ev.removed(&out);
    let moved = ev.moved(&out);
    let protected = decls
        .resources
        .iter()
        .filter(|decl| decl.prevent_destroy)
        .map(|decl| Protection {
            block: Address {
                kind: decl.kind,
                name: decl.name.clone(),
                key: None,
            },
            location: sources.location(&decl.label_span),
        })
        .collect();
    diags.append(&mut ev.diags);
    // Released on purpose before the checks and the sort: the evaluated
    // values of every page and link (`page.*`, `link.*`) and the declared
    // expressions are not needed past this point, and keeping them made the
    // end of loading the peak of the whole process. Freeing 15,000 blocks'
    // worth of small allocations is 4 to 7% of the instructions of loading them (callgrind), so it happens on a
    // thread of its own, off the path to the result; nothing waits for it
    // (at exit the process is torn down whether or not it has finished).
    let values = (std::mem::take(&mut ev.pages), std::mem::take(&mut ev.links));
    drop(ev);
    // Traced only for pages sharing a page_id, which are reported at their values.
    let written_at = checks::sharing_a_page_id(&out)
        .into_iter()
        .filter_map(|address| {
            let at = provenance::value_written_at(
                &sources,
                &decls,
                &resolved.origins,
                address,
                "page_id",
            )?;
            Some((address.clone(), at))
        })
        .collect();
    crate::threads::release_in_background((decls, values));
    let mut links = checks::check(&sources, &out, &written_at, &mut diags);

    let mut secrets = resolved.secrets;
    secrets.append(&mut out.secrets);
    if !diags.is_empty() {
        return Err(finish(diags, secrets));
    }
    let mut pages: Vec<_> = out.pages.into_iter().map(|p| p.page).collect();
    let mut applications = out.applications;
    applications.sort_by(|a, b| a.address.cmp(&b.address));
    pages.sort_by(|a, b| a.address.cmp(&b.address));
    links.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(Desired {
        provider,
        facebook,
        needs_facebook_pages,
        needs_vonage_applications,
        backend,
        pages,
        links,
        applications,
        imports,
        removed,
        moved,
        protected,
    })
}

/// Parses `runs` of `text` in order and hands each tree to `read` as soon as
/// it is ready; returns the start of the first run that does not parse.
///
/// One thread on purpose: parsing runs on more threads gains no clear wall
/// time on two cores, while the parsers' own malloc arenas raise the peak
/// memory (trees freed on another thread stay in their arena); the figures
/// are in benches/RESULTS.md.
fn parse_runs(
    text: &str,
    runs: &[std::ops::Range<usize>],
    mut read: impl FnMut(&std::ops::Range<usize>, hcl_edit::structure::Body),
) -> Option<usize> {
    for run in runs {
        match hcl_edit::parser::parse_body(&text[run.clone()]) {
            Ok(body) => read(run, body),
            Err(_) => return Some(run.start),
        }
    }
    None
}

/// `Select::Backend`; `only`: these files instead of every configuration
/// file.
fn load_backend_here(
    options: &LoadOptions,
    only: Option<&[std::path::PathBuf]>,
) -> Result<Option<crate::state::PostgresSettings>, Diagnostics> {
    functions::install(functions::FuncEnv {
        env: options.env.clone(),
        dir: options.dir.clone(),
    });
    let mut diags = Vec::new();
    let mut sources = Sources::default();
    let paths = match only {
        Some(only) => only.to_vec(),
        None => files::config_files(&options.dir, &mut diags),
    };
    let mut bodies = Vec::new();
    for path in &paths {
        if let Some(parsed) = files::read_hcl_file(path, &mut sources, &mut diags) {
            bodies.push(parsed);
        }
    }
    if !diags.is_empty() {
        return Err(finish(diags, Vec::new()));
    }
    // Block-level mistakes elsewhere are not this command's business: keep
    // only what the backend block itself says.
    let mut block_diags = Vec::new();
    let mut collector = resources::Collector::new(&sources, &mut block_diags);
    // The parsed trees are consumed here (see `Collector::file`): only the
    // attributes' expressions outlive this loop.
    for (file, body) in bodies {
        collector.file(file, body);
    }
    let decls = collector.decls;
    if decls.backend.is_none() {
        return Ok(None);
    }
    let resolved = vars::resolve(options, &mut sources, &decls, &mut diags);
    let mut ev = Evaluator {
        sources: &sources,
        decls: &decls,
        diags: Vec::new(),
        vars: resolved.values,
        locals: Default::default(),
        pages: Default::default(),
        links: Default::default(),
        applications: Default::default(),
        allow_unknown_tokens: true,
        allow_unset_credentials: false,
        data: None,
        pages_known: false,
        vonage_applications: None,
        data_unknown: false,
        applications_unknown: false,
        reported: Default::default(),
    };
    let mut secrets = resolved.secrets;
    let backend = ev.backend(&mut secrets);
    diags.append(&mut ev.diags);
    if !diags.is_empty() {
        return Err(finish(diags, secrets));
    }
    Ok(backend)
}

/// Which blocks that decide where a command connects the configuration in
/// a directory may declare (see `may_declare`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MayDeclare {
    /// A `backend` block: where state lives.
    pub(crate) backend: bool,
    /// A `provider` block (Vonage's or Facebook's): how to reach the APIs.
    pub(crate) provider: bool,
    /// The files that may declare the backend, when all of them are small
    /// (the session reads the backend block early from them); empty when
    /// one is not.
    pub(crate) small_backend_files: Vec<std::path::PathBuf>,
}

/// Files larger than this are not read twice for an early look at the
/// backend block.
const SMALL_BACKEND_FILE: usize = 64 * 1024;

/// Whether any configuration file in `dir` may declare a `backend` or a
/// `provider` block: a line of code that starts with the word (see
/// `line_starting_words`). Cheap (no parsing, one read and at most one
/// lexical scan of each file); a false "maybe" only costs an overlap, a
/// "no" is certain (every block starts a line with its type).
pub(crate) fn may_declare(dir: &std::path::Path) -> MayDeclare {
    let mut found = MayDeclare::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    let mut large_backend_file = false;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "hcl") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let (backend, provider) = line_starting_words(&text);
        found.provider |= provider;
        if backend {
            found.backend = true;
            if text.len() <= SMALL_BACKEND_FILE {
                found.small_backend_files.push(path);
            } else {
                large_backend_file = true;
            }
        }
    }
    if large_backend_file {
        found.small_backend_files.clear();
    }
    found.small_backend_files.sort();
    found
}

/// Whether a line of `text` starts with the word `backend`, and whether one
/// starts with `provider`, followed by a space, a tab, `"` or `{`: the
/// first token of the line, after spaces and block comments, outside
/// strings, heredocs and comments. A file that mentions neither word is not
/// scanned.
fn line_starting_words(text: &str) -> (bool, bool) {
    use crate::hcl_lexical::{Kind, Scanner};
    let (wanted_backend, wanted_provider) = (text.contains("backend"), text.contains("provider"));
    if !wanted_backend && !wanted_provider {
        return (false, false);
    }
    let (mut backend, mut provider) = (false, false);
    let mut scanner = Scanner::new(text);
    let mut line_start = true;
    while let Some(token) = scanner.next() {
        let in_code = scanner.nesting() == 0;
        match token.kind {
            Kind::Newline => line_start = true,
            Kind::Space | Kind::BlockComment => {}
            Kind::Ident if line_start && in_code => {
                let word = &text[token.range.clone()];
                let followed = text[token.range.end..].starts_with([' ', '\t', '"', '{']);
                backend |= wanted_backend && followed && word == "backend";
                provider |= wanted_provider && followed && word == "provider";
                line_start = false;
            }
            _ => line_start = false,
        }
    }
    (backend, provider)
}

/// Shortest secret that gets scrubbed: shorter strings would mangle
/// ordinary text (line numbers, keywords) and are not credentials.
const MIN_SCRUBBED: usize = 3;

/// Last line of defence for "never show a secret": messages are written to
/// name types rather than values, but a value can still reach a message
/// (a key, a page_id built from a sensitive variable) or a source line (a
/// token written literally in the file).
fn finish(mut diags: Vec<Diagnostic>, mut secrets: Vec<String>) -> Diagnostics {
    secrets.retain(|s| s.len() >= MIN_SCRUBBED);
    // Longest first, so a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    let scrub = |text: &mut String| {
        for s in &secrets {
            if text.contains(s.as_str()) {
                *text = text.replace(s.as_str(), "(sensitive value)");
            }
        }
    };
    for d in &mut diags {
        scrub(&mut d.message);
        if let Some(h) = &mut d.help {
            scrub(h);
        }
        if let Some(excerpt) = &mut d.excerpt {
            for s in &secrets {
                excerpt.replace(s, "(sensitive value)");
            }
        }
    }
    Diagnostics(diags)
}
