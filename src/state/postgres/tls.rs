//! PostgreSQL TLS as libpq means it.
//!
//! libpq's TLS settings (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`) are
//! taken out of the connection string before tokio-postgres parses the rest
//! (it knows only three of libpq's six modes and none of the files), then
//! turned into a rustls configuration that does what libpq would do:
//!
//! | sslmode | encrypted | certificate checked |
//! |---|---|---|
//! | `disable` | no | — |
//! | `allow`, `prefer` (default) | if the server offers it | no, unless a root certificate is there |
//! | `require` | yes | no, unless a root certificate is there (then as `verify-ca`) |
//! | `verify-ca` | yes | chains to `sslrootcert` |
//! | `verify-full` | yes | chains to `sslrootcert` and names the host |
//!
//! Where a setting is not written, libpq's environment (`PGSSLMODE`,
//! `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`) and then its default files
//! under `~/.postgresql/` fill in, as for `psql`. `sslrootcert=system` is
//! PostgreSQL 16's: the operating system's roots, with `verify-full` only.

use crate::tls::{LibpqVerifier, full_verifier, provider, read_client_identity, read_roots};
use anyhow::{Context, bail};
#[cfg(test)]
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The TLS keys socialform takes out of a connection string.
const TLS_KEYS: &[&str] = &["sslmode", "sslrootcert", "sslcert", "sslkey"];

/// libpq's `sslmode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str, setting: &str) -> anyhow::Result<SslMode> {
        Ok(match value.trim() {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => bail!(
                "{setting}={other:?} is not an sslmode: use disable, allow, prefer, require, \
                 verify-ca or verify-full"
            ),
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// What tokio-postgres is told: whether to ask for TLS, and whether a
    /// server that refuses it is acceptable. (`allow` tries TLS first, where
    /// libpq tries the clear first; both end on the same connection.)
    pub(crate) fn negotiation(self) -> tokio_postgres::config::SslMode {
        match self {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Allow | SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        }
    }
}

/// Where the root certificates come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RootCert {
    /// A PEM file; `setting` says which setting named it.
    File { path: PathBuf, setting: String },
    /// `sslrootcert=system`: the operating system's roots.
    System,
}

/// The TLS settings of one connection, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TlsSettings {
    pub(crate) mode: SslMode,
    /// Where `mode` came from (`sslmode`, `PGSSLMODE`, or the default), for
    /// messages.
    pub(crate) mode_setting: &'static str,
    pub(crate) root: Option<RootCert>,
    /// A certificate and its key, when the server asks for one.
    pub(crate) client: Option<(PathBuf, PathBuf)>,
}

/// The TLS settings written somewhere (the connection string, or the
/// backend block's own attributes, which win).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsParams {
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
    pub sslcert: Option<String>,
    pub sslkey: Option<String>,
}

impl TlsParams {
    fn set(&mut self, key: &str, value: String) {
        match key {
            "sslmode" => self.sslmode = Some(value),
            "sslrootcert" => self.sslrootcert = Some(value),
            "sslcert" => self.sslcert = Some(value),
            "sslkey" => self.sslkey = Some(value),
            _ => {}
        }
    }

    /// `self`, with what it leaves out taken from `other`.
    pub(crate) fn or(self, other: TlsParams) -> TlsParams {
        TlsParams {
            sslmode: self.sslmode.or(other.sslmode),
            sslrootcert: self.sslrootcert.or(other.sslrootcert),
            sslcert: self.sslcert.or(other.sslcert),
            sslkey: self.sslkey.or(other.sslkey),
        }
    }
}

/// Takes libpq's TLS keys out of `conn_str` (a `postgres://` URL or
/// `key=value` pairs): what remains is for tokio-postgres.
pub(crate) fn take_tls_keys(conn_str: &str) -> anyhow::Result<(String, TlsParams)> {
    let mut written = TlsParams::default();
    if conn_str.starts_with("postgres://") || conn_str.starts_with("postgresql://") {
        let Some((base, query)) = conn_str.split_once('?') else {
            return Ok((conn_str.to_string(), written));
        };
        let mut kept = Vec::new();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode(key)?;
            if TLS_KEYS.contains(&key.as_str()) {
                written.set(&key, percent_decode(value)?);
            } else {
                kept.push(pair);
            }
        }
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Ok((rest, written));
    }
    let mut kept = String::new();
    for (key, value) in key_value_pairs(conn_str)? {
        if TLS_KEYS.contains(&key.as_str()) {
            written.set(&key, value);
        } else {
            if !kept.is_empty() {
                kept.push(' ');
            }
            kept.push_str(&key);
            kept.push_str("='");
            kept.push_str(&value.replace('\\', "\\\\").replace('\'', "\\'"));
            kept.push('\'');
        }
    }
    Ok((kept, written))
}

fn percent_decode(text: &str) -> anyhow::Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    anyhow::anyhow!("the connection string has a bad %-escape in its parameters")
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).context("the connection string's parameters are not UTF-8")
}

/// libpq's `key=value` form: values may be single-quoted, with `\'` and
/// `\\` inside quotes; spaces around `=` are allowed.
fn key_value_pairs(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            bail!(
                "the connection string is not valid: {key:?} is missing \"=\"; write key=value \
                 pairs, or a postgres:// URL"
            );
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => bail!(
                        "the connection string is not valid: the value of {key:?} has no \
                         closing quote"
                    ),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                if c == '\\' {
                    chars.next();
                    value.extend(chars.next());
                    continue;
                }
                value.push(c);
                chars.next();
            }
        }
        pairs.push((key, value));
    }
}

/// libpq's default files: `~/.postgresql/root.crt`, `postgresql.crt`,
/// `postgresql.key`.
fn default_file(home: Option<&Path>, name: &str) -> Option<PathBuf> {
    Some(home?.join(".postgresql").join(name))
}

impl TlsSettings {
    /// Resolves the written settings against libpq's environment and its
    /// default files. `home` is the user's home directory.
    pub(crate) fn resolve(
        written: TlsParams,
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<&Path>,
    ) -> anyhow::Result<TlsSettings> {
        let (mode, mode_setting) = match (written.sslmode, env("PGSSLMODE")) {
            (Some(mode), _) => (SslMode::parse(&mode, "sslmode")?, "sslmode"),
            (None, Some(mode)) => (SslMode::parse(&mode, "PGSSLMODE")?, "PGSSLMODE"),
            (None, None) => (SslMode::Prefer, "the default sslmode"),
        };
        let named = |value: Option<String>, setting: &str, variable: &str| {
            value
                .map(|v| (v, setting.to_string()))
                .or_else(|| env(variable).map(|v| (v, variable.to_string())))
                .filter(|(v, _)| !v.is_empty())
        };
        let root = match named(written.sslrootcert, "sslrootcert", "PGSSLROOTCERT") {
            Some((value, _)) if value == "system" => Some(RootCert::System),
            Some((value, setting)) => Some(RootCert::File {
                path: PathBuf::from(value),
                setting,
            }),
            None => default_file(home, "root.crt")
                .filter(|path| {
                    path.exists() || matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull)
                })
                .map(|path| RootCert::File {
                    path,
                    setting: "sslrootcert (default)".to_string(),
                }),
        };
        if root == Some(RootCert::System) && mode != SslMode::VerifyFull {
            bail!(
                "sslrootcert=system needs sslmode=verify-full ({mode_setting} is {:?}): with \
                 the system's roots any certificate they sign would do unless its host name \
                 is checked",
                mode.name()
            );
        }
        let cert = named(written.sslcert, "sslcert", "PGSSLCERT")
            .map(|(v, _)| PathBuf::from(v))
            .or_else(|| default_file(home, "postgresql.crt").filter(|p| p.exists()));
        let key = named(written.sslkey, "sslkey", "PGSSLKEY")
            .map(|(v, _)| PathBuf::from(v))
            .or_else(|| default_file(home, "postgresql.key").filter(|p| p.exists()));
        let client = match (cert, key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (Some(cert), None) => bail!(
                "sslcert {} is set but no sslkey: set sslkey (or PGSSLKEY) to its private key",
                cert.display()
            ),
            // libpq ignores a key without a certificate.
            (None, _) => None,
        };
        Ok(TlsSettings {
            mode,
            mode_setting,
            root,
            client,
        })
    }

    /// The CA the server's certificate is checked against, in words.
    pub(crate) fn checked_against(&self) -> String {
        match &self.root {
            Some(RootCert::File { path, setting }) => {
                format!("the CA in {} ({setting})", path.display())
            }
            Some(RootCert::System) => "the system's roots (sslrootcert=system)".to_string(),
            None => "no CA".to_string(),
        }
    }

    /// The rustls configuration that does what libpq would.
    pub(crate) fn client_config(&self) -> anyhow::Result<rustls::ClientConfig> {
        let provider = provider();
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("could not set up TLS for PostgreSQL")?;
        let verify_ca = |path: &Path, setting: &str| -> anyhow::Result<_> {
            if !path.exists() {
                bail!(
                    "the root certificate file {} ({setting}) does not exist: sslmode={} checks \
                     the server's certificate against it. Download your provider's CA bundle \
                     there (RDS: global-bundle.pem), set sslrootcert to it, use the system's \
                     roots with sslrootcert=system and sslmode=verify-full, or set \
                     sslmode=require to encrypt without checking",
                    path.display(),
                    self.mode.name()
                );
            }
            read_roots(path, setting)
        };
        let wants = match (self.mode, &self.root) {
            (SslMode::Disable, _) => Verification::Encrypt,
            (SslMode::VerifyFull, Some(RootCert::System)) => Verification::System,
            (SslMode::VerifyFull, Some(RootCert::File { path, setting })) => {
                Verification::Full(verify_ca(path, setting)?)
            }
            (_, Some(RootCert::File { path, setting })) => {
                Verification::Chain(verify_ca(path, setting)?)
            }
            (SslMode::VerifyCa | SslMode::VerifyFull, _) => {
                unreachable!("resolve gives verify modes a root certificate")
            }
            (_, _) => Verification::Encrypt,
        };
        let verified = match wants {
            Verification::Encrypt => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(LibpqVerifier::encrypt_only(&provider))),
            Verification::Chain(roots) => {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(LibpqVerifier::chain_only(
                        roots, &provider,
                    )))
            }
            Verification::Full(roots) => {
                builder.with_webpki_verifier(full_verifier(roots, provider.clone())?)
            }
            Verification::System => {
                use rustls_platform_verifier::BuilderVerifierExt;
                builder
                    .with_platform_verifier()
                    .context("could not load the system's certificate roots for PostgreSQL")?
            }
        };
        match &self.client {
            None => Ok(verified.with_no_client_auth()),
            Some((cert_path, key_path)) => {
                check_key_permissions(key_path)?;
                let (chain, key) = read_client_identity(cert_path, key_path)?;
                verified.with_client_auth_cert(chain, key).map_err(|error| {
                    anyhow::anyhow!(
                        "cannot use the client certificate {} (sslcert) with the key {} \
                         (sslkey): {error}; the key must be the certificate's, and the \
                         certificate an X.509 v3 one",
                        cert_path.display(),
                        key_path.display()
                    )
                })
            }
        }
    }
}

enum Verification {
    Encrypt,
    Chain(rustls::RootCertStore),
    Full(rustls::RootCertStore),
    System,
}

/// libpq refuses a key file others can read: so does socialform.
fn check_key_permissions(key: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(key)
        .with_context(|| format!("cannot read the client key {} (sslkey)", key.display()))?;
    if metadata.permissions().mode() & 0o077 != 0 {
        bail!(
            "the client key {} (sslkey) can be read by others: make it private with chmod 600 {}",
            key.display(),
            key.display()
        );
    }
    Ok(())
}

/// The TLS settings found, by source, for `resolve`'s tests.
#[cfg(test)]
pub(crate) fn written_in(conn_str: &str) -> BTreeMap<&'static str, String> {
    let (_, written) = take_tls_keys(conn_str).unwrap();
    let mut found = BTreeMap::new();
    for (key, value) in [
        ("sslmode", written.sslmode),
        ("sslrootcert", written.sslrootcert),
        ("sslcert", written.sslcert),
        ("sslkey", written.sslkey),
    ] {
        if let Some(value) = value {
            found.insert(key, value);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn tls_keys_leave_a_url_and_the_rest_stays() {
        let (rest, _) = take_tls_keys(
            "postgres://u:p@db:5432/x?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&connect_timeout=5",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u:p@db:5432/x?connect_timeout=5");
        let found = written_in("postgres://db/x?sslmode=verify-ca&sslrootcert=%2Ftmp%2Fca.pem");
        assert_eq!(found["sslmode"], "verify-ca");
        assert_eq!(found["sslrootcert"], "/tmp/ca.pem");
        let (rest, _) = take_tls_keys("postgres://db/x?sslmode=require").unwrap();
        assert_eq!(rest, "postgres://db/x");
    }

    #[test]
    fn tls_keys_leave_key_value_pairs_and_quoting_survives() {
        let (rest, written) = take_tls_keys(
            r"host=db user = ann password='it\'s' sslmode=verify-full sslrootcert='/a b/ca.pem'",
        )
        .unwrap();
        assert_eq!(written.sslmode.as_deref(), Some("verify-full"));
        assert_eq!(written.sslrootcert.as_deref(), Some("/a b/ca.pem"));
        assert_eq!(rest, r"host='db' user='ann' password='it\'s'");
        let (rest, _) = take_tls_keys(r"host=db password='a\'b\\c'").unwrap();
        assert_eq!(rest, r"host='db' password='a\'b\\c'");
        assert!(take_tls_keys("host=db password='open").is_err());
        assert!(take_tls_keys("host").is_err());
    }

    #[test]
    fn the_mode_comes_from_the_string_then_pgsslmode_then_prefer() {
        let written = TlsParams {
            sslmode: Some("require".into()),
            ..TlsParams::default()
        };
        let env = |name: &str| (name == "PGSSLMODE").then(|| "disable".to_string());
        let settings = TlsSettings::resolve(written, &env, None).unwrap();
        assert_eq!(settings.mode, SslMode::Require);
        let settings = TlsSettings::resolve(TlsParams::default(), &env, None).unwrap();
        assert_eq!(
            (settings.mode, settings.mode_setting),
            (SslMode::Disable, "PGSSLMODE")
        );
        let settings = TlsSettings::resolve(TlsParams::default(), &no_env, None).unwrap();
        assert_eq!(settings.mode, SslMode::Prefer);
        let bad = TlsParams {
            sslmode: Some("verify".into()),
            ..TlsParams::default()
        };
        let error = TlsSettings::resolve(bad, &no_env, None)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("sslmode=\"verify\" is not an sslmode"),
            "{error}"
        );
    }

    #[test]
    fn a_verify_mode_without_a_root_certificate_names_the_default_file() {
        let home = tempfile::tempdir().unwrap();
        let written = TlsParams {
            sslmode: Some("verify-full".into()),
            ..TlsParams::default()
        };
        let settings = TlsSettings::resolve(written, &no_env, Some(home.path())).unwrap();
        let error = settings.client_config().unwrap_err().to_string();
        assert!(error.contains(".postgresql/root.crt"), "{error}");
        assert!(error.contains("does not exist"), "{error}");
        assert!(error.contains("sslrootcert=system"), "{error}");
    }

    #[test]
    fn require_checks_the_ca_when_a_root_certificate_is_there_as_libpq_does() {
        let home = tempfile::tempdir().unwrap();
        let written = TlsParams {
            sslmode: Some("require".into()),
            ..TlsParams::default()
        };
        let settings = TlsSettings::resolve(written.clone(), &no_env, Some(home.path())).unwrap();
        assert_eq!(settings.root, None);
        std::fs::create_dir(home.path().join(".postgresql")).unwrap();
        std::fs::write(home.path().join(".postgresql/root.crt"), "x").unwrap();
        let settings = TlsSettings::resolve(written, &no_env, Some(home.path())).unwrap();
        assert!(matches!(settings.root, Some(RootCert::File { .. })));
    }

    #[test]
    fn system_roots_need_verify_full_and_a_lone_certificate_needs_its_key() {
        let written = TlsParams {
            sslmode: Some("verify-ca".into()),
            sslrootcert: Some("system".into()),
            ..TlsParams::default()
        };
        let error = TlsSettings::resolve(written, &no_env, None)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("sslrootcert=system needs sslmode=verify-full"),
            "{error}"
        );
        let env = |name: &str| (name == "PGSSLCERT").then(|| "/c.crt".to_string());
        let error = TlsSettings::resolve(TlsParams::default(), &env, None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("no sslkey"), "{error}");
    }
}
