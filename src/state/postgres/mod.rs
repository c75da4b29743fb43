//! The PostgreSQL backend: team state, shared by every operator and CI
//! runner that points at the same database.
//!
//! - Tables live in the configured schema, created on first use by the
//!   migrations under the repository's `state/postgres/` (compiled in), in
//!   order, each once, under an advisory lock so that concurrent first runs
//!   do not race. Migrations only go forward.
//! - Each state name has its own session-level advisory lock, which the
//!   server releases when the holder's connection ends, so a killed process
//!   never leaves a lock behind. Who holds it is written to `locks` for
//!   those who wait.
//! - A `record` is one statement (so one transaction, one round trip),
//!   guarded by the serial this process last saw: a write never lands on a
//!   state someone else changed in between.
//! - Transient failures (a dropped connection, a restart) are retried with
//!   backoff on a new connection, which first takes the lock again.

mod session;
mod settings;
mod tls;

pub use settings::{PostgresSettings, redact};
pub use tls::TlsParams;

use super::{
    Fingerprinter, HistoryEntry, LockHeld, LockInfo, LockRequest, PageRecord, Recorded,
    StateBackend, StateOp, StateStore, Transfer,
};
use crate::address::Address;
use anyhow::{Context, bail};
use backon::{BlockingRetryable, ExponentialBuilder};
use session::{Session, SessionError};
use settings::Resolved;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The migrations, in order. Never edit one that has shipped: add the next.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../../../state/postgres/001_initial.sql")),
    (
        2,
        include_str!("../../../state/postgres/002_applications.sql"),
    ),
];

const FINGERPRINT_KEY_LEN: usize = 32;
/// How often a waiting `open` tries the lock again.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// State in a PostgreSQL database.
pub struct PostgresBackend {
    connector: Arc<Connector>,
    /// A connection made for `exists`, handed on to the next `open`.
    idle: Mutex<Option<Session>>,
}

/// Makes sessions: connects, then brings the schema up to date.
struct Connector {
    resolved: Resolved,
    lock_key: i64,
}

fn key_of(parts: &[&str]) -> i64 {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

impl Connector {
    fn describe(&self) -> String {
        format!(
            "the PostgreSQL state {:?} (schema {} at {})",
            self.resolved.state_name, self.resolved.schema, self.resolved.target
        )
    }

    fn failed(&self, what: &str, error: SessionError) -> anyhow::Error {
        let password = self.resolved.config.get_password();
        anyhow::anyhow!(
            "{what} {}: {}",
            self.describe(),
            redact(&error.to_string(), password)
        )
    }

    fn connect(&self) -> anyhow::Result<Session> {
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(self.resolved.tls.client_config()?);
        let session = Session::connect(self.resolved.config.clone(), tls).map_err(|error| {
            let password = self.resolved.config.get_password();
            if let Some(why) = self.tls_failure(&error) {
                return anyhow::anyhow!(
                    "could not connect to PostgreSQL at {} for {}: {}",
                    self.resolved.target,
                    self.describe(),
                    redact(&why, password)
                );
            }
            anyhow::anyhow!(
                "could not connect to PostgreSQL at {} for {}: {}; check conn_str (or \
                 SOCIALFORM_PG_CONN_STR and PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE)",
                self.resolved.target,
                self.describe(),
                redact(&error.to_string(), password)
            )
        })?;
        self.migrate(&session)
            .map_err(|error| self.failed("could not prepare the tables of", error))?;
        Ok(session)
    }

    /// A connection that failed over TLS, explained with the setting to
    /// change; `None` for other failures.
    fn tls_failure(&self, error: &SessionError) -> Option<String> {
        let SessionError::Postgres(error) = error else {
            return None;
        };
        let settings = &self.resolved.tls;
        let host = &self.resolved.host;
        if let Some(explained) =
            crate::tls::explain_failure(error, host, &settings.checked_against())
        {
            use crate::tls::TlsFailure;
            let fix = if explained.failure == TlsFailure::HostMismatch {
                format!(
                    "connect with a host name the certificate names, or check the CA only \
                     with sslmode=verify-ca ({} is {})",
                    settings.mode_setting,
                    settings.mode.name()
                )
            } else if explained.failure == TlsFailure::UnknownCa {
                "set sslrootcert (or PGSSLROOTCERT) to the CA bundle that signed the server's \
                 certificate (managed providers publish theirs: RDS's global-bundle.pem, \
                 Cloud SQL's server-ca.pem)"
                    .to_string()
            } else {
                "check the server's certificate and sslrootcert".to_string()
            };
            return Some(format!("{}; {fix}", explained.text));
        }
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            text.push_str(&inner.to_string());
            source = inner.source();
        }
        if text.contains("server does not support TLS") {
            return Some(format!(
                "the server does not accept TLS, and {} is {:?}; turn on ssl in the server's \
                 postgresql.conf, or (on a trusted network only) set sslmode=prefer",
                settings.mode_setting,
                settings.mode.name()
            ));
        }
        if let Some(db) = error.as_db_error()
            && db.message().contains("certificate")
        {
            return Some(format!(
                "{}: the server asks for a client certificate: set sslcert and sslkey (or \
                 PGSSLCERT and PGSSLKEY) to one it trusts",
                db.message()
            ));
        }
        None
    }

    /// Creates the schema and brings its tables to this build's version;
    /// then every query of the session runs in that schema.
    fn migrate(&self, session: &Session) -> Result<(), SessionError> {
        let schema = self.resolved.schema.clone();
        let migration_key = key_of(&["socialform migrations", &schema]);
        let applied = session.run(move |client| async move {
            client.batch_execute("BEGIN").await?;
            let outcome = async {
                client
                    .execute("SELECT pg_advisory_xact_lock($1)", &[&migration_key])
                    .await?;
                client
                    .batch_execute(&format!(
                        "CREATE SCHEMA IF NOT EXISTS \"{schema}\";
                         SET LOCAL search_path TO \"{schema}\";
                         CREATE TABLE IF NOT EXISTS schema_migrations (
                             version integer PRIMARY KEY,
                             applied_at timestamptz NOT NULL DEFAULT now()
                         );"
                    ))
                    .await?;
                let current: i32 = client
                    .query_one(
                        "SELECT COALESCE(max(version), 0) FROM schema_migrations",
                        &[],
                    )
                    .await?
                    .get(0);
                for (version, sql) in MIGRATIONS {
                    if *version > current {
                        client.batch_execute(sql).await?;
                        client
                            .execute(
                                "INSERT INTO schema_migrations (version) VALUES ($1)",
                                &[version],
                            )
                            .await?;
                    }
                }
                Ok::<i32, tokio_postgres::Error>(current)
            }
            .await;
            match outcome {
                Ok(current) => {
                    client
                        .batch_execute(&format!("COMMIT; SET search_path TO \"{schema}\""))
                        .await?;
                    Ok(current)
                }
                Err(error) => {
                    let _ = client.batch_execute("ROLLBACK").await;
                    Err(error)
                }
            }
        })?;
        let known = MIGRATIONS.last().map_or(0, |(v, _)| *v);
        if applied > known {
            // Written by a newer socialform: reading it could lose what it
            // added. Say so instead of guessing.
            return Err(SessionError::Refused(format!(
                "its tables are at schema version {applied}, newer than this socialform's \
                 ({known}); upgrade socialform"
            )));
        }
        Ok(())
    }
}

impl PostgresBackend {
    pub fn new(
        settings: &PostgresSettings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<PostgresBackend> {
        let resolved = settings.resolve(env)?;
        let lock_key = key_of(&["socialform state", &resolved.schema, &resolved.state_name]);
        Ok(PostgresBackend {
            connector: Arc::new(Connector { resolved, lock_key }),
            idle: Mutex::new(None),
        })
    }

    fn session(&self) -> anyhow::Result<Session> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match idle {
            Some(session) => Ok(session),
            None => self.connector.connect(),
        }
    }

    fn state_row(&self, session: &Session) -> anyhow::Result<Option<StateRow>> {
        let name = self.connector.resolved.state_name.clone();
        session
            .run(move |client| async move {
                let row = client
                    .query_opt(
                        "SELECT lineage, serial, fingerprint_key FROM states WHERE name = $1",
                        &[&name],
                    )
                    .await?;
                Ok(row.map(|row| StateRow {
                    lineage: row.get(0),
                    serial: row.get::<_, i64>(1),
                    fingerprint_key: row.get(2),
                }))
            })
            .map_err(|e| self.connector.failed("could not read", e))
    }

    fn create_state_row(&self, session: &Session) -> anyhow::Result<()> {
        use rand::Rng;
        let name = self.connector.resolved.state_name.clone();
        let lineage = uuid::Uuid::new_v4().to_string();
        let mut key = vec![0u8; FINGERPRINT_KEY_LEN];
        rand::rng().fill_bytes(&mut key);
        session
            .run(move |client| async move {
                client
                    .execute(
                        "INSERT INTO states (name, lineage, fingerprint_key) VALUES ($1, $2, $3) \
                         ON CONFLICT (name) DO NOTHING",
                        &[&name, &lineage, &key],
                    )
                    .await
            })
            .map_err(|e| self.connector.failed("could not create", e))?;
        Ok(())
    }

    /// Opens with the lock held: `None` (the session kept for later) when
    /// the state does not exist and `create` is false.
    fn open_with(
        &self,
        request: &LockRequest,
        create: bool,
    ) -> anyhow::Result<Option<Box<dyn StateStore>>> {
        let session = self.session()?;
        if self.state_row(&session)?.is_none() {
            if !create {
                *self.idle.lock().unwrap_or_else(PoisonError::into_inner) = Some(session);
                return Ok(None);
            }
            self.create_state_row(&session)?;
        }
        let holder = self.connector.lock(&session, request)?;
        let row = self
            .state_row(&session)?
            .context("the state's row vanished while taking its lock")?;
        let serial = u64::try_from(row.serial).unwrap_or(0);
        Ok(Some(Box::new(PostgresStore {
            connector: self.connector.clone(),
            session: Mutex::new(session),
            holder,
            lineage: row.lineage,
            fingerprinter: Fingerprinter::new(row.fingerprint_key.clone()),
            fingerprint_key: zeroize::Zeroizing::new(row.fingerprint_key),
            serial: Mutex::new(serial),
            degraded: std::sync::atomic::AtomicBool::new(false),
        })))
    }
}

struct StateRow {
    lineage: String,
    serial: i64,
    fingerprint_key: Vec<u8>,
}

impl Connector {
    /// Takes the state's advisory lock on `session`, waiting up to the
    /// request's timeout; then records who holds it.
    fn lock(&self, session: &Session, request: &LockRequest) -> anyhow::Result<LockInfo> {
        let held = || LockHeld {
            lock: self.describe(),
            holder: self.read_holder(session),
            waited: request.timeout,
        };
        request.wait_for(POLL_INTERVAL, || self.try_lock(session), held)?;
        let holder = LockInfo::current(&request.command);
        let (name, info) = (self.resolved.state_name.clone(), holder.clone());
        session
            .run(move |client| async move {
                let pid = i32::try_from(info.pid).unwrap_or(i32::MAX);
                client
                    .execute(
                        "INSERT INTO locks (state_name, pid, command, who, since) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (state_name) DO UPDATE SET \
                         pid = EXCLUDED.pid, command = EXCLUDED.command, who = EXCLUDED.who, \
                         since = EXCLUDED.since",
                        &[&name, &pid, &info.command, &info.who, &info.since],
                    )
                    .await
            })
            .map_err(|e| self.failed("could not record the lock holder of", e))?;
        Ok(holder)
    }

    fn try_lock(&self, session: &Session) -> anyhow::Result<bool> {
        let key = self.lock_key;
        session
            .run(move |client| async move {
                let row = client
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                    .await?;
                Ok(row.get::<_, bool>(0))
            })
            .map_err(|e| self.failed("could not lock", e))
    }

    fn read_holder(&self, session: &Session) -> Option<LockInfo> {
        let name = self.resolved.state_name.clone();
        session
            .run(move |client| async move {
                let row = client
                    .query_opt(
                        "SELECT pid, command, who, since FROM locks WHERE state_name = $1",
                        &[&name],
                    )
                    .await?;
                Ok(row.map(|row| LockInfo {
                    pid: u32::try_from(row.get::<_, i32>(0)).unwrap_or(0),
                    command: row.get(1),
                    who: row.get(2),
                    since: row.get(3),
                }))
            })
            .ok()
            .flatten()
    }
}

impl StateBackend for PostgresBackend {
    fn describe(&self) -> String {
        self.connector.describe()
    }

    fn exists(&self) -> anyhow::Result<bool> {
        let session = self.session()?;
        let exists = self.state_row(&session)?.is_some();
        *self.idle.lock().unwrap_or_else(PoisonError::into_inner) = Some(session);
        Ok(exists)
    }

    fn open(&self, request: &LockRequest) -> anyhow::Result<Box<dyn StateStore>> {
        self.open_with(request, true)?
            .context("internal error: the state was not created")
    }

    fn open_existing(&self, request: &LockRequest) -> anyhow::Result<Option<Box<dyn StateStore>>> {
        self.open_with(request, false)
    }

    fn adopt(&self, request: &LockRequest, transfer: &Transfer) -> anyhow::Result<()> {
        let store = self.open(request)?;
        let current = store.load()?;
        if !current.pages.is_empty()
            || !current.links.is_empty()
            || !current.applications.is_empty()
        {
            bail!(
                "{} already manages {} page(s) and {} link(s); state migrate only moves into \
                 an empty state (choose another state_name, or `socialform state rm` there first)",
                self.describe(),
                current.pages.len(),
                current.links.len()
            );
        }
        let session = self.connector.connect()?;
        let name = self.connector.resolved.state_name.clone();
        let lineage = transfer.recorded.lineage.clone();
        let serial = i64::try_from(transfer.recorded.serial).context("the serial is too large")?;
        let key = transfer.fingerprint_key.to_vec();
        let pages = transfer
            .recorded
            .pages
            .values()
            .map(|p| Ok((p.address.to_string(), serde_json::to_string(p)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let links = transfer
            .recorded
            .links
            .values()
            .map(|l| Ok((l.address.to_string(), serde_json::to_string(l)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let applications = transfer
            .recorded
            .applications
            .values()
            .map(|a| Ok((a.address.to_string(), serde_json::to_string(a)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let history = transfer
            .history
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()?;
        // One transaction: the state arrives whole or not at all. The lock
        // is held by `store` (another session) throughout.
        session
            .run(move |client| async move {
                client.batch_execute("BEGIN").await?;
                let result = async {
                    client
                        .execute(
                            "UPDATE states SET lineage = $2, serial = $3, fingerprint_key = $4 \
                             WHERE name = $1",
                            &[&name, &lineage, &serial, &key],
                        )
                        .await?;
                    for (address, record) in &pages {
                        client
                            .execute(
                                "INSERT INTO pages (state_name, address, record) \
                                 VALUES ($1, $2, $3::text::jsonb)",
                                &[&name, address, record],
                            )
                            .await?;
                    }
                    for (address, record) in &links {
                        client
                            .execute(
                                "INSERT INTO links (state_name, address, record) \
                                 VALUES ($1, $2, $3::text::jsonb)",
                                &[&name, address, record],
                            )
                            .await?;
                    }
                    for (address, record) in &applications {
                        client
                            .execute(
                                "INSERT INTO applications (state_name, address, record) \
                                 VALUES ($1, $2, $3::text::jsonb)",
                                &[&name, address, record],
                            )
                            .await?;
                    }
                    for entry in &history {
                        client
                            .execute(
                                "INSERT INTO history (state_name, entry) VALUES ($1, $2::text::jsonb)",
                                &[&name, entry],
                            )
                            .await?;
                    }
                    Ok::<(), tokio_postgres::Error>(())
                }
                .await;
                match result {
                    Ok(()) => client.batch_execute("COMMIT").await,
                    Err(error) => {
                        let _ = client.batch_execute("ROLLBACK").await;
                        Err(error)
                    }
                }
            })
            .map_err(|e| self.connector.failed("could not write", e))?;
        drop(store);
        Ok(())
    }
}

/// An opened PostgreSQL state: a session holding the state's lock.
struct PostgresStore {
    connector: Arc<Connector>,
    session: Mutex<Session>,
    holder: LockInfo,
    lineage: String,
    fingerprinter: Fingerprinter,
    /// Kept only to hand the state whole to another backend (`transfer`).
    fingerprint_key: zeroize::Zeroizing<Vec<u8>>,
    /// The serial this process last read or wrote; every write is guarded by it.
    serial: Mutex<u64>,
    /// Set while an attempt has failed and `with_retry` is still trying.
    degraded: std::sync::atomic::AtomicBool,
}

/// A failure of one attempt: retried on a new session when transient.
enum Attempt {
    Transient(anyhow::Error),
    Final(anyhow::Error),
}

impl PostgresStore {
    fn name(&self) -> String {
        self.connector.resolved.state_name.clone()
    }

    /// Runs `job` on the session; on a transient failure, backs off, makes
    /// a new session that takes the lock again (failing for good if someone
    /// else holds it by then), and tries again: 4 more times over about 3 s.
    fn with_retry<T, F>(&self, what: &str, job: F) -> anyhow::Result<T>
    where
        F: Fn(&Session) -> Result<T, SessionError>,
    {
        let attempt = || -> Result<T, Attempt> {
            let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
            match job(&session) {
                Ok(value) => Ok(value),
                Err(error) if error.is_transient() => {
                    let failed = self.connector.failed(what, error);
                    // The broken connection has released the lock: take it
                    // again on a new one before anything is retried.
                    match self.connector.connect() {
                        Ok(fresh) => match self.connector.try_lock(&fresh) {
                            Ok(true) => {
                                *session = fresh;
                                Err(Attempt::Transient(failed))
                            }
                            Ok(false) => Err(Attempt::Final(failed.context(
                                "the connection broke and another process holds the state's \
                                 lock now",
                            ))),
                            Err(error) => Err(Attempt::Transient(error)),
                        },
                        Err(error) => Err(Attempt::Transient(error.context(failed.to_string()))),
                    }
                }
                Err(error) => Err(Attempt::Final(self.connector.failed(what, error))),
            }
        };
        use std::sync::atomic::Ordering;
        let result = attempt
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(200))
                    .with_max_delay(Duration::from_secs(1))
                    .with_max_times(4)
                    .with_jitter(),
            )
            .when(|failure| matches!(failure, Attempt::Transient(_)))
            .notify(|_, _| self.degraded.store(true, Ordering::SeqCst))
            .call()
            .map_err(|failure| match failure {
                Attempt::Transient(error) | Attempt::Final(error) => error,
            });
        // A write that failed for good leaves the store degraded: no new
        // call of this apply may start between this and the apply halting.
        self.degraded.store(result.is_err(), Ordering::SeqCst);
        result
    }
}

/// `ops` with later ops on the same address replacing earlier ones, split
/// into what to delete and what to write, as JSON text by address.
struct Changes {
    page_deletes: Vec<String>,
    page_puts: (Vec<String>, Vec<String>),
    link_deletes: Vec<String>,
    link_puts: (Vec<String>, Vec<String>),
    application_deletes: Vec<String>,
    application_puts: (Vec<String>, Vec<String>),
}

fn changes(ops: &[StateOp]) -> anyhow::Result<Changes> {
    let mut pages: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut links: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut applications: BTreeMap<String, Option<String>> = BTreeMap::new();
    for op in ops {
        match op {
            StateOp::PutPage(page) => {
                pages.insert(page.address.to_string(), Some(serde_json::to_string(page)?));
            }
            StateOp::RemovePage(address) => {
                pages.insert(address.to_string(), None);
            }
            StateOp::PutLink(link) => {
                links.insert(link.address.to_string(), Some(serde_json::to_string(link)?));
            }
            StateOp::RemoveLink(address) => {
                links.insert(address.to_string(), None);
            }
            StateOp::PutApplication(app) => {
                applications.insert(app.address.to_string(), Some(serde_json::to_string(app)?));
            }
            StateOp::RemoveApplication(address) => {
                applications.insert(address.to_string(), None);
            }
        }
    }
    let split = |map: BTreeMap<String, Option<String>>| {
        let mut deletes = Vec::new();
        let mut puts = (Vec::new(), Vec::new());
        for (address, record) in map {
            match record {
                Some(record) => {
                    puts.0.push(address);
                    puts.1.push(record);
                }
                None => deletes.push(address),
            }
        }
        (deletes, puts)
    };
    let (page_deletes, page_puts) = split(pages);
    let (link_deletes, link_puts) = split(links);
    let (application_deletes, application_puts) = split(applications);
    Ok(Changes {
        page_deletes,
        page_puts,
        link_deletes,
        link_puts,
        application_deletes,
        application_puts,
    })
}

/// One statement: bump the serial if it is still the one expected, and only
/// then apply every change. No row back means the serial had moved.
const RECORD_SQL: &str = "
WITH bumped AS (
    UPDATE states SET serial = serial + 1 WHERE name = $1 AND serial = $2 RETURNING serial
), page_deletes AS (
    DELETE FROM pages WHERE state_name = $1 AND address = ANY($3::text[])
        AND EXISTS (SELECT 1 FROM bumped)
), page_puts AS (
    INSERT INTO pages (state_name, address, record)
    SELECT $1, a, r::jsonb FROM unnest($4::text[], $5::text[]) AS t(a, r)
    WHERE EXISTS (SELECT 1 FROM bumped)
    ON CONFLICT (state_name, address) DO UPDATE SET record = EXCLUDED.record
), link_deletes AS (
    DELETE FROM links WHERE state_name = $1 AND address = ANY($6::text[])
        AND EXISTS (SELECT 1 FROM bumped)
), link_puts AS (
    INSERT INTO links (state_name, address, record)
    SELECT $1, a, r::jsonb FROM unnest($7::text[], $8::text[]) AS t(a, r)
    WHERE EXISTS (SELECT 1 FROM bumped)
    ON CONFLICT (state_name, address) DO UPDATE SET record = EXCLUDED.record
), application_deletes AS (
    DELETE FROM applications WHERE state_name = $1 AND address = ANY($9::text[])
        AND EXISTS (SELECT 1 FROM bumped)
), application_puts AS (
    INSERT INTO applications (state_name, address, record)
    SELECT $1, a, r::jsonb FROM unnest($10::text[], $11::text[]) AS t(a, r)
    WHERE EXISTS (SELECT 1 FROM bumped)
    ON CONFLICT (state_name, address) DO UPDATE SET record = EXCLUDED.record
)
SELECT serial FROM bumped";

impl StateStore for PostgresStore {
    fn holder(&self) -> &LockInfo {
        &self.holder
    }

    fn load(&self) -> anyhow::Result<Recorded> {
        let name = self.name();
        let (serial, pages, links, applications): (i64, String, String, String) =
            self.with_retry("could not read", |session| {
                let name = name.clone();
                session.run(move |client| async move {
                    // One statement, so one consistent snapshot.
                    let row = client
                        .query_one(
                            "SELECT s.serial,
                                (SELECT COALESCE(json_agg(record ORDER BY address), '[]')
                                   FROM pages WHERE state_name = s.name)::text,
                                (SELECT COALESCE(json_agg(record ORDER BY address), '[]')
                                   FROM links WHERE state_name = s.name)::text,
                                (SELECT COALESCE(json_agg(record ORDER BY address), '[]')
                                   FROM applications WHERE state_name = s.name)::text
                             FROM states s WHERE s.name = $1",
                            &[&name],
                        )
                        .await?;
                    Ok((row.get(0), row.get(1), row.get(2), row.get(3)))
                })
            })?;
        let pages: Vec<PageRecord> = serde_json::from_str(&pages).with_context(|| {
            format!(
                "a page record of {} is not valid",
                self.connector.describe()
            )
        })?;
        let links: Vec<super::LinkRecord> = serde_json::from_str(&links).with_context(|| {
            format!(
                "a link record of {} is not valid",
                self.connector.describe()
            )
        })?;
        let applications: Vec<super::ApplicationRecord> = serde_json::from_str(&applications)
            .with_context(|| {
                format!(
                    "an application record of {} is not valid",
                    self.connector.describe()
                )
            })?;
        let serial = u64::try_from(serial).unwrap_or(0);
        *self.serial.lock().unwrap_or_else(PoisonError::into_inner) = serial;
        Ok(Recorded {
            lineage: self.lineage.clone(),
            serial,
            pages: pages
                .into_iter()
                .map(|p| (p.address.clone(), p))
                .collect::<BTreeMap<Address, PageRecord>>(),
            links: links.into_iter().map(|l| (l.address.clone(), l)).collect(),
            applications: applications
                .into_iter()
                .map(|a| (a.address.clone(), a))
                .collect(),
        })
    }

    fn record(&self, ops: &[StateOp]) -> anyhow::Result<u64> {
        for op in ops {
            let (address, kind) = match op {
                StateOp::PutPage(p) => (&p.address, crate::address::ResourceKind::Page),
                StateOp::RemovePage(a) => (a, crate::address::ResourceKind::Page),
                StateOp::PutLink(l) => (&l.address, crate::address::ResourceKind::Link),
                StateOp::RemoveLink(a) => (a, crate::address::ResourceKind::Link),
                StateOp::PutApplication(a) => {
                    (&a.address, crate::address::ResourceKind::Application)
                }
                StateOp::RemoveApplication(a) => (a, crate::address::ResourceKind::Application),
            };
            if address.kind != kind {
                bail!("internal error: {address} recorded as a {}", kind.as_str());
            }
        }
        let changes = Arc::new(changes(ops)?);
        // Writers are serialized here: each reads the serial it guards on.
        let mut serial = self.serial.lock().unwrap_or_else(PoisonError::into_inner);
        let expected = i64::try_from(*serial).context("the serial is too large")?;
        let name = self.name();
        let written: Option<i64> = self.with_retry("could not write", |session| {
            let (name, changes) = (name.clone(), changes.clone());
            let statement = session.statement(RECORD_SQL)?;
            session.run(move |client| async move {
                let row = client
                    .query_opt(
                        &statement,
                        &[
                            &name,
                            &expected,
                            &changes.page_deletes,
                            &changes.page_puts.0,
                            &changes.page_puts.1,
                            &changes.link_deletes,
                            &changes.link_puts.0,
                            &changes.link_puts.1,
                            &changes.application_deletes,
                            &changes.application_puts.0,
                            &changes.application_puts.1,
                        ],
                    )
                    .await?;
                Ok(row.map(|row| row.get::<_, i64>(0)))
            })
        })?;
        let Some(written) = written else {
            bail!(
                "{} changed under this process (its serial is no longer {expected}); nothing was \
                 written for this change",
                self.connector.describe()
            );
        };
        *serial = u64::try_from(written).unwrap_or(0);
        Ok(*serial)
    }

    fn fingerprinter(&self) -> Fingerprinter {
        self.fingerprinter.clone()
    }

    fn degraded(&self) -> bool {
        self.degraded.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn writes_can_fail_midway(&self) -> bool {
        true
    }

    fn transfer(&self) -> anyhow::Result<Transfer> {
        Ok(Transfer {
            recorded: self.load()?,
            fingerprint_key: self.fingerprint_key.clone(),
            history: self.history()?,
        })
    }

    fn append_history(&self, entry: &HistoryEntry) -> anyhow::Result<()> {
        let text = serde_json::to_string(entry)?;
        let name = self.name();
        self.with_retry("could not write the history of", |session| {
            let (name, text) = (name.clone(), text.clone());
            session.run(move |client| async move {
                client
                    .execute(
                        "INSERT INTO history (state_name, entry) VALUES ($1, $2::text::jsonb)",
                        &[&name, &text],
                    )
                    .await
            })
        })?;
        Ok(())
    }

    fn history(&self) -> anyhow::Result<Vec<HistoryEntry>> {
        let name = self.name();
        let rows: Vec<String> = self.with_retry("could not read the history of", |session| {
            let name = name.clone();
            session.run(move |client| async move {
                let rows = client
                    .query(
                        "SELECT entry::text FROM history WHERE state_name = $1 ORDER BY seq",
                        &[&name],
                    )
                    .await?;
                Ok(rows.iter().map(|row| row.get(0)).collect())
            })
        })?;
        rows.iter()
            .map(|text| {
                serde_json::from_str(text).with_context(|| {
                    format!(
                        "a history entry of {} is not valid",
                        self.connector.describe()
                    )
                })
            })
            .collect()
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Closing the connection releases the lock; clearing the holder's
        // row first keeps waiters from naming a process that has finished.
        let session = self
            .session
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        let (name, pid, key) = (
            self.connector.resolved.state_name.clone(),
            i32::try_from(self.holder.pid).unwrap_or(i32::MAX),
            self.connector.lock_key,
        );
        let _ = session.run(move |client| async move {
            client
                .execute(
                    "DELETE FROM locks WHERE state_name = $1 AND pid = $2",
                    &[&name, &pid],
                )
                .await?;
            client
                .execute("SELECT pg_advisory_unlock($1)", &[&key])
                .await
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_ops_on_an_address_replace_earlier_ones() {
        let page = |name: &str| PageRecord {
            address: Address::page(name),
            page_id: "1".into(),
            name: None,
            token_fingerprint: None,
        };
        let changes = changes(&[
            StateOp::PutPage(page("a")),
            StateOp::RemovePage(Address::page("a")),
            StateOp::RemovePage(Address::page("b")),
            StateOp::PutPage(page("b")),
        ])
        .unwrap();
        assert_eq!(changes.page_deletes, vec!["page.a"]);
        assert_eq!(changes.page_puts.0, vec!["page.b"]);
        assert!(changes.link_deletes.is_empty() && changes.link_puts.0.is_empty());
    }

    #[test]
    fn lock_keys_differ_per_state_name_and_schema() {
        let a = key_of(&["socialform state", "socialform", "production"]);
        let b = key_of(&["socialform state", "socialform", "staging"]);
        let c = key_of(&["socialform state", "other", "production"]);
        assert!(a != b && a != c && b != c);
        assert_eq!(a, key_of(&["socialform state", "socialform", "production"]));
    }
}
