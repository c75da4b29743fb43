//! The CLI against APIs that misbehave: nothing listening, too slow, HTML
//! instead of JSON, the wrong JSON, bodies cut short, statuses nobody
//! documented. Every case: exit 1, a clear message, no panic, no secret.
//! Also: what -v/-vv/-vvv and RUST_LOG show, and who may read state files.

use crate::support::*;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::any;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "EAAmisbehave0123456789";
const SECRET: &str = "s3cr3t-api-secret";

const CONFIG: &str = r#"
variable "token" {
  sensitive = true
}
page "support" {
  page_id      = "107100000000001"
  access_token = var.token
}
"#;

fn project(endpoint: &str) -> Project {
    let mut project = Project::new();
    project
        .env("VONAGE_ENDPOINT", endpoint)
        .env("VONAGE_API_KEY", "key")
        .env("VONAGE_API_SECRET", SECRET)
        .env("SF_VAR_token", TOKEN);
    project.write("main.hcl", CONFIG);
    project
}

/// Runs the CLI off the async runtime that serves the stand-in API.
async fn cli(project: Project, args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        project.run(&args)
    })
    .await
    .unwrap()
}

fn assert_clean_failure(run: &Run, message: &str) {
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains(message),
        "expected {message:?} in stderr:\n{}",
        run.stderr
    );
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains("panicked"), "{text}");
        assert!(!text.contains(TOKEN) && !text.contains(SECRET), "{text}");
        assert!(!text.contains("Basic "), "{text}");
    }
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_port_is_a_clear_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let run = cli(
        project(&format!("http://127.0.0.1:{port}")),
        &["plan", "--max-retries", "1"],
    )
    .await;
    assert_clean_failure(&run, "could not reach the API");
    assert_clean_failure(&run, "refused");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_server_times_out() {
    let url = serve(Router::new().fallback(any(|| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        "{}"
    })))
    .await;
    let run = cli(
        project(&url),
        &["plan", "--timeout", "300ms", "--max-retries", "1"],
    )
    .await;
    assert_clean_failure(&run, "timed out");

    // The same through the environment.
    let mut slow = project(&url);
    slow.env("SOCIALFORM_TIMEOUT", "200ms")
        .env("SOCIALFORM_MAX_RETRIES", "0");
    let run = cli(slow, &["plan"]).await;
    assert_clean_failure(&run, "timed out");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_settings_are_refused() {
    let mut bad = project("http://127.0.0.1:9");
    bad.env("SOCIALFORM_MAX_RETRIES", "lots");
    let run = cli(bad, &["plan"]).await;
    assert_clean_failure(&run, "SOCIALFORM_MAX_RETRIES");
    let run = cli(
        project("http://127.0.0.1:9"),
        &["plan", "--timeout", "soon"],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn html_wrong_shapes_and_odd_statuses_fail_cleanly() {
    let html = serve(Router::new().fallback(any(|| async {
        (
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>Gateway says hello</body></html>",
        )
    })))
    .await;
    let run = cli(project(&html), &["plan"]).await;
    assert_clean_failure(&run, "unexpected response body");

    let shape =
        serve(Router::new().fallback(any(|| async { r#"{"_embedded": 5, "page_size": "many"}"# })))
            .await;
    let run = cli(project(&shape), &["plan"]).await;
    assert_clean_failure(&run, "unexpected response body");

    let teapot = serve(Router::new().fallback(any(|| async {
        (StatusCode::IM_A_TEAPOT, r#"{"title":"short and stout"}"#)
    })))
    .await;
    let run = cli(project(&teapot), &["plan"]).await;
    assert_clean_failure(&run, "unexpected status 418");

    let down = serve(Router::new().fallback(any(|| async {
        (StatusCode::BAD_GATEWAY, "<html>upstream down</html>")
    })))
    .await;
    let run = cli(project(&down), &["plan", "--max-retries", "1"]).await;
    assert_clean_failure(&run, "server error 502");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_cut_short_fails_cleanly() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"_embedded\":[",
                    )
                    .await;
                // Close with 486 bytes still owed.
            });
        }
    });
    let run = cli(project(&url), &["plan", "--max-retries", "1"]).await;
    assert_clean_failure(&run, "could not read the remote side");
}

/// -v, -vv, -vvv and RUST_LOG=trace: requests are logged at debug, and no
/// level shows a token, the API secret or the Authorization header. Also:
/// everything under state/ (the embedded sandbox's data included) is for
/// the owner only.
#[test]
fn logs_never_carry_secrets_and_state_is_private() {
    let mut project = Project::new();
    project.env("SF_VAR_token", TOKEN);
    project.write(
        "main.hcl",
        &format!(
            "provider \"vonage\" {{\n  endpoint = \"sandbox\"\n}}\n{CONFIG}\nlink \"bot\" {{\n  page        = page.support.page_id\n  application = \"{APP1}\"\n}}\n"
        ),
    );
    let applied = project.run(&["apply", "--auto-approve", "-vv"]);
    applied.assert_code(0);
    assert!(
        applied.stderr.contains("method=POST") && applied.stderr.contains("status=201"),
        "-vv logs requests:\n{}",
        applied.stderr
    );
    let quiet = project.run(&["plan"]);
    assert!(!quiet.stderr.contains("method="), "{}", quiet.stderr);

    let mut runs = vec![applied];
    runs.push(project.run(&["plan", "-vvv"]));
    runs.push(project.run(&["plan", "-v", "--json"]));
    let mut traced = Project::new();
    traced.env("SF_VAR_token", TOKEN).env("RUST_LOG", "trace");
    traced.write(
        "main.hcl",
        &std::fs::read_to_string(project.path().join("main.hcl")).unwrap(),
    );
    runs.push(traced.run(&["apply", "--auto-approve"]));
    runs.push(project.run(&["destroy", "--auto-approve", "-vvv"]));
    for run in &runs {
        for text in [&run.stdout, &run.stderr] {
            assert!(!text.contains(TOKEN), "token in output:\n{text}");
            assert!(!text.to_lowercase().contains("authorization: "), "{text}");
            assert!(!text.contains("Basic "), "{text}");
            assert!(!text.contains("panicked"), "{text}");
        }
    }

    for dir in [project.path(), traced.path()] {
        let state = dir.join("state");
        let mut stack = vec![state.clone()];
        let mut files = 0;
        while let Some(path) = stack.pop() {
            let mode = std::fs::symlink_metadata(&path)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{} is {:o}", path.display(), mode & 0o777);
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            } else {
                files += 1;
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !contains_bytes(&bytes, TOKEN),
                    "token in {}",
                    path.display()
                );
            }
        }
        assert!(files > 0);
        assert!(state.join("sandbox").is_dir());
    }
}

/// An Application API with no applications, for servers that misbehave on
/// the account list.
fn no_applications() -> Router {
    Router::new().route(
        "/v2/applications",
        any(|| async {
            r#"{"page":1,"page_size":100,"total_items":0,"total_pages":1,"_embedded":{"applications":[]}}"#
        }),
    )
}

/// A list that never ends (always a `next`), one that claims a billion
/// pages, and a body of 20 MiB: each is refused, none is followed forever
/// or held in memory.
#[tokio::test(flavor = "multi_thread")]
async fn endless_lists_and_huge_bodies_are_refused() {
    let endless = serve(no_applications().fallback(any(|| async {
        r#"{"_embedded":[{"external_id":"1","provider":"messenger"}],
            "_links":{"next":{"href":"/beta/chatapp-accounts?page_number=999"}},
            "page_size":100}"#
    })))
    .await;
    let run = cli(project(&endless), &["plan"]).await;
    assert_clean_failure(&run, "refusing to read more than 2000");

    let billion = serve(no_applications().fallback(any(|| async {
        r#"{"_embedded":[],
            "_links":{"last":{"href":"/beta/chatapp-accounts?page_number=1000000000"}},
            "page_size":100}"#
    })))
    .await;
    let run = cli(project(&billion), &["plan"]).await;
    assert_clean_failure(&run, "refusing to read more than 2000");

    let huge = serve(Router::new().fallback(any(|| async {
        format!("[{}]", "1,".repeat(10 * 1024 * 1024))
    })))
    .await;
    let run = cli(project(&huge), &["plan", "--max-retries", "0"]).await;
    assert_clean_failure(&run, "larger than 16 MiB");
}
