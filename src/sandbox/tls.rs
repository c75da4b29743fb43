//! The sandbox over HTTPS (`sandbox serve --tls-cert --tls-key`): what the
//! real APIs are, so that a client's CA settings, proxies (which then see a
//! `CONNECT`) and TLS failures can be tested against it.
//!
//! Handshakes run in tasks of their own, off the accept loop: a client
//! that connects and never speaks TLS (or refuses the certificate) holds up
//! no one else. The loop ends when the server stops listening.

use anyhow::{Context, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a client has to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The server's certificate chain and key, PEM files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxTls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl SandboxTls {
    fn acceptor(&self) -> anyhow::Result<TlsAcceptor> {
        let chain = CertificateDer::pem_file_iter(&self.cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| {
                anyhow::anyhow!("cannot read the certificate {}: {e}", self.cert.display())
            })?;
        if chain.is_empty() {
            bail!("{} holds no certificate (--tls-cert)", self.cert.display());
        }
        let key = PrivateKeyDer::from_pem_file(&self.key)
            .map_err(|e| anyhow::anyhow!("cannot read the key {}: {e}", self.key.display()))?;
        let config = rustls::ServerConfig::builder_with_provider(crate::tls::provider())
            .with_safe_default_protocol_versions()
            .context("cannot set up TLS for the sandbox")?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .with_context(|| {
                format!(
                    "the key {} is not the certificate {}'s",
                    self.key.display(),
                    self.cert.display()
                )
            })?;
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// Connections that finished their handshake, for `axum::serve`.
pub(crate) struct TlsListener {
    addr: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    pub(crate) fn new(listener: TcpListener, tls: &SandboxTls) -> anyhow::Result<TlsListener> {
        let acceptor = tls.acceptor()?;
        let addr = listener.local_addr()?;
        let (sender, ready) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = tokio::select! {
                    _ = sender.closed() => return,
                    accepted = listener.accept() => match accepted {
                        Ok(pair) => pair,
                        Err(error) => {
                            tracing::debug!("sandbox accept failed: {error}");
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    },
                };
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            let _ = sender.send((stream, peer)).await;
                        }
                        Ok(Err(error)) => tracing::debug!("TLS handshake from {peer}: {error}"),
                        Err(_) => tracing::debug!("TLS handshake from {peer} timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { addr, ready })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(pair) => pair,
            // The accept loop only ends once this listener is gone.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}
