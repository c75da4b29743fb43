//! Wire-level facts of the emulated APIs, pinned with plain HTTP: paths,
//! methods, required fields, status codes and document shapes.

use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn every_api_path_needs_basic_auth_but_control_paths_do_not() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    for (method, path) in [
        ("GET", "/beta/chatapp-accounts"),
        ("POST", "/beta/chatapp-accounts/messenger"),
        ("GET", "/beta/chatapp-accounts/messenger/1"),
        (
            "DELETE",
            "/beta/chatapp-accounts/messenger/1/applications/x",
        ),
        ("GET", "/v2/applications"),
        ("GET", "/no/such/path"),
    ] {
        for auth in [None, Some((KEY, "nope")), Some(("nope", SECRET))] {
            let answer = raw.send(method, path, None, auth).await;
            assert_eq!(answer.status, 401, "{method} {path} {auth:?}");
            assert_eq!(answer.body["title"], "Unauthorised");
            assert_eq!(
                answer.body["detail"],
                "Request header 'Authorization' missing / Invalid Token"
            );
            for field in ["type", "instance"] {
                assert!(answer.body[field].is_string(), "{field} in {}", answer.body);
            }
        }
    }
    let control = raw.send("GET", "/_sandbox/requests", None, None).await;
    assert_eq!(control.status, 200);
    assert_eq!(
        control.body.as_array().unwrap().len(),
        18,
        "only API requests are logged"
    );
}

#[tokio::test]
async fn account_list_is_hal_with_absolute_links() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    for i in 0..5 {
        raw.seed_account(&format!(
            r#"{{"external_id":"p{i}","provider":"messenger","access_token":"t"}}"#
        ))
        .await;
    }
    let page = raw
        .api(
            "GET",
            "/beta/chatapp-accounts/?page_number=2&page_size=2",
            None,
        )
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body["page_number"], 2);
    assert_eq!(page.body["page_size"], 2);
    let ids: Vec<_> = page.body["_embedded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["external_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["p2", "p3"]);
    let base = format!("{}/beta/chatapp-accounts", sandbox.url());
    let links = &page.body["_links"];
    assert_eq!(
        links["self"]["href"],
        format!("{base}?page_number=2&page_size=2")
    );
    assert_eq!(
        links["first"]["href"],
        format!("{base}?page_number=1&page_size=2")
    );
    assert_eq!(
        links["last"]["href"],
        format!("{base}?page_number=3&page_size=2")
    );
    assert_eq!(
        links["next"]["href"],
        format!("{base}?page_number=3&page_size=2")
    );
    assert_eq!(
        links["prev"]["href"],
        format!("{base}?page_number=1&page_size=2")
    );

    let last = raw
        .api(
            "GET",
            "/beta/chatapp-accounts?page_number=3&page_size=2",
            None,
        )
        .await;
    assert!(last.body["_links"].get("next").is_none());
    let first = raw.api("GET", "/beta/chatapp-accounts", None).await;
    assert_eq!(first.body["page_size"], 20, "documented default");
    assert!(first.body["_links"].get("prev").is_none());
}

#[tokio::test]
async fn account_list_validates_its_query() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    let ok = raw
        .api("GET", "/beta/chatapp-accounts?page_size=100", None)
        .await;
    assert_eq!(ok.status, 200);
    for query in [
        "page_size=101",
        "page_size=0",
        "page_size=x",
        "page_number=0",
    ] {
        let answer = raw
            .api("GET", &format!("/beta/chatapp-accounts?{query}"), None)
            .await;
        assert_eq!(answer.status, 400, "{query}");
        let name = query.split('=').next().unwrap();
        assert_eq!(answer.body["invalid_params"][0]["name"], name, "{query}");
    }
}

#[tokio::test]
async fn account_document_shape() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    let created = raw
        .api(
            "POST",
            "/beta/chatapp-accounts/messenger",
            Some(r#"{"external_id":"42","access_token":"EAAB"}"#),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(
        created.body,
        json!({"external_id":"42","provider":"messenger","api_key":KEY,"applications":[],"access_token":"EAAB"}),
        "name is omitted when unset"
    );
    raw.seed_account(r#"{"external_id":"w","provider":"whatsapp","name":"WA"}"#)
        .await;
    let wa = raw
        .api("GET", "/beta/chatapp-accounts/whatsapp/w", None)
        .await;
    assert_eq!(wa.status, 200);
    assert!(wa.body.get("access_token").is_none());
    let viber = raw
        .api("GET", "/beta/chatapp-accounts/viber_service_msg/none", None)
        .await;
    assert_eq!(viber.status, 404);
}

#[tokio::test]
async fn connect_validation() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    let cases = [
        ("not json", "body"),
        ("[]", "body"),
        (r#"{"access_token":"t"}"#, "external_id"),
        (r#"{"external_id":"","access_token":"t"}"#, "external_id"),
        (r#"{"external_id":"1"}"#, "access_token"),
        (r#"{"external_id":1,"access_token":"t"}"#, "external_id"),
        (
            r#"{"external_id":"1","access_token":"t","applications":["a","b"]}"#,
            "applications",
        ),
    ];
    for (body, field) in cases {
        let answer = raw
            .api("POST", "/beta/chatapp-accounts/messenger", Some(body))
            .await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(answer.body["invalid_params"][0]["name"], field, "{body}");
        assert_eq!(
            answer.body["title"],
            "Your request parameters didn't validate."
        );
    }
    let accounts = raw.api("GET", "/beta/chatapp-accounts", None).await;
    assert_eq!(accounts.body["_embedded"], json!([]));
}

#[tokio::test]
async fn patch_validation() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    raw.api(
        "POST",
        "/beta/chatapp-accounts/messenger",
        Some(r#"{"external_id":"1","access_token":"t"}"#),
    )
    .await;
    let path = "/beta/chatapp-accounts/messenger/1";
    let renamed = raw.api("PATCH", path, Some(r#"{"external_id":"2"}"#)).await;
    assert_eq!(renamed.status, 400);
    assert_eq!(
        renamed.body["invalid_params"][0]["reason"],
        "'external_id' parameter cannot be changed"
    );
    let bad_app = raw
        .api(
            "PATCH",
            path,
            Some(&format!(r#"{{"applications":["{VOICE_APP}"]}}"#)),
        )
        .await;
    assert_eq!(bad_app.status, 403);
    let unknown = raw
        .api("PATCH", "/beta/chatapp-accounts/messenger/2", Some("{}"))
        .await;
    assert_eq!(unknown.status, 404);
    // Only messenger accounts are changed through PATCH and DELETE.
    let wrong_provider = raw
        .api("DELETE", "/beta/chatapp-accounts/whatsapp/1", None)
        .await;
    assert_eq!(wrong_provider.status, 405);
}

#[tokio::test]
async fn link_requires_an_application() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    raw.api(
        "POST",
        "/beta/chatapp-accounts/messenger",
        Some(r#"{"external_id":"1","access_token":"t"}"#),
    )
    .await;
    let path = "/beta/chatapp-accounts/messenger/1/applications";
    for body in ["{}", r#"{"application":""}"#, "nope"] {
        let answer = raw.api("POST", path, Some(body)).await;
        assert_eq!(answer.status, 400, "{body}");
    }
    let linked = raw
        .api(
            "POST",
            path,
            Some(&format!(r#"{{"application":"{SUPPORT_BOT}"}}"#)),
        )
        .await;
    assert_eq!(linked.status, 200);
    assert_eq!(linked.body["applications"], json!([SUPPORT_BOT]));
    let unlinked = raw
        .api("DELETE", &format!("{path}/{SUPPORT_BOT}"), None)
        .await;
    assert_eq!(unlinked.status, 204);
    assert_eq!(unlinked.body, serde_json::Value::Null);
}

#[tokio::test]
async fn application_list_shape_and_limits() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    let page = raw
        .api("GET", "/v2/applications?page_size=2&page=2", None)
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body["page"], 2);
    assert_eq!(page.body["page_size"], 2);
    assert_eq!(page.body["total_items"], 3);
    assert_eq!(page.body["total_pages"], 2);
    assert_eq!(
        page.body["_embedded"]["applications"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(page.body["_links"]["prev"]["href"].is_string());
    for query in ["page_size=0", "page_size=101", "page=0"] {
        let answer = raw
            .api("GET", &format!("/v2/applications?{query}"), None)
            .await;
        assert_eq!(answer.status, 400, "{query}");
        assert!(answer.body["invalid_parameters"].is_array(), "{query}");
    }
    let created = raw
        .api(
            "POST",
            "/v2/applications",
            Some(r#"{"name":"x","capabilities":{"messages":{"webhooks":{}}}}"#),
        )
        .await;
    assert_eq!(created.status, 201);
    assert!(created.body["keys"]["public_key"].is_string());
    assert!(created.body["capabilities"]["messages"].is_object());
}

#[tokio::test]
async fn request_log_records_arrival_order_with_query_and_reset_empties_everything() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    raw.api(
        "POST",
        "/beta/chatapp-accounts/messenger",
        Some(r#"{"external_id":"1","access_token":"t"}"#),
    )
    .await;
    raw.api("GET", "/beta/chatapp-accounts?provider=messenger", None)
        .await;
    let mut log = raw.requests().await;
    // Arrival times (ms since the sandbox started) never go back.
    let times: Vec<u64> = log.iter().map(|e| e["at_ms"].as_u64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    for entry in &mut log {
        entry.as_object_mut().unwrap().remove("at_ms");
    }
    assert_eq!(
        serde_json::Value::Array(log),
        json!([
            {"method":"POST","path":"/beta/chatapp-accounts/messenger","query":"","status":201},
            {"method":"GET","path":"/beta/chatapp-accounts","query":"provider=messenger","status":200}
        ])
    );

    let reset = raw.send("POST", "/_sandbox/reset", None, None).await;
    assert_eq!(reset.status, 204);
    assert!(raw.requests().await.is_empty());
    let accounts = raw.api("GET", "/beta/chatapp-accounts", None).await;
    assert_eq!(accounts.body["_embedded"], json!([]));
    let apps = raw.api("GET", "/v2/applications", None).await;
    assert_eq!(
        apps.body["total_items"], 3,
        "demo applications are seeded again"
    );
}

// ---- other channels (spec revision 0.1.6) ----------------------------------

const WA: &str = "447700900123";

async fn seed_channels(raw: &Raw) {
    for account in [
        r#"{"external_id":"1","provider":"messenger","access_token":"t"}"#,
        r#"{"external_id":"447700900123","provider":"whatsapp","name":"WA"}"#,
        r#"{"external_id":"vsm","provider":"viber_service_msg"}"#,
        r#"{"external_id":"agent","provider":"rcs","name":"Agent"}"#,
    ] {
        raw.seed_account(account).await;
    }
}

#[tokio::test]
async fn accounts_of_every_provider_are_listed_with_and_without_the_filter() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    seed_channels(&raw).await;
    let all = raw.api("GET", "/beta/chatapp-accounts", None).await;
    assert_eq!(all.status, 200);
    let providers: Vec<&str> = all.body["_embedded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["provider"].as_str().unwrap())
        .collect();
    assert_eq!(
        providers,
        ["messenger", "rcs", "viber_service_msg", "whatsapp"]
    );
    for (provider, id) in [
        ("messenger", "1"),
        ("whatsapp", WA),
        ("viber_service_msg", "vsm"),
        ("rcs", "agent"),
    ] {
        let page = raw
            .api(
                "GET",
                &format!("/beta/chatapp-accounts?provider={provider}"),
                None,
            )
            .await;
        assert_eq!(page.status, 200, "{provider}");
        let embedded = page.body["_embedded"].as_array().unwrap();
        assert_eq!(embedded.len(), 1, "{provider}");
        assert_eq!(embedded[0]["external_id"], id);
        assert!(
            page.body["_links"]["self"]["href"]
                .as_str()
                .unwrap()
                .contains(&format!("provider={provider}&")),
            "{provider}"
        );
        // Schemas: every account has external_id, api_key and provider;
        // only messenger accounts carry a token.
        for field in ["external_id", "api_key", "provider"] {
            assert!(embedded[0][field].is_string(), "{provider} {field}");
        }
        assert!(embedded[0]["applications"].is_array());
        assert_eq!(
            embedded[0].get("access_token").is_some(),
            provider == "messenger",
            "{provider}"
        );
    }
}

#[tokio::test]
async fn whatsapp_and_viber_accounts_are_read_but_there_is_no_rcs_read() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    seed_channels(&raw).await;
    let wa = raw
        .api(
            "GET",
            &format!("/beta/chatapp-accounts/whatsapp/{WA}"),
            None,
        )
        .await;
    assert_eq!(wa.status, 200);
    assert_eq!(
        wa.body,
        json!({"external_id": WA, "provider": "whatsapp", "api_key": KEY, "name": "WA", "applications": []})
    );
    let viber = raw
        .api("GET", "/beta/chatapp-accounts/viber_service_msg/vsm", None)
        .await;
    assert_eq!(viber.status, 200);
    assert_eq!(viber.body["provider"], "viber_service_msg");
    assert_eq!(
        raw.api("GET", "/beta/chatapp-accounts/whatsapp/0", None)
            .await
            .status,
        404
    );
    // The spec has no GET /rcs/{id}, nor any path for an unknown provider.
    for path in [
        "/beta/chatapp-accounts/rcs/agent",
        "/beta/chatapp-accounts/telegram/1",
    ] {
        let answer = raw.api("GET", path, None).await;
        assert_eq!(answer.status, 404, "{path}");
        assert!(answer.body["title"].is_string(), "{path}");
    }
}

#[tokio::test]
async fn links_on_every_provider_follow_the_real_rules() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    seed_channels(&raw).await;
    for (provider, id) in [
        ("whatsapp", WA),
        ("viber_service_msg", "vsm"),
        ("rcs", "agent"),
    ] {
        let path = format!("/beta/chatapp-accounts/{provider}/{id}/applications");
        let link = |app: &str| format!(r#"{{"application":"{app}"}}"#);
        let linked = raw.api("POST", &path, Some(&link(SUPPORT_BOT))).await;
        assert_eq!(linked.status, 200, "{provider}");
        assert_eq!(linked.body["provider"], provider);
        assert_eq!(linked.body["applications"], json!([SUPPORT_BOT]));
        assert!(linked.body.get("access_token").is_none());
        // One application per account.
        let second = raw.api("POST", &path, Some(&link(SALES_BOT))).await;
        assert_eq!(second.status, 409, "{provider}");
        // Unlinking an application that is not linked is a conflict.
        let wrong = raw
            .api("DELETE", &format!("{path}/{SALES_BOT}"), None)
            .await;
        assert_eq!(wrong.status, 409, "{provider}");
        let unlinked = raw
            .api("DELETE", &format!("{path}/{SUPPORT_BOT}"), None)
            .await;
        assert_eq!(unlinked.status, 204, "{provider}");
        // A missing or non-Messages application is forbidden.
        for app in [VOICE_APP, "c0ffee00-0000-4000-8000-00000000dead"] {
            let refused = raw.api("POST", &path, Some(&link(app))).await;
            assert_eq!(refused.status, 403, "{provider} {app}");
        }
        let missing = raw
            .api(
                "POST",
                &format!("/beta/chatapp-accounts/{provider}/nobody/applications"),
                Some(&link(SUPPORT_BOT)),
            )
            .await;
        assert_eq!(missing.status, 404, "{provider}");
    }
}

#[tokio::test]
async fn requests_that_break_the_schemas_are_400_with_invalid_params() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    seed_channels(&raw).await;
    let cases: Vec<(&str, String, Option<&str>, &str)> = vec![
        (
            "GET",
            "/beta/chatapp-accounts?provider=telegram".into(),
            None,
            "provider",
        ),
        (
            "GET",
            "/beta/chatapp-accounts?provider=".into(),
            None,
            "provider",
        ),
        (
            "POST",
            "/beta/chatapp-accounts/telegram/1/applications".into(),
            Some(r#"{"application":"x"}"#),
            "provider",
        ),
        (
            "DELETE",
            "/beta/chatapp-accounts/viber/1/applications/x".into(),
            None,
            "provider",
        ),
        (
            "POST",
            format!("/beta/chatapp-accounts/whatsapp/{WA}/applications"),
            Some(r#"{"application":null}"#),
            "application",
        ),
        (
            "POST",
            format!("/beta/chatapp-accounts/whatsapp/{WA}/applications"),
            Some(r#"{"application":7}"#),
            "application",
        ),
        (
            "POST",
            "/beta/chatapp-accounts/messenger".into(),
            Some(r#"{"external_id":"2","access_token":"t","applications":null}"#),
            "applications",
        ),
        (
            "POST",
            "/beta/chatapp-accounts/messenger".into(),
            Some(r#"{"external_id":"2","access_token":"t","name":null}"#),
            "name",
        ),
        (
            "POST",
            "/beta/chatapp-accounts/messenger".into(),
            Some(r#"{"external_id":"2","access_token":null}"#),
            "access_token",
        ),
        (
            "PATCH",
            "/beta/chatapp-accounts/messenger/1".into(),
            Some(r#"{"applications":null}"#),
            "applications",
        ),
        (
            "PATCH",
            "/beta/chatapp-accounts/messenger/1".into(),
            Some(r#"{"access_token":5}"#),
            "access_token",
        ),
    ];
    for (method, path, body, field) in cases {
        let answer = raw.api(method, &path, body).await;
        assert_eq!(answer.status, 400, "{method} {path} {body:?}");
        assert_eq!(
            answer.body["invalid_params"][0]["name"], field,
            "{method} {path} {body:?}"
        );
        assert_eq!(
            answer.body["title"],
            "Your request parameters didn't validate."
        );
    }
    // Nothing was changed by any of them.
    let accounts = raw.api("GET", "/beta/chatapp-accounts", None).await;
    assert_eq!(accounts.body["_embedded"].as_array().unwrap().len(), 4);
    let page = raw
        .api("GET", "/beta/chatapp-accounts/messenger/1", None)
        .await;
    assert_eq!(page.body["access_token"], "t");
}

#[tokio::test]
async fn a_method_a_path_does_not_have_is_405_with_allow() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    seed_channels(&raw).await;
    let cases = [
        (
            "PATCH",
            format!("/beta/chatapp-accounts/whatsapp/{WA}"),
            "GET",
        ),
        (
            "DELETE",
            format!("/beta/chatapp-accounts/whatsapp/{WA}"),
            "GET",
        ),
        (
            "PUT",
            "/beta/chatapp-accounts/viber_service_msg/vsm".into(),
            "GET",
        ),
        (
            "POST",
            "/beta/chatapp-accounts/messenger/1".into(),
            "GET,PATCH,DELETE",
        ),
        ("DELETE", "/beta/chatapp-accounts".into(), "GET"),
        ("GET", "/beta/chatapp-accounts/messenger".into(), "POST"),
        (
            "GET",
            format!("/beta/chatapp-accounts/whatsapp/{WA}/applications"),
            "POST",
        ),
        (
            "POST",
            format!("/beta/chatapp-accounts/whatsapp/{WA}/applications/x"),
            "DELETE",
        ),
    ];
    for (method, path, allowed) in cases {
        let answer = raw.api(method, &path, Some("{}")).await;
        assert_eq!(answer.status, 405, "{method} {path}");
        let allow = answer
            .headers
            .get("allow")
            .unwrap_or_else(|| panic!("{method} {path}: no Allow header"))
            .to_str()
            .unwrap()
            .to_string();
        let mut listed: Vec<&str> = allow.split(',').map(str::trim).collect();
        listed.retain(|m| *m != "HEAD");
        assert_eq!(listed.join(","), allowed, "{method} {path}");
        assert_eq!(
            answer.body["title"], "Method Not Allowed",
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn seeded_accounts_must_fit_the_schemas() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    for body in [
        r#"{"external_id":"1","provider":"telegram"}"#,
        r#"{"external_id":"1","provider":"messenger"}"#,
        r#"{"external_id":"1","provider":"whatsapp","access_token":"t"}"#,
        r#"{"external_id":"","provider":"whatsapp"}"#,
        r#"{"external_id":"1","provider":"whatsapp","applications":["a","b"]}"#,
    ] {
        let answer = raw
            .send("POST", "/_sandbox/accounts", Some(body), None)
            .await;
        assert_eq!(answer.status, 400, "{body}");
    }
    let accounts = raw.api("GET", "/beta/chatapp-accounts", None).await;
    assert_eq!(accounts.body["_embedded"], json!([]));
}

// ---- Application API v2: PUT replaces the whole application ----------------

const PEM: &str =
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";

fn messages_app(name: &str, inbound: &str, key: Option<&str>) -> String {
    let mut body = json!({
        "name": name,
        "capabilities": {
            "messages": {
                "webhooks": {
                    "inbound_url": {"address": inbound, "http_method": "POST"},
                    "status_url": {"address": "https://example.com/status", "http_method": "POST"}
                },
                "version": "v1",
                "authenticate_inbound_media": false
            },
            "voice": {"webhooks": {"answer_url": {"address": "https://example.com/answer", "http_method": "GET"}}}
        }
    });
    if let Some(key) = key {
        body["keys"] = json!({ "public_key": key });
    }
    body.to_string()
}

#[tokio::test]
async fn application_put_replaces_the_whole_document_and_validates_it() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    let created = raw
        .api(
            "POST",
            "/v2/applications",
            Some(&messages_app("Bot", "https://example.com/in", Some(PEM))),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["keys"]["public_key"], PEM);
    assert!(
        created.body["keys"].get("private_key").is_none(),
        "a public key was given: no key pair is made"
    );
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/v2/applications/{id}");

    // A PUT that keeps voice and the key, with a new inbound URL.
    let put = raw
        .api(
            "PUT",
            &path,
            Some(&messages_app("Bot 2", "https://example.com/in2", Some(PEM))),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let read = raw.api("GET", &path, None).await;
    assert_eq!(read.body["name"], "Bot 2");
    assert_eq!(
        read.body["capabilities"]["messages"]["webhooks"]["inbound_url"]["address"],
        "https://example.com/in2"
    );
    assert!(read.body["capabilities"]["voice"].is_object());
    assert_eq!(read.body["keys"]["public_key"], PEM);

    // What a PUT leaves out is gone: here the voice capability and the key.
    let bare = json!({"name": "Bot 3", "capabilities": {"messages": {"webhooks": {}}}});
    let put = raw.api("PUT", &path, Some(&bare.to_string())).await;
    assert_eq!(put.status, 200);
    let read = raw.api("GET", &path, None).await;
    assert!(read.body["capabilities"].get("voice").is_none());
    assert!(read.body["keys"].get("public_key").is_none());

    // Validation: 400 with `invalid_parameters`, nothing changed.
    let bad = json!({
        "capabilities": {"messages": {
            "webhooks": {"inbound_url": {"address": "ftp://x", "http_method": "PATCH"}},
            "version": "v2",
            "authenticate_inbound_media": "no"
        }},
        "keys": {"public_key": "-----BEGIN PRIVATE KEY-----"}
    });
    let refused = raw.api("PUT", &path, Some(&bad.to_string())).await;
    assert_eq!(refused.status, 400);
    let mut names: Vec<&str> = refused.body["invalid_parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "capabilities.messages.authenticate_inbound_media",
            "capabilities.messages.version",
            "capabilities.messages.webhooks.inbound_url.address",
            "capabilities.messages.webhooks.inbound_url.http_method",
            "keys.public_key",
            "name",
        ]
    );
    assert_eq!(raw.api("GET", &path, None).await.body["name"], "Bot 3");

    // Unknown id: the API's 404 problem document.
    let missing = raw
        .api(
            "PUT",
            "/v2/applications/00000000-0000-4000-8000-000000000000",
            Some(&messages_app("x", "https://example.com/in", None)),
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.body["detail"],
        "ID '00000000-0000-4000-8000-000000000000' does not exist, or you do not have access"
    );
    // Logged like every other request.
    let log = raw.requests().await;
    assert!(
        log.iter()
            .any(|e| e["method"] == "PUT" && e["path"] == path && e["status"] == 200)
    );
}

#[tokio::test]
async fn application_created_without_a_public_key_hands_out_a_private_key_once() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    let created = raw
        .api(
            "POST",
            "/v2/applications",
            Some(&messages_app("Bot", "https://example.com/in", None)),
        )
        .await;
    assert_eq!(created.status, 201);
    assert!(created.body["keys"]["private_key"].is_string());
    let id = created.body["id"].as_str().unwrap();
    let read = raw
        .api("GET", &format!("/v2/applications/{id}"), None)
        .await;
    assert!(read.body["keys"].get("private_key").is_none());
    assert!(read.body["keys"]["public_key"].is_string());
}

#[tokio::test]
async fn deleting_an_application_unlinks_its_accounts() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    let created = raw
        .api(
            "POST",
            "/v2/applications",
            Some(&messages_app("Bot", "https://example.com/in", Some(PEM))),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let connect = json!({"external_id": "1", "access_token": "t", "applications": [id]});
    let connected = raw
        .api(
            "POST",
            "/beta/chatapp-accounts/messenger",
            Some(&connect.to_string()),
        )
        .await;
    assert_eq!(connected.status, 201);
    let deleted = raw
        .api("DELETE", &format!("/v2/applications/{id}"), None)
        .await;
    assert_eq!(deleted.status, 204);
    let page = raw
        .api("GET", "/beta/chatapp-accounts/messenger/1", None)
        .await;
    assert_eq!(page.body["applications"], json!([]));
}
