//! PostgreSQL for the tests and benches: the throwaway cluster that
//! `scripts/test.sh` starts (its URL in `SOCIALFORM_TEST_PG`), or one of a
//! test's own from `scripts/pg-cluster.sh`, for tests that stop the server.
//!
//! Without `SOCIALFORM_TEST_PG` a PostgreSQL test fails, saying how to run
//! it: none is skipped for lack of a server.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared cluster's URL (with its password).
pub fn pg_url() -> String {
    std::env::var("SOCIALFORM_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "this test needs PostgreSQL: run the suite with scripts/test.sh, which starts a \
             throwaway cluster and sets SOCIALFORM_TEST_PG"
        )
    })
}

/// The TLS cluster `scripts/test.sh` starts beside the plain one (`ssl =
/// on`, a CA of its own): its URL (host 127.0.0.1, no TLS settings) and the
/// directory with `ca.pem`, `other-ca.pem`, `client.crt`, `client.key`
/// (see `make_tls` in `scripts/pg-cluster.sh`).
pub fn pg_tls() -> (String, PathBuf) {
    let need = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "this test needs the TLS PostgreSQL: run the suite with scripts/test.sh, which \
                 starts it and sets {name}"
            )
        })
    };
    (
        need("SOCIALFORM_TEST_PG_TLS"),
        PathBuf::from(need("SOCIALFORM_TEST_PG_TLS_DIR")),
    )
}

/// The run's test CA (`ca.pem`), a server certificate it signed for
/// `localhost` (`server.crt`, `server.key`), a client certificate, and a
/// CA that signed nothing here (`other-ca.pem`): the TLS cluster's, which
/// the HTTPS sandbox uses too.
pub fn test_ca() -> PathBuf {
    pg_tls().1
}

/// The password in a `postgres://user:password@host` URL.
pub fn pg_password(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let userinfo = rest.split_once('@').unwrap().0;
    userinfo.split_once(':').unwrap().1.to_string()
}

/// The server's binaries (pg_dump, ...), as `scripts/test.sh` found them.
pub fn pg_bin(program: &str) -> PathBuf {
    let dir = std::env::var("SOCIALFORM_TEST_PG_BIN")
        .unwrap_or_else(|_| panic!("SOCIALFORM_TEST_PG_BIN is not set: run scripts/test.sh"));
    Path::new(&dir).join(program)
}

fn cluster_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-cluster.sh")
}

/// A cluster of the test's own, removed when dropped.
pub struct OwnCluster {
    dir: PathBuf,
    pub url: String,
}

impl OwnCluster {
    pub fn start() -> OwnCluster {
        let parent = tempfile::Builder::new()
            .prefix("socialform-pg-own")
            .tempdir()
            .unwrap()
            .keep();
        // The server runs as another user when the tests run as root: it
        // must be able to reach the cluster directory inside.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = parent.join("cluster");
        let output = Command::new("bash")
            .arg(cluster_script())
            .arg("start")
            .arg(&dir)
            .output()
            .expect("scripts/pg-cluster.sh runs");
        assert!(
            output.status.success(),
            "could not start a cluster: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let url = String::from_utf8(output.stdout).unwrap().trim().to_string();
        OwnCluster { dir, url }
    }

    fn script(&self, verb: &str) {
        let status = Command::new("bash")
            .arg(cluster_script())
            .arg(verb)
            .arg(&self.dir)
            .status()
            .expect("scripts/pg-cluster.sh runs");
        assert!(status.success(), "pg-cluster.sh {verb} failed");
    }

    /// `pg_ctl stop -m immediate`: the server goes away at once.
    pub fn halt(&self) {
        self.script("halt");
    }

    pub fn resume(&self) {
        self.script("resume");
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(cluster_script())
            .arg("stop")
            .arg(&self.dir)
            .status();
        if let Some(parent) = self.dir.parent() {
            let _ = std::fs::remove_dir_all(parent);
        }
    }
}
