//! The Graph API subset the sandbox serves beside the Vonage APIs, pinned
//! over real HTTP: paths with and without a version, tokens in the query or
//! a bearer header, paging, `debug_token`, batches, the control endpoints,
//! the Graph-only faults, the request log's redaction, restarts and reset.

use crate::support::*;
use serde_json::{Value, json};
use socialform::sandbox::{DEMO_FACEBOOK_PAGES, DEMO_FACEBOOK_USER_TOKEN, SandboxHandle, start};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const USER: &str = "graph-test-user";
const APP_TOKEN: &str = "1234567890|app-secret";

/// An answer read as text, and as JSON when it is JSON.
struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    content_type: String,
    text: String,
    json: Value,
}

impl Reply {
    fn error_code(&self) -> Option<u64> {
        self.json["error"]["code"].as_u64()
    }

    /// A usage header, parsed; `Null` when absent.
    fn usage(&self, name: &str) -> Value {
        self.headers
            .get(name)
            .map(|v| serde_json::from_str(v.to_str().unwrap()).unwrap())
            .unwrap_or(Value::Null)
    }
}

/// Plain HTTP to the sandbox, with no Vonage credentials: Graph needs none.
struct Graph {
    http: reqwest::Client,
    base: String,
}

impl Graph {
    fn new(sandbox: &SandboxHandle) -> Self {
        // Building a socialform client installs the crypto provider reqwest needs.
        let _ = client(sandbox);
        Graph {
            http: reqwest::Client::new(),
            base: sandbox.url(),
        }
    }

    async fn read(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = response.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            content_type,
            text,
            json,
        }
    }

    /// `path` may be a full URL (as `paging.next` is).
    async fn get(&self, path: &str) -> Reply {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        Self::read(self.http.get(url).send().await.expect("sandbox answers")).await
    }

    async fn get_bearer(&self, path: &str, token: &str) -> Reply {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        Self::read(request.send().await.expect("sandbox answers")).await
    }

    async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        Self::read(request.send().await.expect("sandbox answers")).await
    }

    async fn control(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::read(request.send().await.expect("sandbox answers")).await
    }

    /// A user managing `pages`; answers (page id, token) in order.
    async fn user(&self, user_token: &str, pages: &[(&str, &str)]) -> Vec<(String, String)> {
        let pages: Vec<Value> = pages
            .iter()
            .map(|(id, name)| json!({ "id": id, "name": name }))
            .collect();
        let reply = self
            .control(
                "POST",
                "/_sandbox/facebook/users",
                Some(json!({ "user_token": user_token, "pages": pages })),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.json["pages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap().to_owned(),
                    p["access_token"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    async fn mint(&self, page_id: &str, expires_at: u64) -> String {
        let reply = self
            .control(
                "POST",
                "/_sandbox/facebook/tokens",
                Some(json!({ "page_id": page_id, "expires_at": expires_at })),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.json["access_token"].as_str().unwrap().to_owned()
    }

    async fn change_token(&self, body: Value) {
        let reply = self
            .control("PUT", "/_sandbox/facebook/tokens", Some(body))
            .await;
        assert_eq!(reply.status, 204, "{}", reply.text);
    }

    async fn fault(&self, kind: &str, times: u64) {
        let reply = self
            .control(
                "POST",
                "/_sandbox/facebook/faults",
                Some(json!({ "kind": kind, "times": times })),
            )
            .await;
        assert_eq!(reply.status, 204, "{}", reply.text);
    }

    async fn debug(&self, token: &str) -> Value {
        let reply = self
            .get(&format!(
                "/v23.0/debug_token?{}",
                serde_urlencoded::to_string([("input_token", token), ("access_token", APP_TOKEN)])
                    .unwrap()
            ))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json["data"].clone()
    }

    async fn log_text(&self) -> String {
        self.control("GET", "/_sandbox/requests", None).await.text
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn me_accounts(token: &str, extra: &str) -> String {
    format!("/v23.0/me/accounts?access_token={token}{extra}")
}

#[tokio::test]
async fn me_accounts_pages_120_pages_in_two_requests_of_at_most_100() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let ids: Vec<String> = (0..120).map(|i| format!("200000000000{i:03}")).collect();
    let names: Vec<String> = (0..120).map(|i| format!("Page {i}")).collect();
    let pages: Vec<(&str, &str)> = ids
        .iter()
        .zip(&names)
        .map(|(i, n)| (i.as_str(), n.as_str()))
        .collect();
    let tokens = graph.user(USER, &pages).await;
    assert_eq!(tokens.len(), 120);
    let raw = Raw::new(&sandbox);
    raw.clear_requests().await;

    let first = graph
        .get(&me_accounts(
            USER,
            "&fields=id,name,access_token,tasks&limit=100",
        ))
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let data = first.json["data"].as_array().unwrap();
    assert_eq!(data.len(), 100);
    let item = &data[0];
    assert_eq!(item["id"], ids[0].as_str());
    assert_eq!(item["name"], "Page 0");
    assert_eq!(item["access_token"], tokens[0].1.as_str());
    assert_eq!(
        item["tasks"],
        json!([
            "ADVERTISE",
            "ANALYZE",
            "CREATE_CONTENT",
            "MESSAGING",
            "MODERATE",
            "MANAGE"
        ])
    );
    assert!(item.get("category").is_none(), "only the fields asked for");
    let next = first.json["paging"]["next"].as_str().expect("a next page");
    assert!(
        next.starts_with(&format!("{}/v23.0/me/accounts?", sandbox.url())),
        "{next}"
    );
    assert!(first.json["paging"]["cursors"]["before"].is_string());
    assert!(first.json["paging"].get("previous").is_none());

    let second = graph.get(next).await;
    assert_eq!(second.status, 200, "{}", second.text);
    let rest = second.json["data"].as_array().unwrap();
    assert_eq!(rest.len(), 20);
    assert!(second.json["paging"].get("next").is_none(), "the last page");
    assert!(second.json["paging"]["previous"].is_string());

    let listed: Vec<&str> = data
        .iter()
        .chain(rest)
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        raw.calls().await,
        [
            "GET /v23.0/me/accounts -> 200",
            "GET /v23.0/me/accounts -> 200"
        ]
    );

    // The default page is 25; a larger limit than 100 is capped.
    let default = graph.get(&me_accounts(USER, "")).await;
    assert_eq!(default.json["data"].as_array().unwrap().len(), 25);
    assert!(
        default.json["data"][0]["category"].is_string(),
        "default fields"
    );
    let capped = graph.get(&me_accounts(USER, "&limit=500")).await;
    assert_eq!(capped.json["data"].as_array().unwrap().len(), 100);
    let bad = graph.get(&me_accounts(USER, "&limit=zero")).await;
    assert_eq!((bad.status, bad.error_code()), (400, Some(100)));
}

#[tokio::test]
async fn paths_answer_with_or_without_a_version_and_take_the_token_either_way() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let tokens = graph.user(USER, &[("300000000000001", "Solo")]).await;
    let page_token = &tokens[0].1;
    let user_id = graph.get(&format!("/me?access_token={USER}")).await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(user_id.bytes().all(|b| b.is_ascii_digit()));

    for prefix in ["", "/v23.0", "/v19.0"] {
        let by_query = graph
            .get(&format!("{prefix}/me?fields=id,name&access_token={USER}"))
            .await;
        assert_eq!(by_query.status, 200, "{prefix}: {}", by_query.text);
        assert_eq!(by_query.json["id"], user_id.as_str());
        let by_bearer = graph
            .get_bearer(&format!("{prefix}/me?fields=id,name"), USER)
            .await;
        assert_eq!(by_bearer.json, by_query.json, "{prefix}");

        let page = graph.get_bearer(&format!("{prefix}/me"), page_token).await;
        assert_eq!(
            page.json,
            json!({ "id": "300000000000001", "name": "Solo" }),
            "{prefix}"
        );

        let accounts = graph
            .get_bearer(&format!("{prefix}/me/accounts?fields=id"), USER)
            .await;
        assert_eq!(accounts.json["data"], json!([{ "id": "300000000000001" }]));
        assert!(accounts.json["paging"].get("next").is_none());

        let unknown = graph
            .get(&format!("{prefix}/me?access_token=EAAnot-a-token"))
            .await;
        assert_eq!(unknown.status, 400);
        assert_eq!(unknown.error_code(), Some(190));
        assert_eq!(unknown.json["error"]["type"], "OAuthException");
        assert_eq!(
            unknown.json["error"]["message"],
            "Invalid OAuth access token - Cannot parse access token"
        );
        assert!(unknown.json["error"]["fbtrace_id"].is_string());
    }

    let none = graph.get("/v23.0/me").await;
    assert_eq!((none.status, none.error_code()), (400, Some(2500)));
    let unknown_path = graph
        .get(&format!("/v23.0/me/feed?access_token={USER}"))
        .await;
    assert_eq!(unknown_path.status, 400);
    assert!(unknown_path.json["error"]["code"].is_u64());
    let unknown_field = graph
        .get(&format!("/me?fields=id,email&access_token={USER}"))
        .await;
    assert_eq!(unknown_field.error_code(), Some(100));
}

#[tokio::test]
async fn graph_needs_no_vonage_credentials_and_vonage_still_does() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let raw = Raw::new(&sandbox);
    let me = graph
        .get(&format!("/me?access_token={DEMO_FACEBOOK_USER_TOKEN}"))
        .await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(
        raw.send("GET", "/v2/applications", None, None).await.status,
        401
    );
    assert_eq!(raw.api("GET", "/v2/applications", None).await.status, 200);
    assert_eq!(
        raw.send("GET", "/beta/chatapp-accounts", None, None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn the_demo_user_manages_the_demo_pages() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let reply = graph
        .get(&me_accounts(
            DEMO_FACEBOOK_USER_TOKEN,
            "&fields=id,name,access_token",
        ))
        .await;
    let listed: Vec<(String, String)> = reply.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = DEMO_FACEBOOK_PAGES
        .iter()
        .map(|(i, n)| (i.to_string(), n.to_string()))
        .collect();
    assert_eq!(listed, expected);
    for page in reply.json["data"].as_array().unwrap() {
        let token = page["access_token"].as_str().unwrap();
        assert!(token.starts_with("EAA") && token.len() > 100, "{token}");
        let data = graph.debug(token).await;
        assert_eq!(data["is_valid"], true);
        assert_eq!(data["expires_at"], 0);
        assert_eq!(data["profile_id"], page["id"]);
    }
}

#[tokio::test]
async fn debug_token_tells_valid_revoked_expired_and_unknown_tokens_apart() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let tokens = graph
        .user(USER, &[("400000000000001", "A"), ("400000000000002", "B")])
        .await;
    let (valid, revoked) = (&tokens[0].1, &tokens[1].1);
    let user_id = graph.get(&format!("/me?access_token={USER}")).await.json["id"].clone();

    let data = graph.debug(valid).await;
    assert_eq!(data["is_valid"], true);
    assert_eq!(data["type"], "PAGE");
    assert_eq!(data["app_id"], "1234567890");
    assert_eq!(data["application"], "socialform sandbox");
    assert_eq!(data["expires_at"], 0);
    assert!(data["data_access_expires_at"].as_u64().unwrap() > unix_now());
    assert_eq!(data["profile_id"], "400000000000001");
    assert_eq!(data["user_id"], user_id);
    assert_eq!(
        data["scopes"],
        json!([
            "pages_messaging",
            "pages_manage_metadata",
            "pages_show_list"
        ])
    );

    graph
        .change_token(json!({ "access_token": revoked, "valid": false }))
        .await;
    let data = graph.debug(revoked).await;
    assert_eq!(data["is_valid"], false);
    assert_eq!(data["error"]["code"], 190);
    assert_eq!(data["error"]["subcode"], 460);
    assert!(
        data["error"]["message"]
            .as_str()
            .unwrap()
            .contains("changed their password")
    );
    assert_eq!(data["scopes"], json!([]));

    let past = unix_now() - 3600;
    let expired = graph.mint("400000000000001", past).await;
    let data = graph.debug(&expired).await;
    assert_eq!(data["is_valid"], false);
    assert_eq!(data["expires_at"], past);
    assert_eq!(data["error"]["subcode"], 463);
    assert!(
        data["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Session has expired on"),
        "{data}"
    );

    let data = graph.debug("EAAunknown").await;
    assert_eq!(
        data,
        json!({ "is_valid": false, "scopes": [], "error": {
            "code": 190, "message": "Invalid OAuth access token - Cannot parse access token" } })
    );

    let data = graph.debug(USER).await;
    assert_eq!(data["is_valid"], true);
    assert_eq!(data["type"], "USER");
    assert_eq!(data["user_id"], user_id);

    // The same token errors the token itself meets, as Graph errors.
    let me = graph.get(&format!("/me?access_token={revoked}")).await;
    assert_eq!(me.json["error"]["error_subcode"], 460);
    let me = graph.get(&format!("/me?access_token={expired}")).await;
    assert_eq!(me.json["error"]["error_subcode"], 463);

    // Only an `APP_ID|APP_SECRET` pair is an app token.
    for app_token in [valid.as_str(), "|secret", "id|", "nonsense"] {
        let reply = graph
            .get(&format!(
                "/debug_token?input_token={valid}&access_token={}",
                app_token.replace('|', "%7C")
            ))
            .await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (400, Some(190)),
            "{app_token}"
        );
    }
}

#[tokio::test]
async fn batches_of_50_are_answered_item_by_item_and_51_are_refused() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let tokens = graph.user(USER, &[("500000000000001", "A")]).await;
    let token = &tokens[0].1;

    let mut items: Vec<Value> = (0..49)
        .map(|_| json!({ "method": "GET", "relative_url": format!("debug_token?input_token={token}") }))
        .collect();
    // An item's own token wins over the top-level (app) token.
    items.push(
        json!({ "method": "GET", "relative_url": format!("me?fields=id&access_token={token}") }),
    );
    let batch = serde_json::to_string(&items).unwrap();
    let reply = graph
        .post_form("/v23.0/", &[("access_token", APP_TOKEN), ("batch", &batch)])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let answers = reply.json.as_array().unwrap();
    assert_eq!(answers.len(), 50);
    for answer in &answers[..49] {
        assert_eq!(answer["code"], 200);
        assert!(
            answer["headers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["name"] == "Content-Type")
        );
        let body: Value =
            serde_json::from_str(answer["body"].as_str().expect("a string body")).unwrap();
        assert_eq!(body["data"]["is_valid"], true);
        assert_eq!(body["data"]["profile_id"], "500000000000001");
    }
    let me: Value = serde_json::from_str(answers[49]["body"].as_str().unwrap()).unwrap();
    assert_eq!(me, json!({ "id": "500000000000001" }));

    // Without a version, with errors inside: each item carries its own.
    let items = json!([
        { "method": "GET", "relative_url": "/me?fields=id&access_token=EAAnope" },
        { "method": "GET", "relative_url": format!("/v23.0/debug_token?input_token={token}") },
    ]);
    let reply = graph
        .post_form(
            "/",
            &[("access_token", APP_TOKEN), ("batch", &items.to_string())],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json[0]["code"], 400);
    let body: Value = serde_json::from_str(reply.json[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["error"]["code"], 190);
    assert_eq!(reply.json[1]["code"], 200);

    let too_many: Vec<Value> = (0..51)
        .map(|_| json!({ "method": "GET", "relative_url": "me?fields=id" }))
        .collect();
    let reply = graph
        .post_form(
            "/v23.0/",
            &[
                ("access_token", USER),
                ("batch", &serde_json::to_string(&too_many).unwrap()),
            ],
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some(100));
    assert_eq!(
        reply.json["error"]["message"],
        "Too many requests in batch message. Maximum batch size is 50"
    );

    let not_json = graph
        .post_form("/v23.0/", &[("access_token", USER), ("batch", "[{")])
        .await;
    assert_eq!((not_json.status, not_json.error_code()), (400, Some(100)));
}

#[tokio::test]
async fn a_revoked_current_token_is_replaced_as_after_a_new_login() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let tokens = graph.user(USER, &[("600000000000001", "A")]).await;
    let old = &tokens[0].1;
    graph
        .change_token(json!({ "access_token": old, "valid": false }))
        .await;

    let listed = graph
        .get(&me_accounts(USER, "&fields=id,access_token"))
        .await;
    let fresh = listed.json["data"][0]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(&fresh, old);
    let data = graph.debug(&fresh).await;
    assert_eq!(
        (data["is_valid"].clone(), data["expires_at"].clone()),
        (json!(true), json!(0))
    );
    assert_eq!(graph.debug(old).await["is_valid"], false);
    // The replacement stays current: asked again, the same token.
    let again = graph
        .get(&format!(
            "/v23.0/600000000000001?fields=id,name,access_token&access_token={USER}"
        ))
        .await;
    assert_eq!(again.json["access_token"], fresh.as_str());

    // Restoring a token makes it valid again.
    graph
        .change_token(json!({ "access_token": old, "valid": true }))
        .await;
    assert_eq!(graph.debug(old).await["is_valid"], true);
}

#[tokio::test]
async fn minted_tokens_carry_their_expiry_and_leave_me_accounts_alone() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let tokens = graph.user(USER, &[("700000000000001", "A")]).await;
    let soon = unix_now() + 3 * 24 * 3600;
    let minted = graph.mint("700000000000001", soon).await;
    assert_ne!(minted, tokens[0].1);
    assert!(minted.starts_with("EAA") && minted.chars().all(|c| c.is_ascii_alphanumeric()));

    let data = graph.debug(&minted).await;
    assert_eq!(data["is_valid"], true);
    assert_eq!(data["expires_at"], soon);
    // A hand reconnect's token changes nothing an existing user reads: on
    // Facebook a page token follows the user token it is read with.
    let listed = graph.get(&me_accounts(USER, "&fields=access_token")).await;
    assert_eq!(listed.json["data"][0]["access_token"], tokens[0].1.as_str());
    assert_eq!(
        graph.debug(&tokens[0].1).await["is_valid"],
        true,
        "the old one still works"
    );

    // Changing the expiry into the past expires it; back to 0, never.
    graph
        .change_token(json!({ "access_token": minted, "expires_at": unix_now() - 1 }))
        .await;
    assert_eq!(graph.debug(&minted).await["error"]["subcode"], 463);
    graph
        .change_token(json!({ "access_token": minted, "expires_at": 0 }))
        .await;
    assert_eq!(graph.debug(&minted).await["is_valid"], true);

    // Read with a user token that expires, the page token expires with
    // it; read again once the user token lasts, a new one that lasts.
    graph
        .change_token(json!({ "access_token": USER, "expires_at": soon }))
        .await;
    let listed = graph.get(&me_accounts(USER, "&fields=access_token")).await;
    let short = listed.json["data"][0]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(short, tokens[0].1);
    assert_eq!(graph.debug(&short).await["expires_at"], soon);
    graph
        .change_token(json!({ "access_token": USER, "expires_at": 0 }))
        .await;
    let listed = graph.get(&me_accounts(USER, "&fields=access_token")).await;
    let long = listed.json["data"][0]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(long, short);
    assert_eq!(graph.debug(&long).await["expires_at"], 0);

    let unknown_page = graph
        .control(
            "POST",
            "/_sandbox/facebook/tokens",
            Some(json!({ "page_id": "1", "expires_at": 0 })),
        )
        .await;
    assert_eq!(unknown_page.status, 404);
    let unknown_token = graph
        .control(
            "PUT",
            "/_sandbox/facebook/tokens",
            Some(json!({ "access_token": "EAAnope", "valid": false })),
        )
        .await;
    assert_eq!(unknown_token.status, 404);
    for bad in [
        json!({ "user_token": "", "pages": [] }),
        json!({ "user_token": "u", "pages": [{ "id": "abc", "name": "x" }] }),
        json!({ "user_token": "u", "pages": [{ "id": "1", "name": "x" }, { "id": "1", "name": "y" }] }),
        json!({ "user_token": minted, "pages": [] }),
        json!({ "pages": [] }),
    ] {
        let reply = graph
            .control("POST", "/_sandbox/facebook/users", Some(bad.clone()))
            .await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text);
    }
}

#[tokio::test]
async fn a_page_is_read_in_full_only_by_its_managers() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let mine = graph.user(USER, &[("800000000000001", "Mine")]).await;
    graph
        .user("other-user", &[("800000000000002", "Theirs")])
        .await;

    let page = graph
        .get_bearer("/v23.0/800000000000001?fields=id,name,access_token", USER)
        .await;
    assert_eq!(
        page.json,
        json!({ "id": "800000000000001", "name": "Mine", "access_token": mine[0].1 })
    );
    let theirs = graph
        .get_bearer("/v23.0/800000000000002?fields=id,name,access_token", USER)
        .await;
    assert_eq!((theirs.status, theirs.error_code()), (400, Some(10)));
    let public = graph
        .get_bearer("/800000000000002?fields=id,name", USER)
        .await;
    assert_eq!(
        public.json,
        json!({ "id": "800000000000002", "name": "Theirs" })
    );
    let missing = graph
        .get_bearer("/v23.0/800000000000009?fields=id", USER)
        .await;
    assert_eq!((missing.status, missing.error_code()), (400, Some(100)));
    assert_eq!(missing.json["error"]["error_subcode"], 33);
}

#[tokio::test]
async fn each_graph_fault_kind_meets_the_next_requests_then_stops() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let raw = Raw::new(&sandbox);
    let me = format!("/v23.0/me?access_token={DEMO_FACEBOOK_USER_TOKEN}");

    graph.fault("html", 2).await;
    for _ in 0..2 {
        let reply = graph.get(&me).await;
        assert_eq!(reply.status, 502);
        assert!(
            reply.content_type.starts_with("text/html"),
            "{}",
            reply.content_type
        );
        assert!(reply.text.contains("<html>"));
    }
    assert_eq!(graph.get(&me).await.status, 200, "two, then no more");

    graph.fault("server_error", 1).await;
    let reply = graph.get(&me).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json["error"]["type"], "OAuthException");
    assert_eq!(reply.json["error"]["is_transient"], true);

    graph.fault("throttle", 1).await;
    let reply = graph.get(&me).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.error_code(), Some(4));
    assert_eq!(
        reply.json["error"]["message"],
        "(#4) Application request limit reached"
    );

    graph.fault("malformed_json", 1).await;
    let reply = graph.get(&me).await;
    assert_eq!(reply.status, 200);
    assert!(reply.content_type.starts_with("application/json"));
    assert!(!reply.text.is_empty());
    assert!(
        serde_json::from_str::<Value>(&reply.text).is_err(),
        "{}",
        reply.text
    );

    // Queued faults meet Graph requests only, and DELETE drops them.
    graph.fault("throttle", 5).await;
    assert_eq!(raw.api("GET", "/v2/applications", None).await.status, 200);
    assert_eq!(graph.get(&me).await.status, 403);
    let cleared = graph
        .control("DELETE", "/_sandbox/facebook/faults", None)
        .await;
    assert_eq!(cleared.status, 204);
    assert_eq!(graph.get(&me).await.status, 200);

    let bad = graph
        .control(
            "POST",
            "/_sandbox/facebook/faults",
            Some(json!({ "kind": "teapot", "times": 1 })),
        )
        .await;
    assert_eq!(bad.status, 400);

    // The latency fault holds Graph requests too.
    raw.faults(r#"{"latency_ms":300}"#).await;
    let started = Instant::now();
    assert_eq!(graph.get(&me).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn the_request_log_keeps_graph_requests_without_their_tokens() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let raw = Raw::new(&sandbox);
    let tokens = graph
        .user(USER, &[("900000000000001", "A"), ("900000000000002", "B")])
        .await;
    let minted = graph.mint("900000000000001", 0).await;
    raw.clear_requests().await;

    graph
        .get(&me_accounts(USER, "&fields=id,access_token&limit=1"))
        .await;
    graph.get_bearer("/me?fields=id", &tokens[1].1).await;
    graph.debug(&minted).await;
    let items = json!([
        { "method": "GET", "relative_url": format!("debug_token?input_token={}", tokens[0].1) },
        { "method": "GET", "relative_url": format!("me?access_token={}", tokens[1].1) },
    ]);
    graph
        .post_form(
            "/v23.0/",
            &[("access_token", APP_TOKEN), ("batch", &items.to_string())],
        )
        .await;
    raw.api("GET", "/v2/applications", None).await;

    let text = graph.log_text().await;
    let mut secrets = vec![USER.to_owned(), minted.clone(), "app-secret".to_owned()];
    secrets.extend(tokens.iter().map(|(_, t)| t.clone()));
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{secret} is in the log: {text}"
        );
    }
    let log = raw.requests().await;
    assert_eq!(log.len(), 5, "{text}");
    assert_eq!(log[0]["path"], "/v23.0/me/accounts");
    assert_eq!(
        log[0]["query"],
        "access_token=REDACTED&fields=id,access_token&limit=1"
    );
    assert_eq!(log[1]["query"], "fields=id");
    assert_eq!(
        log[2]["query"],
        "input_token=REDACTED&access_token=REDACTED"
    );
    assert_eq!(log[3]["method"], "POST");
    assert_eq!(log[3]["path"], "/v23.0/");
    assert_eq!(log[3]["batch_items"], 2);
    assert_eq!(log[3]["status"], 200);
    // The Vonage side's entries are as they were: no batch field.
    let mut vonage = log[4].clone();
    assert!(vonage["at_ms"].is_u64(), "{vonage}");
    vonage.as_object_mut().unwrap().remove("at_ms");
    assert_eq!(
        vonage,
        json!({ "method": "GET", "path": "/v2/applications", "query": "", "status": 200 })
    );
    for entry in &log[..3] {
        assert!(entry.get("batch_items").is_none());
        assert_eq!(entry["status"], 200);
    }
}

#[tokio::test]
async fn with_a_data_directory_the_graph_side_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = Some(dir.path().join("sandbox"));

    let first = start(options(data.clone())).await.unwrap();
    let graph = Graph::new(&first);
    let tokens = graph.user(USER, &[("110000000000001", "Kept")]).await;
    let soon = unix_now() + 3600;
    graph
        .change_token(json!({ "access_token": tokens[0].1, "valid": false }))
        .await;
    // Read with a user token that expires within the hour, the page's
    // token expires with it.
    graph
        .change_token(json!({ "access_token": USER, "expires_at": soon }))
        .await;
    let expiring = graph
        .get(&me_accounts(USER, "&fields=access_token"))
        .await
        .json["data"][0]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let demo = graph
        .get(&me_accounts(
            DEMO_FACEBOOK_USER_TOKEN,
            "&fields=access_token",
        ))
        .await
        .json["data"]
        .clone();
    first.shutdown().await;

    // Nothing in the data directory holds a token in clear.
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in [USER, expiring.as_str(), tokens[0].1.as_str()] {
            assert!(!text.contains(secret), "{} holds a token", entry.display());
        }
    }

    let second = start(options(data)).await.unwrap();
    let graph = Graph::new(&second);
    let data = graph.debug(&expiring).await;
    assert_eq!(
        (data["is_valid"].clone(), data["expires_at"].clone()),
        (json!(true), json!(soon))
    );
    assert_eq!(graph.debug(&tokens[0].1).await["error"]["subcode"], 460);
    let listed = graph
        .get(&me_accounts(USER, "&fields=id,name,access_token"))
        .await;
    assert_eq!(
        listed.json["data"],
        json!([{ "id": "110000000000001", "name": "Kept", "access_token": expiring }])
    );
    // The demo user was seeded once: its tokens are the ones handed out before.
    let demo_again = graph
        .get(&me_accounts(
            DEMO_FACEBOOK_USER_TOKEN,
            "&fields=access_token",
        ))
        .await
        .json["data"]
        .clone();
    assert_eq!(demo_again, demo);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn reset_empties_the_graph_side_but_the_demo_user() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let tokens = graph.user(USER, &[("120000000000001", "Gone")]).await;
    let demo_before = graph
        .get(&me_accounts(
            DEMO_FACEBOOK_USER_TOKEN,
            "&fields=access_token",
        ))
        .await
        .json["data"][0]["access_token"]
        .clone();
    graph.fault("throttle", 3).await;
    let reset = graph.control("POST", "/_sandbox/reset", None).await;
    assert_eq!(reset.status, 204);

    let me = graph.get(&format!("/me?access_token={USER}")).await;
    assert_eq!(
        (me.status, me.error_code()),
        (400, Some(190)),
        "no fault left either"
    );
    assert_eq!(graph.debug(&tokens[0].1).await["is_valid"], false);
    let demo = graph
        .get(&me_accounts(
            DEMO_FACEBOOK_USER_TOKEN,
            "&fields=access_token",
        ))
        .await;
    assert_eq!(
        demo.json["data"].as_array().unwrap().len(),
        DEMO_FACEBOOK_PAGES.len()
    );
    assert_ne!(
        demo.json["data"][0]["access_token"], demo_before,
        "fresh demo tokens"
    );
}

#[tokio::test]
async fn the_handle_drives_the_graph_side_in_process() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let tokens = sandbox
        .add_facebook_user(USER, &[("130000000000001", "Handled")])
        .unwrap();
    assert_eq!(tokens[0].0, "130000000000001");
    assert_eq!(graph.debug(&tokens[0].1).await["is_valid"], true);
    let minted = sandbox
        .mint_facebook_page_token("130000000000001", 0)
        .unwrap();
    assert!(sandbox.set_facebook_token(&minted, Some(false), None));
    assert_eq!(graph.debug(&minted).await["error"]["subcode"], 460);
    assert!(sandbox.mint_facebook_page_token("1", 0).is_none());
    assert!(!sandbox.set_facebook_token("EAAnope", Some(false), None));
}

/// Usage headers on every Graph answer: unconfigured they say 0% and cost
/// nothing; configured, calls add up (a batch item is a call), a spent app
/// is refused with code 4 and a spent page with code 32 and its regain
/// estimate, and the control endpoint counts the refusals.
#[tokio::test]
async fn usage_headers_count_calls_and_a_spent_budget_is_refused() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    let tokens = graph
        .user(USER, &[("600000000000001", "A"), ("600000000000002", "B")])
        .await;
    let (page_a, token_a) = &tokens[0];
    let (page_b, token_b) = &tokens[1];

    let reply = graph.get_bearer("/v23.0/me", USER).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.usage("x-app-usage"),
        json!({"call_count": 0, "total_time": 0, "total_cputime": 0})
    );
    // A user's own node is scoped to no page.
    assert_eq!(reply.usage("x-business-use-case-usage"), Value::Null);
    let reply = graph.get_bearer("/v23.0/me", token_a).await;
    assert_eq!(
        reply.usage("x-business-use-case-usage")[page_a][0]["call_count"],
        0
    );

    let reply = graph
        .control(
            "PUT",
            "/_sandbox/facebook/usage",
            Some(json!({
                "app": {"call_count": 50, "total_cputime": 10},
                "pages": {page_b: {"call_count": 100.5}},
                "per_call": 10,
                // Nothing recovers: the numbers are exact.
                "recovery_per_second": 0,
            })),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);

    // A batch of 3: three calls, 30 points.
    let items = json!([
        {"method": "GET", "relative_url": format!("me?fields=id&access_token={token_a}")},
        {"method": "GET", "relative_url": format!("me?fields=id&access_token={token_b}")},
        {"method": "GET", "relative_url": format!("debug_token?input_token={token_a}")},
    ])
    .to_string();
    let reply = graph
        .post_form("/v23.0/", &[("access_token", APP_TOKEN), ("batch", &items)])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let answers = reply.json.as_array().unwrap();
    assert_eq!(answers[0]["code"], 200);
    assert_eq!(answers[1]["code"], 403);
    let refused: Value = serde_json::from_str(answers[1]["body"].as_str().unwrap()).unwrap();
    assert_eq!(refused["error"]["code"], 32);
    assert_eq!(answers[2]["code"], 200);
    // Two calls charged (the refused one costs nothing): 50 + 20.
    assert_eq!(
        reply.usage("x-app-usage"),
        json!({"call_count": 70, "total_time": 0, "total_cputime": 10})
    );
    let buc = reply.usage("x-business-use-case-usage");
    assert_eq!(buc[page_a][0]["call_count"], 10);
    assert_eq!(buc[page_a][0]["type"], "pages");
    assert_eq!(buc[page_a][0]["estimated_time_to_regain_access"], 0);
    assert_eq!(buc[page_b][0]["call_count"], 100);
    // A budget that never recovers: a day, Graph's longest ban.
    assert_eq!(buc[page_b][0]["estimated_time_to_regain_access"], 1440);
    let reply = graph.get_bearer(&format!("/v23.0/{page_b}"), USER).await;
    assert_eq!(reply.error_code(), Some(32), "{}", reply.text);

    // Three more calls spend the app's budget; then everything is refused.
    for _ in 0..3 {
        let reply = graph.get_bearer("/v23.0/me", USER).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let reply = graph.get_bearer("/v23.0/me", USER).await;
    assert_eq!((reply.status, reply.error_code()), (403, Some(4)));
    assert_eq!(reply.usage("x-app-usage")["call_count"], 100);
    let reply = graph
        .post_form("/v23.0/", &[("access_token", APP_TOKEN), ("batch", &items)])
        .await;
    assert_eq!(reply.error_code(), Some(4), "{}", reply.text);

    let report = graph.control("GET", "/_sandbox/facebook/usage", None).await;
    assert_eq!(report.status, 200, "{}", report.text);
    assert_eq!(report.json["refused"], json!({"app": 2, "page": 2}));
    assert_eq!(report.json["calls"], 5);

    for bad in [
        json!({"per_call": -1}),
        json!({"recovery_per_second": -1}),
        json!({"pages": {"not-a-page": {}}}),
        json!({"app": {"calls": 5}}),
    ] {
        let reply = graph
            .control("PUT", "/_sandbox/facebook/usage", Some(bad.clone()))
            .await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text);
    }
    // Reset forgets the usage with the rest.
    let reply = graph.control("POST", "/_sandbox/reset", None).await;
    assert!(reply.status < 300, "{}", reply.text);
    let report = graph.control("GET", "/_sandbox/facebook/usage", None).await;
    assert_eq!(report.json["refused"], json!({"app": 0, "page": 0}));
    assert_eq!(report.json["app"]["call_count"], 0.0);
}

/// Facebook Login as the sandbox plays it: the dialog's code is spent by
/// its first exchange and bound to its redirect URI, a cancelled dialog
/// says so, an exchanged token lasts about 60 days with the same scopes,
/// an expired one cannot be exchanged, and a device code unknown or past
/// its time is refused. (The happy paths run through the binary in
/// `login.rs`.)
#[tokio::test]
async fn login_codes_are_spent_once_bound_to_their_redirect_and_expired_tokens_not_exchanged() {
    let sandbox = sandbox().await;
    let graph = Graph::new(&sandbox);
    graph.user(USER, &[("140000000000001", "Login")]).await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = "http://127.0.0.1:9/callback";
    let dialog = |extra: &[(&str, &str)]| {
        let mut form = vec![
            ("client_id", "42"),
            ("redirect_uri", redirect),
            ("state", "s1"),
            ("scope", "pages_show_list,pages_messaging"),
        ];
        form.extend_from_slice(extra);
        browser
            .post(format!("{}/v25.0/dialog/oauth", sandbox.url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&form).unwrap())
            .send()
    };
    let location =
        |response: &reqwest::Response| response.headers()["location"].to_str().unwrap().to_owned();

    let missing = graph.get("/v25.0/dialog/oauth?client_id=42").await;
    assert_eq!(missing.status, 400, "{}", missing.text);
    assert!(missing.text.contains("redirect_uri is missing"));

    let cancelled = dialog(&[("cancel", "1")]).await.unwrap();
    assert_eq!(cancelled.status().as_u16(), 302);
    let to = location(&cancelled);
    assert!(
        to.contains("error=access_denied") && to.contains("state=s1"),
        "{to}"
    );

    let answer = dialog(&[("login_as", USER), ("decline", "pages_messaging")])
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 302);
    let to = location(&answer);
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(to.split_once('?').unwrap().1).unwrap();
    let code = pairs.iter().find(|(k, _)| k == "code").unwrap().1.clone();
    let exchange = |redirect_uri: &str, code: &str| {
        format!(
            "/v25.0/oauth/access_token?{}",
            serde_urlencoded::to_string([
                ("client_id", "42"),
                ("client_secret", "s"),
                ("redirect_uri", redirect_uri),
                ("code", code),
            ])
            .unwrap()
        )
    };
    let wrong = graph
        .get(&exchange("http://127.0.0.1:9/other", &code))
        .await;
    assert_eq!(wrong.error_code(), Some(100), "{}", wrong.text);
    // That attempt spent the code.
    let again = graph.get(&exchange(redirect, &code)).await;
    assert_eq!(again.error_code(), Some(100), "{}", again.text);

    let answer = dialog(&[("login_as", USER), ("decline", "pages_messaging")])
        .await
        .unwrap();
    let to = location(&answer);
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(to.split_once('?').unwrap().1).unwrap();
    let code = pairs.iter().find(|(k, _)| k == "code").unwrap().1.clone();
    let short = graph.get(&exchange(redirect, &code)).await;
    assert_eq!(short.status, 200, "{}", short.text);
    let short_token = short.json["access_token"].as_str().unwrap().to_owned();
    let data = graph.debug(&short_token).await;
    assert_eq!(data["type"], "USER");
    // Asked for two, one declined; the public profile always.
    assert_eq!(data["scopes"], json!(["pages_show_list", "public_profile"]));
    assert_eq!(
        data["granular_scopes"][0]["target_ids"],
        json!(["140000000000001"])
    );

    let long_url = |token: &str| {
        format!(
            "/v25.0/oauth/access_token?{}",
            serde_urlencoded::to_string([
                ("grant_type", "fb_exchange_token"),
                ("client_id", "42"),
                ("client_secret", "s"),
                ("fb_exchange_token", token),
            ])
            .unwrap()
        )
    };
    let long = graph.get(&long_url(&short_token)).await;
    assert_eq!(long.status, 200, "{}", long.text);
    let long_token = long.json["access_token"].as_str().unwrap();
    let data = graph.debug(long_token).await;
    let lasts = data["expires_at"].as_u64().unwrap() - unix_now();
    assert!((59 * 86_400..=60 * 86_400).contains(&lasts), "{lasts}");
    assert_eq!(data["scopes"], json!(["pages_show_list", "public_profile"]));

    graph
        .change_token(json!({ "access_token": short_token, "expires_at": unix_now() - 1 }))
        .await;
    let expired = graph.get(&long_url(&short_token)).await;
    assert_eq!(expired.error_code(), Some(190), "{}", expired.text);

    let unknown = graph
        .post_form(
            "/v25.0/device/login_status",
            &[("access_token", "42|client"), ("code", "nope")],
        )
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.text);
    let reply = graph
        .control(
            "PUT",
            "/_sandbox/facebook/device",
            Some(json!({ "interval": 1, "expires_in": 1 })),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let device = graph
        .post_form("/v25.0/device/login", &[("access_token", "42|client")])
        .await;
    assert_eq!(device.json["interval"], 1, "{}", device.text);
    let device_code = device.json["code"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let late = graph
        .post_form(
            "/v25.0/device/login_status",
            &[("access_token", "42|client"), ("code", &device_code)],
        )
        .await;
    assert_eq!(late.error_code(), Some(463), "{}", late.text);
    // The log keeps no code and no secret.
    let log = graph.log_text().await;
    assert!(!log.contains(&code) && !log.contains(&device_code), "{log}");
}
