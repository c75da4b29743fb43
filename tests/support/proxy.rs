//! A real HTTP proxy for the tests: Debian's tinyproxy, started per test on
//! a free loopback port (`scripts/test.sh` installs it), unprivileged
//! (as `nobody` when the tests run as root), its log kept for the test to
//! read. Killed when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Proxy {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Proxy {
    /// `basic_auth`: the user and password it asks for, if any.
    pub fn start(basic_auth: Option<(&str, &str)>) -> Proxy {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 60\nLogLevel Connect\nMaxClients 100\n"
        );
        // SAFETY: getuid has no preconditions.
        if unsafe { libc::getuid() } == 0 {
            conf.push_str("User nobody\nGroup nogroup\n");
        }
        if let Some((user, password)) = basic_auth {
            conf.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let conf_path = dir.path().join("tinyproxy.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let log = dir.path().join("tinyproxy.log");
        let child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("tinyproxy does not start ({e}): run the suite with scripts/test.sh, which installs it")
            });
        let proxy = Proxy {
            child,
            port,
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tinyproxy never listened on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What it logged (tinyproxy logs each request line it relays).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The `CONNECT host:port` requests it has seen.
    pub fn connects(&self) -> Vec<String> {
        self.log()
            .lines()
            // "CONNECT   Dec 07 …: Request (file descriptor 7): CONNECT host:port HTTP/1.1"
            .filter_map(|line| line.split_once("): CONNECT ").map(|(_, rest)| rest))
            .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
