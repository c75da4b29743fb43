//! PostgreSQL over TLS as libpq means it, against a real server with
//! `ssl = on` and a CA made for this run (`scripts/pg-cluster.sh --tls`),
//! with `psql` run beside socialform on the same connection strings.

use crate::support::*;
use std::path::Path;
use std::process::Command;

/// `postgres://user[:pw]@HOST:PORT/postgres?QUERY` on the TLS cluster.
fn tls_url(user_and_password: &str, host: &str, query: &str) -> String {
    let (url, _) = pg_tls();
    let port = url.rsplit_once(':').unwrap().1.split('/').next().unwrap();
    format!("postgres://{user_and_password}@{host}:{port}/postgres?{query}")
}

fn password() -> String {
    pg_password(&pg_tls().0)
}

/// A project whose state is in `schema` on the TLS cluster; HOME is a
/// directory of its own, so no `~/.postgresql/` file of the machine's
/// changes what libpq (or socialform) does.
fn project(schema: &str) -> (Project, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let mut project = Project::new();
    project.env("HOME", home.path().to_str().unwrap());
    project.write(
        "main.hcl",
        &format!("backend \"postgres\" {{\n  schema_name = \"{schema}\"\n}}\n"),
    );
    (project, home)
}

/// Whether `psql` connects with `conn_str`, and what it says when not.
fn psql(conn_str: &str, home: &Path) -> (bool, String) {
    let output = Command::new(pg_bin("psql"))
        .arg(conn_str)
        .args([
            "-Atc",
            "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
        ])
        .env("HOME", home)
        .env_remove("PGSSLMODE")
        .env_remove("PGSSLROOTCERT")
        .output()
        .expect("psql runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

struct Case {
    what: &'static str,
    conn_str: String,
    connects: bool,
    /// What socialform's error must say (when it does not connect).
    says: &'static [&'static str],
}

#[test]
fn socialform_connects_and_refuses_where_psql_does() {
    let (_, dir) = pg_tls();
    let ca = dir.join("ca.pem");
    let other = dir.join("other-ca.pem");
    let pw = password();
    let owner = format!("socialform:{pw}");
    let client = format!(
        "sslcert={}&sslkey={}",
        dir.join("client.crt").display(),
        dir.join("client.key").display()
    );
    let cases = [
        Case {
            what: "verify-full with the CA, host localhost",
            conn_str: tls_url(
                &owner,
                "localhost",
                &format!("sslmode=verify-full&sslrootcert={}", ca.display()),
            ),
            connects: true,
            says: &[],
        },
        Case {
            what: "verify-full with another CA",
            conn_str: tls_url(
                &owner,
                "localhost",
                &format!("sslmode=verify-full&sslrootcert={}", other.display()),
            ),
            connects: false,
            says: &[
                "the server's certificate (localhost) is not signed by the CA in",
                "other-ca.pem (sslrootcert) (unknown CA)",
                "set sslrootcert (or PGSSLROOTCERT)",
            ],
        },
        Case {
            what: "verify-full, host 127.0.0.1 (the certificate names localhost)",
            conn_str: tls_url(
                &owner,
                "127.0.0.1",
                &format!("sslmode=verify-full&sslrootcert={}", ca.display()),
            ),
            connects: false,
            says: &[
                "does not name the host \"127.0.0.1\" (host-name mismatch)",
                "sslmode=verify-ca",
            ],
        },
        Case {
            what: "verify-ca with the CA, host 127.0.0.1",
            conn_str: tls_url(
                &owner,
                "127.0.0.1",
                &format!("sslmode=verify-ca&sslrootcert={}", ca.display()),
            ),
            connects: true,
            says: &[],
        },
        Case {
            what: "require, no CA",
            conn_str: tls_url(&owner, "127.0.0.1", "sslmode=require"),
            connects: true,
            says: &[],
        },
        Case {
            what: "a role that logs in by certificate, with it",
            conn_str: tls_url(
                "certuser",
                "localhost",
                &format!("sslmode=verify-full&sslrootcert={}&{client}", ca.display()),
            ),
            connects: true,
            says: &[],
        },
        Case {
            what: "a role that logs in by certificate, without it",
            conn_str: tls_url(
                "certuser",
                "localhost",
                &format!("sslmode=verify-full&sslrootcert={}", ca.display()),
            ),
            connects: false,
            says: &["set sslcert and sslkey (or PGSSLCERT and PGSSLKEY)"],
        },
    ];
    for (i, case) in cases.iter().enumerate() {
        let (project, home) = project(&format!("tls_case_{i}"));
        let (psql_connects, psql_said) = psql(&case.conn_str, home.path());
        assert_eq!(
            psql_connects,
            case.connects,
            "{}: psql {}connected: {psql_said}",
            case.what,
            if psql_connects { "" } else { "never " }
        );
        if psql_connects {
            assert_eq!(
                psql_said.trim(),
                "t",
                "{}: psql's connection is encrypted",
                case.what
            );
        }
        let mut project = project;
        project.env("SOCIALFORM_PG_CONN_STR", &case.conn_str);
        let run = project.run(&["state", "list"]);
        if case.connects {
            run.assert_code(0);
        } else {
            run.assert_code(1);
            for needle in case.says {
                assert!(
                    run.stderr.contains(needle),
                    "{}: expected {needle:?} in: {}",
                    case.what,
                    run.stderr
                );
            }
            assert!(
                !run.stderr.contains(&pw),
                "{}: the password shows",
                case.what
            );
        }
    }
}

#[test]
fn require_refuses_a_server_without_tls_as_psql_does() {
    // The suite's other cluster runs without TLS.
    let plain = pg_url();
    let conn_str = format!("{plain}?sslmode=require");
    let home = tempfile::tempdir().unwrap();
    let (connects, said) = psql(&conn_str, home.path());
    assert!(!connects, "psql connected: {said}");
    assert!(said.contains("server does not support SSL"), "{said}");

    let (mut project, _home) = project("tls_plain");
    project.env("SOCIALFORM_PG_CONN_STR", &conn_str);
    let run = project.run(&["state", "list"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("the server does not accept TLS, and sslmode is \"require\""),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&pg_password(&plain)));
}

#[test]
fn the_pg_variables_fill_in_the_tls_settings_the_string_leaves_out() {
    let (_, dir) = pg_tls();
    let conn_str = tls_url(&format!("socialform:{}", password()), "localhost", "");
    let (mut project, _home) = project("tls_env");
    project.env("SOCIALFORM_PG_CONN_STR", conn_str.trim_end_matches('?'));
    project.env("PGSSLMODE", "verify-full");
    project.env("PGSSLROOTCERT", dir.join("ca.pem").to_str().unwrap());
    project.run(&["state", "list"]).assert_code(0);

    project.env("PGSSLROOTCERT", dir.join("other-ca.pem").to_str().unwrap());
    let run = project.run(&["state", "list"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("other-ca.pem (PGSSLROOTCERT) (unknown CA)"),
        "{}",
        run.stderr
    );

    // The system's roots do not know this run's CA.
    project.env("PGSSLROOTCERT", "system");
    let run = project.run(&["state", "list"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("is not signed by the system's roots (sslrootcert=system) (unknown CA)"),
        "{}",
        run.stderr
    );
    project.env("PGSSLMODE", "verify-ca");
    let run = project.run(&["state", "list"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("sslrootcert=system needs sslmode=verify-full"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_verify_mode_with_no_root_certificate_says_where_libpq_looked() {
    let conn_str = tls_url(
        &format!("socialform:{}", password()),
        "localhost",
        "sslmode=verify-full",
    );
    let (mut project, home) = project("tls_noroot");
    project.env("SOCIALFORM_PG_CONN_STR", &conn_str);
    let (connects, said) = psql(&conn_str, home.path());
    assert!(!connects);
    assert!(said.contains("root certificate file"), "{said}");
    let run = project.run(&["state", "list"]);
    run.assert_code(1);
    let expected = format!(
        "the root certificate file {}/.postgresql/root.crt (sslrootcert (default)) does not exist",
        home.path().display()
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
}

#[test]
fn a_client_key_others_can_read_is_refused_as_libpq_refuses_it() {
    use std::os::unix::fs::PermissionsExt;
    let (_, dir) = pg_tls();
    let (mut project, _home) = project("tls_keyperm");
    let key = project.path().join("client.key");
    std::fs::copy(dir.join("client.key"), &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let conn_str = tls_url(
        "certuser",
        "localhost",
        &format!(
            "sslmode=verify-full&sslrootcert={}&sslcert={}&sslkey={}",
            dir.join("ca.pem").display(),
            dir.join("client.crt").display(),
            key.display()
        ),
    );
    project.env("SOCIALFORM_PG_CONN_STR", &conn_str);
    let run = project.run(&["state", "list"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("can be read by others: make it private with chmod 600"),
        "{}",
        run.stderr
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    project.run(&["state", "list"]).assert_code(0);
}

/// The backend block's own TLS attributes, with files found in the
/// configuration directory as `file()` finds them; a whole apply and a
/// no-op plan go through the verified connection.
#[test]
fn an_apply_keeps_its_state_over_verify_full_set_in_the_backend_block() {
    let sandbox = Sandbox::start();
    let (_, dir) = pg_tls();
    let home = tempfile::tempdir().unwrap();
    let mut project = Project::against(&sandbox);
    project.env("HOME", home.path().to_str().unwrap());
    std::fs::create_dir(project.path().join("certs")).unwrap();
    std::fs::copy(dir.join("ca.pem"), project.path().join("certs/rds-ca.pem")).unwrap();
    project.env(
        "SOCIALFORM_PG_CONN_STR",
        &tls_url(
            &format!("socialform:{}", password()),
            "localhost",
            "connect_timeout=10",
        ),
    );
    project.write(
        "main.hcl",
        &format!(
            "backend \"postgres\" {{\n  schema_name = \"tls_apply\"\n  sslmode     = \"verify-full\"\n  \
             sslrootcert = \"certs/rds-ca.pem\"\n}}\n\n\
             page \"support\" {{\n  page_id      = \"107300000000001\"\n  name         = \"Support\"\n  \
             access_token = \"EAAtls0123456789\"\n}}\n\n\
             link \"support\" {{\n  page        = page.support.page_id\n  application = \"{APP1}\"\n}}\n"
        ),
    );
    project.run(&["apply", "-auto-approve"]).assert_code(0);
    project.run(&["plan", "-detailed-exitcode"]).assert_code(0);
    let list = project.run(&["state", "list"]);
    list.assert_code(0);
    assert!(list.stdout.contains("page.support"), "{}", list.stdout);

    // The same block with another CA refuses before any call.
    std::fs::copy(
        dir.join("other-ca.pem"),
        project.path().join("certs/rds-ca.pem"),
    )
    .unwrap();
    let before = sandbox.requests().len();
    let run = project.run(&["plan"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("certs/rds-ca.pem (sslrootcert) (unknown CA)"),
        "{}",
        run.stderr
    );
    assert_eq!(sandbox.requests().len(), before, "no call was made");
}
