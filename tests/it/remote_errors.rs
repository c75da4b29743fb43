//! How the client turns every kind of bad answer into a typed error: wrong
//! credentials, non-JSON and truncated bodies, 5xx on reads and writes, and
//! no server at all. A few tiny stand-in servers play the misbehaving API.

use crate::support::*;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;
use socialform::remote::ApiError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `app` on a loopback port for the rest of the test.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn bad_credentials_are_unauthorized_and_never_echoed() {
    let sandbox = sandbox().await;
    let client = client_with(&sandbox.url(), KEY, "wrong-secret-xyz");
    let err = client.list_accounts(None).await.unwrap_err();
    match &err {
        ApiError::Unauthorized { detail } => {
            assert_eq!(
                detail,
                "Request header 'Authorization' missing / Invalid Token"
            );
        }
        other => panic!("expected 401, got {other:?}"),
    }
    let shown = format!("{err} {err:?} {client:?}");
    assert!(!shown.contains("wrong-secret-xyz"), "{shown}");
    assert!(!shown.contains("Basic "), "{shown}");
    // A 401 is not retried.
    assert_eq!(Raw::new(&sandbox).calls().await.len(), 1);
}

#[tokio::test]
async fn client_debug_hides_the_secret() {
    let client = client_with("http://127.0.0.1:9", KEY, SECRET);
    let shown = format!("{client:?}");
    assert!(shown.contains(KEY));
    assert!(!shown.contains(SECRET), "{shown}");
}

#[tokio::test]
async fn html_and_malformed_bodies_are_decode_errors() {
    let app = Router::new()
        .route(
            "/beta/chatapp-accounts/messenger/html",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html><body>Hello</body></html>",
                )
            }),
        )
        .route(
            "/beta/chatapp-accounts/messenger/cut",
            get(|| async { r#"{"external_id":"1","provi"# }),
        )
        .route(
            "/beta/chatapp-accounts/messenger/shape",
            get(|| async { r#"[1,2,3]"# }),
        )
        .route(
            "/beta/chatapp-accounts/messenger/html404",
            get(|| async { (StatusCode::NOT_FOUND, "<html>gone</html>") }),
        )
        .route(
            "/beta/chatapp-accounts",
            get(|| async { r#"{"_embedded": {"not": "an array"}}"# }),
        );
    let url = serve(app).await;
    let client = client_with(&url, KEY, SECRET);
    for id in ["html", "cut", "shape", "html404"] {
        let result = client.get_account("messenger", id).await;
        assert!(
            matches!(result, Err(ApiError::Decode { .. })),
            "{id}: {result:?}"
        );
    }
    let status = client
        .get_account("messenger", "html")
        .await
        .unwrap_err()
        .status();
    assert_eq!(status, Some(200));
    let listed = client.list_accounts(None).await;
    assert!(matches!(listed, Err(ApiError::Decode { .. })), "{listed:?}");
}

/// A server that promises more body than it sends, then hangs up.
#[tokio::test]
async fn a_body_cut_short_by_the_connection_is_a_decode_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"external_id\":",
                )
                .await;
            let _ = socket.shutdown().await;
        }
    });
    let client = client_with(&format!("http://{addr}"), KEY, SECRET);
    let result = client.get_account("messenger", "1").await;
    assert!(
        matches!(result, Err(ApiError::Decode { status: 200, .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn reads_retry_5xx_but_writes_do_not() {
    let hits = Arc::new(AtomicUsize::new(0));
    let posts = Arc::new(AtomicUsize::new(0));
    let (h, p) = (hits.clone(), posts.clone());
    let app = Router::new()
        .route(
            "/beta/chatapp-accounts/messenger/1",
            get(move || {
                let h = h.clone();
                async move {
                    // Two failures, then the real answer.
                    if h.fetch_add(1, Ordering::SeqCst) < 2 {
                        (
                            StatusCode::BAD_GATEWAY,
                            "<html>bad gateway</html>".to_owned(),
                        )
                    } else {
                        (
                            StatusCode::OK,
                            r#"{"external_id":"1","provider":"messenger","api_key":"k"}"#
                                .to_owned(),
                        )
                    }
                }
            }),
        )
        .route(
            "/beta/chatapp-accounts/messenger",
            axum::routing::post(move || {
                let p = p.clone();
                async move {
                    p.fetch_add(1, Ordering::SeqCst);
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        r#"{"title":"Service Unavailable","detail":"try later"}"#,
                    )
                }
            }),
        );
    let url = serve(app).await;
    let client = client_with(&url, KEY, SECRET);

    let account = client.get_account("messenger", "1").await.unwrap();
    assert_eq!(account.external_id, "1");
    assert_eq!(hits.load(Ordering::SeqCst), 3);

    let err = client
        .connect_messenger(&connect_request("1", &[]))
        .await
        .unwrap_err();
    match &err {
        ApiError::Server {
            status: 503,
            detail,
        } => assert_eq!(detail, "try later"),
        other => panic!("expected 503, got {other:?}"),
    }
    assert!(err.outcome_unknown());
    assert_eq!(posts.load(Ordering::SeqCst), 1, "a write is sent once");
}

#[tokio::test]
async fn reads_give_up_after_max_attempts() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().route(
        "/v2/applications/x",
        get(move || {
            let h = h.clone();
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                (StatusCode::INTERNAL_SERVER_ERROR, r#"{"title":"boom"}"#)
            }
        }),
    );
    let url = serve(app).await;
    let err = client_with(&url, KEY, SECRET)
        .get_application("x")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Server { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        fast_retry().max_attempts as usize
    );
}

#[tokio::test]
async fn unexpected_statuses_are_reported_as_such() {
    let app = Router::new().route(
        "/v2/applications/x",
        get(|| async {
            (
                StatusCode::IM_A_TEAPOT,
                r#"{"type":"t","title":"Teapot","detail":"short and stout","instance":"i"}"#,
            )
        }),
    );
    let url = serve(app).await;
    let err = client_with(&url, KEY, SECRET)
        .get_application("x")
        .await
        .unwrap_err();
    match err {
        ApiError::UnexpectedStatus { status, detail } => {
            assert_eq!(status, 418);
            assert_eq!(detail, "short and stout");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn no_server_is_a_transport_error() {
    // Bind then drop to get a port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = client_with(&format!("http://127.0.0.1:{port}"), KEY, SECRET)
        .get_account("messenger", "1")
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Transport(_)), "{err:?}");
    assert!(err.outcome_unknown());
    assert!(!format!("{err}").contains(SECRET));
}

#[tokio::test]
async fn an_endpoint_that_is_not_a_url_is_refused() {
    let result = socialform::remote::Client::new(socialform::remote::ClientConfig {
        endpoint: "api.nexmo.com".into(),
        api_key: KEY.into(),
        api_secret: SECRET.into(),
        timeout: std::time::Duration::from_secs(1),
        retry: fast_retry(),
        requests_per_second: 0.0,
        ca_file: None,
        direct: false,
    });
    assert!(result.is_err());
}

#[tokio::test]
async fn without_a_last_link_the_client_walks_next_and_identifies_itself() {
    let agents = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = agents.clone();
    let app = Router::new().route(
        "/beta/chatapp-accounts",
        get(
            move |headers: axum::http::HeaderMap,
                  query: axum::extract::Query<std::collections::HashMap<String, String>>| {
                let seen = seen.clone();
                async move {
                    let agent = headers
                        .get(header::USER_AGENT)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    seen.lock().unwrap().push(agent);
                    let n: u32 = query.get("page_number").and_then(|v| v.parse().ok()).unwrap_or(1);
                    // Three pages of one account each; only `next` links, no `last`.
                    let next = if n < 3 {
                        format!(r#","next":{{"href":"/beta/chatapp-accounts?page_number={}"}}"#, n + 1)
                    } else {
                        String::new()
                    };
                    format!(
                        r#"{{"_embedded":[{{"external_id":"p{n}","provider":"messenger","api_key":"k"}}],"_links":{{"self":{{"href":"x"}}{next}}},"page_number":{n},"page_size":100}}"#
                    )
                }
            },
        ),
    );
    let url = serve(app).await;
    let accounts = client_with(&url, KEY, SECRET)
        .list_accounts(None)
        .await
        .unwrap();
    let ids: Vec<_> = accounts.iter().map(|a| a.external_id.as_str()).collect();
    assert_eq!(ids, ["p1", "p2", "p3"]);
    let agents = agents.lock().unwrap().clone();
    assert_eq!(agents.len(), 3);
    assert!(
        agents
            .iter()
            .all(|a| a == &format!("socialform/{}", env!("CARGO_PKG_VERSION"))),
        "{agents:?}"
    );
}
