//! Where the PostgreSQL state is: the `backend "postgres"` block's settings,
//! filled in from libpq's environment, checked, and described without the
//! password.

use super::tls::{TlsParams, TlsSettings, take_tls_keys};
use crate::secret::Secret;
use anyhow::bail;
use std::path::PathBuf;
use std::str::FromStr;

/// The block's settings as configured (before the environment fills in).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostgresSettings {
    /// `conn_str`: a `postgres://` URL or `key=value` pairs. Secret, since it
    /// may carry a password.
    pub conn_str: Option<Secret>,
    pub schema_name: Option<String>,
    pub state_name: Option<String>,
    /// The block's own `sslmode`, `sslrootcert`, `sslcert` and `sslkey`:
    /// they win over the same keys in `conn_str`.
    pub tls: TlsParams,
}

pub(crate) const DEFAULT_SCHEMA: &str = "socialform";
pub(crate) const DEFAULT_STATE_NAME: &str = "default";

/// Resolved and checked: ready to connect.
#[derive(Clone)]
pub(crate) struct Resolved {
    pub(crate) config: tokio_postgres::Config,
    pub(crate) schema: String,
    pub(crate) state_name: String,
    /// `host:port/dbname`, for messages; never the password.
    pub(crate) target: String,
    pub(crate) tls: TlsSettings,
    /// The host name the server's certificate must name (verify-full).
    pub(crate) host: String,
}

/// Schema names go into SQL as identifiers: keep them to a plain shape.
fn check_schema(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63;
    if !plain {
        bail!(
            "schema_name {name:?} is not a plain PostgreSQL name: use lower-case letters, digits \
             and _, starting with a letter or _, at most 63 characters"
        );
    }
    Ok(())
}

/// Replaces every occurrence of the connection string's password in `text`.
pub fn redact(text: &str, password: Option<&[u8]>) -> String {
    match password.and_then(|p| std::str::from_utf8(p).ok()) {
        Some(password) if !password.is_empty() => text.replace(password, "(sensitive value)"),
        _ => text.to_string(),
    }
}

/// The password written in a connection string, when it can be found
/// without parsing it (for redacting a parser's message).
fn written_password(conn_str: &str) -> Option<String> {
    if let Some(rest) = conn_str.split_once("://").map(|(_, r)| r) {
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        let userinfo = authority.rsplit_once('@')?.0;
        return userinfo.split_once(':').map(|(_, p)| p.to_string());
    }
    conn_str
        .split_whitespace()
        .find_map(|pair| pair.strip_prefix("password="))
        .map(|p| p.trim_matches('\'').to_string())
}

impl PostgresSettings {
    /// Fills in what the block leaves out: `SOCIALFORM_PG_CONN_STR` for the
    /// connection string, then libpq's `PGHOST`, `PGPORT`, `PGUSER`,
    /// `PGPASSWORD`, `PGDATABASE`, and `PGSSLMODE`, `PGSSLROOTCERT`,
    /// `PGSSLCERT`, `PGSSLKEY` (see `tls`) for what that leaves out.
    pub(crate) fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Resolved> {
        let conn_str = self
            .conn_str
            .as_ref()
            .map(|s| s.expose().to_string())
            .or_else(|| env("SOCIALFORM_PG_CONN_STR"))
            .unwrap_or_default();
        let (conn_str, written) = take_tls_keys(&conn_str).map_err(|error| {
            let password = written_password(&conn_str);
            anyhow::anyhow!(
                "{}",
                redact(&error.to_string(), password.as_deref().map(str::as_bytes))
            )
        })?;
        let home = env("HOME").map(PathBuf::from);
        let tls = TlsSettings::resolve(self.tls.clone().or(written), env, home.as_deref())?;
        let mut config = tokio_postgres::Config::from_str(&conn_str).map_err(|error| {
            let password = written_password(&conn_str);
            anyhow::anyhow!(
                "the PostgreSQL connection string is not valid ({}); write a URL such as \
                 postgres://USER@HOST:5432/DB?sslmode=require, or key=value pairs",
                redact(&error.to_string(), password.as_deref().map(str::as_bytes))
            )
        })?;
        if config.get_hosts().is_empty() {
            config.host(env("PGHOST").as_deref().unwrap_or("localhost"));
        }
        if config.get_ports().is_empty()
            && let Some(port) = env("PGPORT")
        {
            let port: u16 = port
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("PGPORT={port:?} is not a port number"))?;
            config.port(port);
        }
        if config.get_user().is_none()
            && let Some(user) = env("PGUSER").or_else(|| env("USER"))
        {
            config.user(&user);
        }
        if config.get_password().is_none()
            && let Some(password) = env("PGPASSWORD")
        {
            config.password(password);
        }
        if config.get_dbname().is_none()
            && let Some(dbname) = env("PGDATABASE")
        {
            config.dbname(&dbname);
        }
        config.ssl_mode(tls.mode.negotiation());
        config.application_name("socialform");
        config.connect_timeout(std::time::Duration::from_secs(10));

        let schema = self
            .schema_name
            .clone()
            .unwrap_or_else(|| DEFAULT_SCHEMA.to_string());
        check_schema(&schema)?;
        let state_name = self
            .state_name
            .clone()
            .unwrap_or_else(|| DEFAULT_STATE_NAME.to_string());
        if state_name.trim().is_empty() {
            bail!("state_name must not be empty");
        }
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
            Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
            None => "localhost".to_string(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let dbname = config
            .get_dbname()
            .or(config.get_user())
            .unwrap_or("postgres");
        let target = format!("{host}:{port}/{dbname}");
        Ok(Resolved {
            config,
            schema,
            state_name,
            target,
            tls,
            host,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_environment_fills_in_what_the_block_leaves_out() {
        let settings = PostgresSettings::default();
        let resolved = settings
            .resolve(&env(&[
                ("PGHOST", "db.internal"),
                ("PGPORT", "6543"),
                ("PGUSER", "ann"),
                ("PGPASSWORD", "hunter2"),
                ("PGDATABASE", "teams"),
            ]))
            .unwrap();
        assert_eq!(resolved.target, "db.internal:6543/teams");
        assert_eq!(resolved.config.get_user(), Some("ann"));
        assert_eq!(resolved.config.get_password(), Some(&b"hunter2"[..]));
        assert_eq!(resolved.schema, "socialform");
        assert_eq!(resolved.state_name, "default");
        assert!(!resolved.target.contains("hunter2"));
    }

    #[test]
    fn the_block_wins_over_the_environment() {
        let settings = PostgresSettings {
            conn_str: Some(Secret::new(
                "postgres://bob:pw@a.example:5433/x?sslmode=require",
            )),
            schema_name: Some("team_a".into()),
            state_name: Some("production".into()),
            ..PostgresSettings::default()
        };
        let resolved = settings
            .resolve(&env(&[
                ("SOCIALFORM_PG_CONN_STR", "postgres://other@b/y"),
                ("PGHOST", "c"),
                ("PGSSLMODE", "disable"),
            ]))
            .unwrap();
        assert_eq!(resolved.target, "a.example:5433/x");
        assert_eq!(
            resolved.config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
        assert_eq!(resolved.state_name, "production");
    }

    #[test]
    fn a_bad_connection_string_or_schema_is_refused_without_the_password() {
        let settings = PostgresSettings {
            conn_str: Some(Secret::new("postgres://bob:s3cr3tpw@host:notaport/db")),
            ..PostgresSettings::default()
        };
        let error = settings.resolve(&env(&[])).err().unwrap().to_string();
        assert!(error.contains("not valid"), "{error}");
        assert!(!error.contains("s3cr3tpw"), "{error}");

        let settings = PostgresSettings {
            schema_name: Some("Robert'); DROP".into()),
            ..PostgresSettings::default()
        };
        assert!(settings.resolve(&env(&[])).is_err());
    }

    #[test]
    fn passwords_are_found_in_both_forms() {
        assert_eq!(
            written_password("postgres://u:pa%ss@h/db").as_deref(),
            Some("pa%ss")
        );
        assert_eq!(
            written_password("host=h password=xyz user=u").as_deref(),
            Some("xyz")
        );
        assert_eq!(written_password("postgres://u@h/db"), None);
    }
}
