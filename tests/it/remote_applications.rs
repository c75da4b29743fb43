//! The client's Application API v2 calls against the sandbox.

use crate::support::*;
use socialform::remote::{ApiError, NewApplication};

#[tokio::test]
async fn create_read_delete() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);

    let app = client
        .create_application(&NewApplication {
            name: "Bot".into(),
            messages_inbound_url: Some("https://example.com/inbound".into()),
        })
        .await
        .unwrap();
    assert!(app.has_messages);
    assert_eq!(app.name, "Bot");
    let id = uuid::Uuid::parse_str(&app.id).expect("a uuid");
    assert_eq!(id.get_version_num(), 4);

    assert_eq!(client.get_application(&app.id).await.unwrap(), app);

    // The new application can be linked right away.
    client
        .connect_messenger(&connect_request("1", &[&app.id]))
        .await
        .unwrap();

    client.delete_application(&app.id).await.unwrap();
    match client.get_application(&app.id).await {
        Err(ApiError::NotFound { detail }) => {
            assert_eq!(
                detail,
                format!("ID '{}' does not exist, or you do not have access", app.id)
            );
        }
        other => panic!("expected 404, got {other:?}"),
    }
    let again = client.delete_application(&app.id).await;
    assert!(matches!(again, Err(ApiError::NotFound { .. })), "{again:?}");
}

#[tokio::test]
async fn without_messages_capability() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let app = client
        .create_application(&NewApplication {
            name: "Voice only".into(),
            messages_inbound_url: None,
        })
        .await
        .unwrap();
    assert!(!app.has_messages);
    client
        .connect_messenger(&connect_request("1", &[]))
        .await
        .unwrap();
    let refused = client.link_application("messenger", "1", &app.id).await;
    assert!(
        matches!(refused, Err(ApiError::Forbidden { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn demo_applications_are_seeded() {
    let sandbox = sandbox().await;
    let apps = client(&sandbox).list_applications().await.unwrap();
    let mut expected: Vec<_> = socialform::sandbox::DEMO_APPLICATIONS
        .iter()
        .map(|(id, name, messages)| (id.to_string(), name.to_string(), *messages))
        .collect();
    expected.sort();
    let mut got: Vec<_> = apps
        .into_iter()
        .map(|a| (a.id, a.name, a.has_messages))
        .collect();
    got.sort();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn a_nameless_application_is_refused_with_invalid_parameters() {
    let sandbox = sandbox().await;
    let result = client(&sandbox)
        .create_application(&NewApplication {
            name: "  ".into(),
            messages_inbound_url: None,
        })
        .await;
    match result {
        Err(ApiError::Invalid { params, .. }) => assert_eq!(params[0].name, "name"),
        other => panic!("expected 400, got {other:?}"),
    }
}
