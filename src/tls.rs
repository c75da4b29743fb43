//! TLS shared by every client socialform makes (the PostgreSQL backend, the
//! Vonage and Graph HTTP clients): CA bundles read from PEM files, client
//! certificates, the two weaker verifiers libpq's `sslmode`s call for, and
//! a TLS failure explained in words that name what to change.
//!
//! Invariant: every verifier here still checks the handshake's signatures
//! with the server's key; the weaker ones only skip parts of the
//! certificate check (`require`: all of it, `verify-ca`: the host name).

use anyhow::{Context, bail};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_cert_signed_by_trust_anchor};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A CA bundle an HTTP client trusts instead of the system's roots: the
/// provider block's `ca_file`, or `SSL_CERT_FILE` (which, as for OpenSSL
/// and Go, replaces the default roots rather than adding to them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaFile {
    pub path: PathBuf,
    /// The setting that named it (`ca_file`, `SSL_CERT_FILE`), for messages.
    pub setting: String,
}

impl CaFile {
    /// The `ca_file` of a provider block, else `SSL_CERT_FILE`.
    pub(crate) fn choose(block: Option<&PathBuf>, ssl_cert_file: Option<&str>) -> Option<CaFile> {
        match (block, ssl_cert_file) {
            (Some(path), _) => Some(CaFile {
                path: path.clone(),
                setting: "ca_file".into(),
            }),
            (None, Some(path)) if !path.is_empty() => Some(CaFile {
                path: PathBuf::from(path),
                setting: "SSL_CERT_FILE".into(),
            }),
            _ => None,
        }
    }
}

/// The CAs a client trusts, in words, for a TLS failure's message.
pub(crate) fn trusted(ca: Option<&CaFile>) -> String {
    match ca {
        Some(ca) => format!("the CA in {} ({})", ca.path.display(), ca.setting),
        None => "the system's roots".to_string(),
    }
}

/// The proxy the environment names for `scheme` requests, as reqwest reads
/// it (lower case first, then upper; `ALL_PROXY` last), with any user and
/// password left out: for messages only.
pub(crate) fn proxy_named(scheme: &str) -> Option<String> {
    let names: &[&str] = if scheme == "https" {
        &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    };
    let (name, value) = names
        .iter()
        .find_map(|name| Some((*name, std::env::var(name).ok().filter(|v| !v.is_empty())?)))?;
    let shown = match value.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://(credentials hidden)@{host}"),
            None => value.clone(),
        },
        None => match value.rsplit_once('@') {
            Some((_, host)) => format!("(credentials hidden)@{host}"),
            None => value.clone(),
        },
    };
    Some(format!("{name}={shown}"))
}

/// An HTTP client (reqwest) that trusts `ca` when given, the system's
/// roots otherwise. Proxies come from the environment (`HTTPS_PROXY`,
/// `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, as curl reads them) unless
/// `direct`: the built-in sandbox on loopback is never reached through one.
pub(crate) fn http_client(
    builder: reqwest::ClientBuilder,
    ca: Option<&CaFile>,
    direct: bool,
) -> anyhow::Result<reqwest::Client> {
    let builder = if direct { builder.no_proxy() } else { builder };
    let builder = match ca {
        None => builder,
        Some(ca) => {
            let provider = provider();
            let config = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .context("cannot set up TLS")?
                .with_webpki_verifier(full_verifier(read_roots(&ca.path, &ca.setting)?, provider)?)
                .with_no_client_auth();
            builder.tls_backend_preconfigured(config)
        }
    };
    builder.build().context("cannot build the HTTP client")
}

/// The crypto provider every client here uses (ring, as reqwest is built
/// without one of its own).
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificates of a PEM bundle (a CA, or a provider's bundle of
/// several). `setting` names where the path came from, for the error.
pub(crate) fn read_roots(path: &Path, setting: &str) -> anyhow::Result<RootCertStore> {
    let text = std::fs::read(path).with_context(|| {
        format!(
            "cannot read the CA file {} ({setting}): check the path, or download your \
             provider's CA bundle (PEM) there",
            path.display()
        )
    })?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&text) {
        let cert = cert.map_err(|error| {
            anyhow::anyhow!(
                "the CA file {} ({setting}) is not a PEM certificate bundle: {error}",
                path.display()
            )
        })?;
        roots.add(cert).map_err(|error| {
            anyhow::anyhow!(
                "the CA file {} ({setting}) holds a certificate that cannot be used as a \
                 root: {error}",
                path.display()
            )
        })?;
    }
    if roots.is_empty() {
        bail!(
            "the CA file {} ({setting}) holds no certificate: it should contain \
             -----BEGIN CERTIFICATE----- blocks",
            path.display()
        );
    }
    Ok(roots)
}

/// A client certificate chain and its private key, both PEM files.
pub(crate) fn read_client_identity(
    cert: &Path,
    key: &Path,
) -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|error| {
            anyhow::anyhow!(
                "cannot read the client certificate {} (sslcert): {error}",
                cert.display()
            )
        })?;
    if chain.is_empty() {
        bail!(
            "the client certificate {} (sslcert) holds no certificate",
            cert.display()
        );
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|error| {
        anyhow::anyhow!(
            "cannot read the client key {} (sslkey): {error}; it must be an unencrypted PEM \
             key (openssl pkey -in KEY -out KEY.pem decrypts one)",
            key.display()
        )
    })?;
    Ok((chain, key))
}

/// The weaker checks libpq's `sslmode`s call for. The handshake's
/// signatures are always checked (the server proves it holds the key of the
/// certificate it sent); with `roots`, the certificate must also chain to
/// one of them and be in date, whatever host it names (`verify-ca`);
/// without, any certificate will do (`require`, `prefer`).
#[derive(Debug)]
pub(crate) struct LibpqVerifier {
    roots: Option<Arc<RootCertStore>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl LibpqVerifier {
    /// `sslmode=require` (and `prefer`) without a root certificate.
    pub(crate) fn encrypt_only(provider: &CryptoProvider) -> LibpqVerifier {
        LibpqVerifier {
            roots: None,
            algorithms: provider.signature_verification_algorithms,
        }
    }

    /// `sslmode=verify-ca`: the chain, not the host name.
    pub(crate) fn chain_only(roots: RootCertStore, provider: &CryptoProvider) -> LibpqVerifier {
        LibpqVerifier {
            roots: Some(Arc::new(roots)),
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for LibpqVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let cert = ParsedCertificate::try_from(end_entity)?;
            verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The full check (chain and host name) against `roots` only.
pub(crate) fn full_verifier(
    roots: RootCertStore,
    provider: Arc<CryptoProvider>,
) -> anyhow::Result<Arc<WebPkiServerVerifier>> {
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .context("cannot set up certificate verification")?;
    Ok(verifier)
}

/// Which part of the certificate check a handshake failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TlsFailure {
    /// Not signed by the CA it was checked against.
    UnknownCa,
    /// Signed, but for another host.
    HostMismatch,
    Other,
}

/// A handshake that failed: which part, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Explained {
    pub(crate) failure: TlsFailure,
    pub(crate) text: String,
}

/// What went wrong in a handshake that failed on TLS, in words: `None` when
/// `error` (or what it wraps) is not such a failure. `checked_against`
/// names the CA (a file, or "the system's roots").
pub(crate) fn explain_failure(
    error: &(dyn std::error::Error + 'static),
    host: &str,
    checked_against: &str,
) -> Option<Explained> {
    let rustls_error = find_rustls_error(error)?;
    let rustls::Error::InvalidCertificate(certificate) = rustls_error else {
        return Some(Explained {
            failure: TlsFailure::Other,
            text: format!("the TLS handshake with {host} failed: {rustls_error}"),
        });
    };
    let (failure, text) = match certificate {
        CertificateError::UnknownIssuer | CertificateError::BadSignature => (
            TlsFailure::UnknownCa,
            format!(
                "the server's certificate ({host}) is not signed by {checked_against} \
                 (unknown CA)"
            ),
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => (
            TlsFailure::HostMismatch,
            format!(
                "the server's certificate does not name the host {host:?} (host-name mismatch)"
            ),
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => (
            TlsFailure::Other,
            format!("the server's certificate ({host}) has expired"),
        ),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
            TlsFailure::Other,
            format!("the server's certificate ({host}) is not valid yet (check the clock)"),
        ),
        CertificateError::Revoked => (
            TlsFailure::Other,
            format!("the server's certificate ({host}) is revoked"),
        ),
        other => (
            TlsFailure::Other,
            format!("the server's certificate ({host}) was refused: {other:?}"),
        ),
    };
    Some(Explained { failure, text })
}

/// The rustls error somewhere in `error`'s chain (an `io::Error` from
/// tokio-rustls wraps it; reqwest and tokio-postgres wrap that).
fn find_rustls_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        // io::Error's source() skips the error it wraps: look inside, through
        // every layer (reqwest's connector wraps tokio-rustls's io::Error in
        // another).
        let mut wrapped = error.downcast_ref::<std::io::Error>();
        while let Some(inner) = wrapped.and_then(std::io::Error::get_ref) {
            if let Some(found) = inner.downcast_ref::<rustls::Error>() {
                return Some(found);
            }
            wrapped = inner.downcast_ref::<std::io::Error>();
        }
        current = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_failure_is_found_through_the_io_error_wrapping_it() {
        let inner = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        let explained = explain_failure(&io, "db.example", "the CA in sslrootcert=ca.pem").unwrap();
        assert_eq!(explained.failure, TlsFailure::UnknownCa);
        assert_eq!(
            explained.text,
            "the server's certificate (db.example) is not signed by the CA in \
             sslrootcert=ca.pem (unknown CA)"
        );
        let name = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::NotValidForName),
        );
        let explained = explain_failure(&name, "127.0.0.1", "x").unwrap();
        assert_eq!(explained.failure, TlsFailure::HostMismatch);
        assert!(
            explained
                .text
                .contains("does not name the host \"127.0.0.1\""),
            "{}",
            explained.text
        );
        let plain = std::io::Error::other("connection refused");
        assert_eq!(explain_failure(&plain, "h", "x"), None);
    }

    #[test]
    fn a_proxy_is_named_without_its_credentials() {
        // Only this test sets these variables in the unit-test process.
        unsafe { std::env::set_var("https_proxy", "http://ci:s3cret@proxy.corp:3128") };
        let named = proxy_named("https").unwrap();
        unsafe { std::env::remove_var("https_proxy") };
        assert_eq!(
            named,
            "https_proxy=http://(credentials hidden)@proxy.corp:3128"
        );
    }

    #[test]
    fn a_bundle_without_certificates_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let error = read_roots(&path, "sslrootcert").unwrap_err().to_string();
        assert!(error.contains("holds no certificate"), "{error}");
        assert!(error.contains("empty.pem"), "{error}");
        let missing = read_roots(&dir.path().join("nope.pem"), "ca_file")
            .unwrap_err()
            .to_string();
        assert!(missing.contains("cannot read the CA file"), "{missing}");
        assert!(missing.contains("(ca_file)"), "{missing}");
    }
}
