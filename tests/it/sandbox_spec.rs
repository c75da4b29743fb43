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
    let log = raw.requests().await;
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
