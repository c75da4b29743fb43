//! `import ADDR ID` — adopt one page (by page ID) or one application (by
//! its id) the configuration declares — and `import --all-unmanaged
//! --generate-config-out FILE` — write configuration for every connected
//! page nobody manages (and the unmanaged messages applications, where
//! applications are managed) and adopt them all. Both only read the remote
//! side and write state.

use super::Reporter;
use super::history::{self, Outcome, Started};
use crate::address::{Address, ResourceKind};
use crate::channel::Channel;
use crate::config::CliVar;
use crate::desired::Desired;
use crate::generate::{self, GeneratedApplication, GeneratedLink, GeneratedPage};
use crate::remote::ApiError;
use crate::session::{Backend, ConfigRequest, Session, SessionObserver, read_remote};
use crate::state::{ApplicationRecord, LinkRecord, LockRequest, PageRecord, StateOp, StateStore};
use anyhow::{Context, bail};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// What to import.
pub(crate) enum ImportRequest {
    /// One page the configuration declares, by its address and page ID.
    One { address: String, page_id: String },
    /// Every connected page nobody manages, declared in a new file.
    AllUnmanaged { file: PathBuf },
}

/// What was imported.
pub(crate) enum Imported {
    /// The page and, when it was linked as configured, its link.
    One(Vec<StateOp>),
    /// The file that now declares what was adopted: pages, and links of
    /// accounts on other channels; `None` when there was nothing to adopt
    /// (and no file was written).
    AllUnmanaged(Option<Written>),
}

/// The file `--all-unmanaged` wrote, and what it declares: pages, links of
/// accounts on other channels, applications.
pub(crate) type Written = (
    PathBuf,
    Vec<GeneratedPage>,
    Vec<GeneratedLink>,
    Vec<GeneratedApplication>,
);

pub(crate) async fn import(
    session: &Session,
    vars: Vec<CliVar>,
    request: ImportRequest,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<Imported> {
    // Import reads each token from the API, never from the configuration:
    // tokens whose variables are unset (a generated file not yet filled in)
    // are fine here.
    let desired = session.load(&ConfigRequest {
        vars,
        allow_unknown_tokens: true,
        allow_unset_credentials: false,
    })?;
    let backend = session.backend_for(desired.backend.as_ref())?;
    let lock = LockRequest::waiting("import", lock_timeout, reporter.clone());
    match request {
        ImportRequest::One { address, page_id } => import_one(
            session, &backend, &desired, &address, &page_id, &lock, &reporter,
        )
        .await
        .map(Imported::One),
        ImportRequest::AllUnmanaged { file } => {
            generate_all(session, &backend, &desired, &file, &lock, &reporter)
                .await
                .map(Imported::AllUnmanaged)
        }
    }
}

async fn import_one(
    session: &Session,
    backend: &Backend,
    desired: &Desired,
    address: &str,
    page_id: &str,
    lock: &LockRequest,
    reporter: &Arc<dyn Reporter>,
) -> anyhow::Result<Vec<StateOp>> {
    let address: Address = address.parse()?;
    if address.kind == ResourceKind::Application {
        return import_application(session, backend, desired, &address, page_id, lock, reporter)
            .await;
    }
    if address.kind != ResourceKind::Page {
        bail!(
            "{address}: only pages and applications are imported; a link is recorded with its \
             page when the page is already linked to the configured application (import the \
             page instead)"
        );
    }
    let Some(page) = desired.pages.iter().find(|p| p.address == address) else {
        let instances: Vec<String> = desired
            .pages
            .iter()
            .filter(|p| address.contains(&p.address))
            .map(|p| p.address.to_string())
            .collect();
        if !instances.is_empty() {
            bail!(
                "{address} is a block with several instances; import one of them: {}",
                instances.join(", ")
            );
        }
        // The block is there, but its for_each (or count) makes no such
        // instance: say so, not that the block is missing.
        let siblings: Vec<&crate::desired::DesiredPage> = desired
            .pages
            .iter()
            .filter(|p| p.address.name == address.name && p.address.key.is_some())
            .collect();
        if let (Some(key), Some(first)) = (&address.key, siblings.first()) {
            let keys: Vec<String> = siblings
                .iter()
                .filter_map(|p| p.address.key.as_ref().map(|k| k.to_string()))
                .collect();
            let what = match key {
                crate::address::InstanceKey::Name(_) => "its for_each has no key",
                crate::address::InstanceKey::Index(_) => "its count makes no index",
            };
            bail!(
                "{address}: page \"{}\" ({}) is declared, but {what} {key} (it has {}); add \
                 {key} to its for_each (or raise its count), with page_id \"{page_id}\", then \
                 run the import again",
                address.name,
                first.location,
                keys.join(", ")
            );
        }
        bail!(
            "{address} is not declared in the configuration; add a `page \"{}\"` block with \
             page_id = \"{page_id}\" first, then run the import again",
            address.name
        );
    };
    if page.page_id != page_id {
        bail!(
            "{address} ({}) is declared with page_id = \"{}\", not \"{page_id}\"; import the page \
             the block declares, or change its page_id",
            page.location,
            page.page_id
        );
    }

    let started = Started::now();
    let opened = backend.open(lock)?;
    let (store, recorded) = (opened.store, opened.recorded);
    if recorded.pages.contains_key(&address) {
        bail!(
            "{address} is already managed (in state); to import it again, forget it first with \
             `socialform state rm {address}`"
        );
    }
    if let Some(other) = recorded.pages.values().find(|p| p.page_id == page_id) {
        bail!(
            "page ID {page_id} is already managed as {}; rename it with \
             `socialform state mv {} {address}` instead",
            other.address,
            other.address
        );
    }

    let observer: Arc<dyn SessionObserver> = reporter.clone();
    let connection = session.connect_vonage(&desired.provider, &observer).await?;
    let account = match connection.client.get_account("messenger", page_id).await {
        Ok(account) => account,
        Err(ApiError::NotFound { .. }) => bail!(
            "{address}: no messenger page with ID {page_id} is connected to this Vonage account; \
             there is nothing to import (`socialform apply` connects it)"
        ),
        Err(error) => {
            return Err(error).with_context(|| format!("could not read page {page_id}"));
        }
    };
    let fingerprinter = store.fingerprinter();
    let mut ops = vec![StateOp::PutPage(PageRecord {
        address: address.clone(),
        page_id: page_id.to_string(),
        name: account.name.clone(),
        token_fingerprint: account
            .access_token
            .as_ref()
            .map(|t| fingerprinter.fingerprint(t)),
    })];
    // A link is adopted with its page only when the page is linked to just
    // the configured application: anything else is for plan to fix.
    let on_page =
        |l: &&crate::desired::DesiredLink| l.channel.is_messenger() && l.page_id == page_id;
    for link in desired.links.iter().filter(on_page) {
        if account.applications == [link.application.clone()]
            && !recorded.links.contains_key(&link.address)
        {
            ops.push(StateOp::PutLink(LinkRecord {
                address: link.address.clone(),
                page_id: page_id.to_string(),
                application: link.application.clone(),
                channel: Channel::Messenger,
            }));
        }
    }
    store.record(&ops).context("could not write the state")?;
    append_history(store.as_ref(), started, &ops, reporter.as_ref());
    Ok(ops)
}

/// `import application.NAME ID`: the application Vonage has under `id`,
/// recorded under a declared `application "NAME"` block as it is now, so
/// that the next plan shows only where it differs from the block.
async fn import_application(
    session: &Session,
    backend: &Backend,
    desired: &Desired,
    address: &Address,
    id: &str,
    lock: &LockRequest,
    reporter: &Arc<dyn Reporter>,
) -> anyhow::Result<Vec<StateOp>> {
    if !desired.applications.iter().any(|a| &a.address == address) {
        let instances: Vec<String> = desired
            .applications
            .iter()
            .filter(|a| address.contains(&a.address) || a.address.name == address.name)
            .map(|a| a.address.to_string())
            .collect();
        if !instances.is_empty() {
            bail!(
                "{address} is not an instance the configuration declares; import one of: {}",
                instances.join(", ")
            );
        }
        bail!(
            "{address} is not declared in the configuration; add an `application \"{}\"` block \
             (its name and messages webhooks) first, then run the import again",
            address.name
        );
    }
    let started = Started::now();
    let opened = backend.open(lock)?;
    let (store, recorded) = (opened.store, opened.recorded);
    if recorded.applications.contains_key(address) {
        bail!(
            "{address} is already managed (in state); to import it again, forget it first with \
             `socialform state rm {address}`"
        );
    }
    if let Some(other) = recorded
        .applications
        .values()
        .find(|a| a.id.eq_ignore_ascii_case(id))
    {
        bail!(
            "application {id} is already managed as {}; rename it with \
             `socialform state mv {} {address}` instead",
            other.address,
            other.address
        );
    }
    let observer: Arc<dyn SessionObserver> = reporter.clone();
    let connection = session.connect_vonage(&desired.provider, &observer).await?;
    let app = match connection.client.get_application(id).await {
        Ok(app) => app,
        Err(ApiError::NotFound { .. }) => bail!(
            "{address}: this Vonage account has no application with id {id} (GET \
             /v2/applications/{id} answered 404); check the id (`socialform drift` lists the \
             applications no configuration manages), or let `socialform apply` create it"
        ),
        Err(error) => {
            return Err(error).with_context(|| format!("could not read application {id}"));
        }
    };
    let remote = crate::refresh::remote_application(app);
    let ops = vec![StateOp::PutApplication(ApplicationRecord {
        address: address.clone(),
        id: remote.id,
        settings: remote.settings,
        other_capabilities: remote.other_capabilities,
    })];
    store.record(&ops).context("could not write the state")?;
    append_history(store.as_ref(), started, &ops, reporter.as_ref());
    Ok(ops)
}

/// The generated file's path: a new `.hcl` file directly in the
/// configuration directory, since configuration is only read from there
/// (a file anywhere else would leave adopted pages undeclared, and the next
/// plan would disconnect them).
fn output_path(dir: &Path, file: &Path) -> anyhow::Result<PathBuf> {
    let mut components = file.components();
    let name = match (components.next(), components.next()) {
        (Some(Component::Normal(name)), None) => name,
        _ => bail!(
            "--generate-config-out {}: give a file name, without a directory: the file is written \
             in the configuration directory, the only place configuration is read from",
            file.display()
        ),
    };
    if Path::new(name).extension().and_then(|e| e.to_str()) != Some("hcl") {
        bail!(
            "--generate-config-out {}: the file name must end in .hcl, or the configuration would \
             not include it",
            file.display()
        );
    }
    let path = dir.join(name);
    if path.exists() {
        bail!(
            "--generate-config-out {}: {} already exists; choose a new file name",
            file.display(),
            path.display()
        );
    }
    Ok(path)
}

/// Names used by the configuration files in `dir`, for unique slugs.
fn names_in(dir: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) == Some("hcl")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                names.extend(generate::used_names(&text));
            }
        }
    }
    names
}

async fn generate_all(
    session: &Session,
    backend: &Backend,
    desired: &Desired,
    file: &Path,
    lock: &LockRequest,
    reporter: &Arc<dyn Reporter>,
) -> anyhow::Result<Option<Written>> {
    let path = output_path(&session.dir, file)?;
    let started = Started::now();
    let opened = backend.open(lock)?;
    let (store, recorded) = (opened.store, opened.recorded);
    let fingerprinter = store.fingerprinter();
    let observer: Arc<dyn SessionObserver> = reporter.clone();
    let connection = session.connect_vonage(&desired.provider, &observer).await?;
    let actual = read_remote(
        &connection.client,
        &fingerprinter,
        desired,
        &recorded,
        reporter.as_ref(),
        None,
    )
    .await?;

    let known: BTreeSet<&str> = recorded
        .pages
        .values()
        .map(|p| p.page_id.as_str())
        .chain(desired.pages.iter().map(|p| p.page_id.as_str()))
        .chain(
            desired
                .imports
                .iter()
                .filter(|i| i.to.kind == ResourceKind::Page)
                .map(|i| i.id.as_str()),
        )
        .collect();
    let mut taken = names_in(&session.dir);
    for page in &desired.pages {
        taken.insert(page.address.name.clone());
    }
    for link in &desired.links {
        taken.insert(link.address.name.clone());
    }
    for address in recorded.pages.keys().chain(recorded.links.keys()) {
        taken.insert(address.name.clone());
    }

    let mut generated = Vec::new();
    let mut ops = Vec::new();
    // `actual.pages` is ordered by page ID, so slugs are deterministic.
    for remote in actual.pages.values() {
        if known.contains(remote.page_id.as_str()) {
            continue;
        }
        let base = generate::page_slug(remote.name.as_deref(), &remote.page_id);
        let slug = generate::unique_slug(&base, &mut taken);
        let application = match remote.applications.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        };
        ops.push(StateOp::PutPage(PageRecord {
            address: Address::page(&slug),
            page_id: remote.page_id.clone(),
            name: remote.name.clone(),
            token_fingerprint: remote.token_fingerprint.clone(),
        }));
        if let Some(application) = &application {
            ops.push(StateOp::PutLink(LinkRecord {
                address: Address::link(&slug),
                page_id: remote.page_id.clone(),
                application: application.clone(),
                channel: Channel::Messenger,
            }));
        }
        generated.push(GeneratedPage {
            slug,
            page_id: remote.page_id.clone(),
            name: remote.name.clone(),
            application,
        });
    }
    // Accounts of other channels that route messages to an application no
    // configuration or state links: their link is adopted. (An account
    // linked to nothing has nothing to manage.)
    let linked: BTreeSet<(Channel, &str)> = recorded
        .links
        .values()
        .map(|l| (l.channel, l.page_id.as_str()))
        .chain(
            desired
                .links
                .iter()
                .map(|l| (l.channel, l.page_id.as_str())),
        )
        .collect();
    let mut generated_links = Vec::new();
    for remote in actual.accounts.values() {
        let [application] = remote.applications.as_slice() else {
            continue;
        };
        if linked.contains(&(remote.channel, remote.external_id.as_str())) {
            continue;
        }
        let base =
            generate::account_slug(remote.channel, remote.name.as_deref(), &remote.external_id);
        let slug = generate::unique_slug(&base, &mut taken);
        ops.push(StateOp::PutLink(LinkRecord {
            address: Address::link(&slug),
            page_id: remote.external_id.clone(),
            application: application.clone(),
            channel: remote.channel,
        }));
        generated_links.push(GeneratedLink {
            slug,
            channel: remote.channel,
            account: remote.external_id.clone(),
            name: remote.name.clone(),
            application: application.clone(),
        });
    }
    let generated_applications = unmanaged_applications(desired, &recorded, &actual, &mut taken);
    for app in &generated_applications {
        ops.insert(
            0,
            StateOp::PutApplication(ApplicationRecord {
                address: Address::application(&app.slug),
                id: app.id.clone(),
                settings: app.settings.clone(),
                other_capabilities: app.other_capabilities.clone(),
            }),
        );
    }
    if generated.is_empty() && generated_links.is_empty() && generated_applications.is_empty() {
        return Ok(None);
    }

    // The file first: if writing state then fails, the file goes again, and
    // even if it stayed, plan would merely adopt the pages by their ID. The
    // other order could leave adopted pages that no file declares, which the
    // next plan would disconnect.
    let text = generate::render_config(&generated, &generated_links, &generated_applications);
    write_new(&path, &text)?;
    if let Err(error) = store.record(&ops) {
        let _ = std::fs::remove_file(&path);
        return Err(error.context(format!(
            "could not write the state; {} was removed again",
            path.display()
        )));
    }
    append_history(store.as_ref(), started, &ops, reporter.as_ref());
    Ok(Some((
        path,
        generated,
        generated_links,
        generated_applications,
    )))
}

/// The messages applications nobody manages, as `drift` lists them in
/// `unmanaged`: where the configuration declares applications or state
/// records some, those that no application block (through state) and no
/// link of the configuration or state names (so the links adopted now
/// refer to the blocks of theirs). Named uniquely against `taken`, in
/// order of application name then id.
fn unmanaged_applications(
    desired: &Desired,
    recorded: &crate::state::Recorded,
    actual: &crate::actual::Actual,
    taken: &mut BTreeSet<String>,
) -> Vec<GeneratedApplication> {
    let Some(apps) = &actual.applications else {
        return Vec::new();
    };
    if desired.applications.is_empty() && recorded.applications.is_empty() {
        return Vec::new();
    }
    for app in desired.applications.iter().map(|a| &a.address) {
        taken.insert(app.name.clone());
    }
    for app in recorded.applications.keys() {
        taken.insert(app.name.clone());
    }
    let known: BTreeSet<String> = recorded
        .applications
        .values()
        .map(|a| a.id.to_lowercase())
        .chain(
            recorded
                .links
                .values()
                .map(|l| l.application.to_lowercase()),
        )
        .chain(desired.links.iter().map(|l| l.application.to_lowercase()))
        .collect();
    let mut found: Vec<&crate::actual::RemoteApplication> = apps
        .values()
        .filter(|a| a.has_messages && !known.contains(&a.id.to_lowercase()))
        .collect();
    found.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    found
        .into_iter()
        .map(|app| {
            let base = generate::application_slug(&app.name, &app.id);
            GeneratedApplication {
                slug: generate::unique_slug(&base, taken),
                id: app.id.clone(),
                settings: app.settings.clone(),
                other_capabilities: app.other_capabilities.clone(),
            }
        })
        .collect()
}

/// Creates `path`, refusing to overwrite (also against a file that
/// appeared since the check).
fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("could not create {}", path.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("could not write {}", path.display()))
}

fn append_history(
    store: &dyn StateStore,
    started: Started,
    ops: &[StateOp],
    reporter: &dyn Reporter,
) {
    let changes = ops
        .iter()
        .filter_map(|op| match op {
            StateOp::PutPage(p) => Some(format!("{}: import", p.address)),
            StateOp::PutLink(l) => Some(format!("{}: import", l.address)),
            StateOp::PutApplication(a) => Some(format!("{}: import", a.address)),
            _ => None,
        })
        .collect();
    let _ = history::append(
        store,
        "import",
        started,
        changes,
        Outcome::Complete,
        reporter,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_file_is_a_new_hcl_file_in_the_configuration_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.hcl"), "").unwrap();
        assert_eq!(
            output_path(dir.path(), Path::new("adopted.hcl")).unwrap(),
            dir.path().join("adopted.hcl")
        );
        for bad in [
            "main.hcl",
            "sub/adopted.hcl",
            "../adopted.hcl",
            "adopted.tf",
            "/tmp/x.hcl",
        ] {
            assert!(output_path(dir.path(), Path::new(bad)).is_err(), "{bad}");
        }
    }
}
