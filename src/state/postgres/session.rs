//! One connection to PostgreSQL, owned by a thread of its own.
//!
//! The state traits are synchronous (the sled store is), and they are
//! called both from inside the program's tokio runtime and from plain
//! threads. tokio-postgres is asynchronous and its connection must be
//! driven by a runtime. So each session runs a small current-thread runtime
//! on its own thread, which owns the client and its connection; callers
//! send it jobs and block until the answer comes back. This never blocks
//! the runtime it is called from for longer than the query takes, and
//! the session's advisory locks live exactly as long as its connection.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use tokio::sync::mpsc;
use tokio_postgres::{Client, Statement};

type Job = Box<dyn FnOnce(Arc<Client>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// A live connection. Dropping it closes the connection, which releases
/// every advisory lock it holds.
pub(crate) struct Session {
    jobs: mpsc::UnboundedSender<Job>,
    /// Statements prepared on this connection, by their text: a prepared
    /// statement runs in one round trip instead of two.
    prepared: std::sync::Mutex<std::collections::HashMap<&'static str, Statement>>,
}

/// Why a job did not run.
#[derive(Debug)]
pub(crate) enum SessionError {
    /// The database answered with an error, or the connection broke.
    Postgres(tokio_postgres::Error),
    /// The session's thread is gone (its connection ended earlier).
    Closed,
    /// What the database holds makes no sense to this build; not retried.
    Refused(String),
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // `{:#}`-style detail: tokio-postgres puts the server's message
            // in the source, never the connection's password.
            SessionError::Postgres(error) => match error.as_db_error() {
                Some(db) => write!(f, "{}: {}", db.severity(), db.message()),
                None => {
                    write!(f, "{error}")?;
                    let mut source = std::error::Error::source(error);
                    while let Some(inner) = source {
                        write!(f, ": {inner}")?;
                        source = inner.source();
                    }
                    Ok(())
                }
            },
            SessionError::Closed => f.write_str("the connection to the database is closed"),
            SessionError::Refused(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for SessionError {}

impl SessionError {
    /// Whether trying again on a new connection may help: the connection
    /// broke, or the server asked to retry (serialization failure, deadlock,
    /// shutdown, too many connections).
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            SessionError::Closed => true,
            SessionError::Refused(_) => false,
            SessionError::Postgres(error) => match error.code() {
                Some(code) => {
                    let code = code.code();
                    code.starts_with("08") // connection exception
                        || code.starts_with("57P") // admin shutdown, crash shutdown, cannot connect now
                        || code == "40001" // serialization failure
                        || code == "40P01" // deadlock
                        || code == "53300" // too many connections
                }
                None => error.is_closed() || std::error::Error::source(error).is_some(),
            },
        }
    }
}

impl Session {
    /// Connects; the error says why not (never with the password).
    pub(crate) fn connect(
        config: tokio_postgres::Config,
        tls: tokio_postgres_rustls::MakeRustlsConnect,
    ) -> Result<Session, SessionError> {
        let (ready, connected) = std_mpsc::channel::<Result<(), tokio_postgres::Error>>();
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("state-postgres".into())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    let (client, connection) = match config.connect(tls).await {
                        Ok(pair) => pair,
                        Err(error) => {
                            let _ = ready.send(Err(error));
                            return;
                        }
                    };
                    let driver = tokio::spawn(connection);
                    let client = Arc::new(client);
                    let _ = ready.send(Ok(()));
                    while let Some(job) = queue.recv().await {
                        job(client.clone()).await;
                    }
                    // Every sender is gone: close the connection, then let
                    // the driver see it end.
                    drop(client);
                    let _ = driver.await;
                });
            });
        if spawned.is_err() {
            return Err(SessionError::Closed);
        }
        match connected.recv() {
            Ok(Ok(())) => Ok(Session {
                jobs,
                prepared: Default::default(),
            }),
            Ok(Err(error)) => Err(SessionError::Postgres(error)),
            Err(_) => Err(SessionError::Closed),
        }
    }

    /// `sql`, prepared once on this connection.
    pub(crate) fn statement(&self, sql: &'static str) -> Result<Statement, SessionError> {
        let cached = self
            .prepared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(sql)
            .cloned();
        if let Some(statement) = cached {
            return Ok(statement);
        }
        let statement = self.run(move |client| async move { client.prepare(sql).await })?;
        self.prepared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(sql, statement.clone());
        Ok(statement)
    }

    /// Runs `job` with the client on the session's thread and waits for it.
    pub(crate) fn run<T, F, Fut>(&self, job: F) -> Result<T, SessionError>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Client>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, tokio_postgres::Error>> + Send + 'static,
    {
        let (answer, answered) = std_mpsc::channel();
        let boxed: Job = Box::new(move |client| {
            Box::pin(async move {
                let _ = answer.send(job(client).await);
            })
        });
        self.jobs.send(boxed).map_err(|_| SessionError::Closed)?;
        match answered.recv() {
            Ok(result) => result.map_err(SessionError::Postgres),
            Err(_) => Err(SessionError::Closed),
        }
    }
}
