//! The client's account operations against the sandbox: every call and every
//! rule of the External Accounts API.

use crate::support::*;
use socialform::remote::{ApiError, UpdateRequest};

#[tokio::test]
async fn connect_read_update_disconnect_round_trip() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);

    let mut request = connect_request("107100000000001", &[SUPPORT_BOT]);
    request.name = Some("Acme Support".into());
    let created = client.connect_messenger(&request).await.unwrap();
    assert_eq!(created.external_id, "107100000000001");
    assert_eq!(created.provider, "messenger");
    assert_eq!(created.api_key, KEY);
    assert_eq!(created.name.as_deref(), Some("Acme Support"));
    assert_eq!(created.applications, vec![SUPPORT_BOT.to_string()]);
    // Reads return the token in clear, as the real API does.
    assert_eq!(
        created.access_token.as_ref().map(|t| t.expose()),
        Some("EAAB-token-107100000000001")
    );

    let read = client
        .get_account("messenger", "107100000000001")
        .await
        .unwrap();
    assert_eq!(read, created);

    let updated = client
        .update_messenger(
            "107100000000001",
            &UpdateRequest {
                access_token: Some("EAAB-fresh".into()),
                name: Some("Acme Help".into()),
                applications: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Acme Help"));
    assert_eq!(updated.access_token.unwrap().expose(), "EAAB-fresh");
    // Fields left out of the PATCH keep their value.
    assert_eq!(updated.applications, vec![SUPPORT_BOT.to_string()]);

    client
        .disconnect_messenger("107100000000001")
        .await
        .unwrap();
    let gone = client.get_account("messenger", "107100000000001").await;
    assert!(matches!(gone, Err(ApiError::NotFound { .. })), "{gone:?}");
    let again = client.disconnect_messenger("107100000000001").await;
    assert!(matches!(again, Err(ApiError::NotFound { .. })), "{again:?}");
}

#[tokio::test]
async fn connect_rules() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);

    let mut empty = connect_request("1", &[]);
    empty.external_id = String::new();
    empty.access_token = "".into();
    match client.connect_messenger(&empty).await {
        Err(ApiError::Invalid { params, .. }) => {
            let names: Vec<_> = params.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(names, ["external_id", "access_token"]);
        }
        other => panic!("expected 400, got {other:?}"),
    }

    let two = connect_request("1", &[SUPPORT_BOT, SALES_BOT]);
    match client.connect_messenger(&two).await {
        Err(ApiError::Invalid { params, .. }) => assert_eq!(params[0].name, "applications"),
        other => panic!("expected 400, got {other:?}"),
    }

    for app in [VOICE_APP, "00000000-0000-4000-8000-00000000dead"] {
        let result = client
            .connect_messenger(&connect_request("1", &[app]))
            .await;
        assert!(
            matches!(result, Err(ApiError::Forbidden { .. })),
            "{result:?}"
        );
    }

    client
        .connect_messenger(&connect_request("1", &[]))
        .await
        .unwrap();
    let twice = client.connect_messenger(&connect_request("1", &[])).await;
    assert!(matches!(twice, Err(ApiError::Conflict { .. })), "{twice:?}");
}

#[tokio::test]
async fn update_rules() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let missing = client
        .update_messenger("404", &UpdateRequest::default())
        .await;
    assert!(
        matches!(missing, Err(ApiError::NotFound { .. })),
        "{missing:?}"
    );

    client
        .connect_messenger(&connect_request("1", &[]))
        .await
        .unwrap();
    let bad_app = client
        .update_messenger(
            "1",
            &UpdateRequest {
                applications: Some(vec![VOICE_APP.into()]),
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(bad_app, Err(ApiError::Forbidden { .. })),
        "{bad_app:?}"
    );

    let two = client
        .update_messenger(
            "1",
            &UpdateRequest {
                applications: Some(vec![SUPPORT_BOT.into(), SALES_BOT.into()]),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(two, Err(ApiError::Invalid { .. })), "{two:?}");

    let linked = client
        .update_messenger(
            "1",
            &UpdateRequest {
                applications: Some(vec![SALES_BOT.into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(linked.applications, vec![SALES_BOT.to_string()]);
}

#[tokio::test]
async fn one_application_per_page() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    client
        .connect_messenger(&connect_request("1", &[]))
        .await
        .unwrap();

    let account = client
        .link_application("messenger", "1", SUPPORT_BOT)
        .await
        .unwrap();
    assert_eq!(account.applications, vec![SUPPORT_BOT.to_string()]);

    // A second link, even of the same application, is refused.
    for app in [SALES_BOT, SUPPORT_BOT] {
        let result = client.link_application("messenger", "1", app).await;
        assert!(
            matches!(result, Err(ApiError::Conflict { .. })),
            "{result:?}"
        );
    }

    // Unlinking an application that is not linked is a conflict too.
    let wrong = client.unlink_application("messenger", "1", SALES_BOT).await;
    assert!(matches!(wrong, Err(ApiError::Conflict { .. })), "{wrong:?}");

    // Relink = unlink, then link.
    client
        .unlink_application("messenger", "1", SUPPORT_BOT)
        .await
        .unwrap();
    let relinked = client
        .link_application("messenger", "1", SALES_BOT)
        .await
        .unwrap();
    assert_eq!(relinked.applications, vec![SALES_BOT.to_string()]);
}

#[tokio::test]
async fn link_rules() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);

    let unknown_page = client
        .link_application("messenger", "404", SUPPORT_BOT)
        .await;
    assert!(
        matches!(unknown_page, Err(ApiError::NotFound { .. })),
        "{unknown_page:?}"
    );
    let unknown_page = client
        .unlink_application("messenger", "404", SUPPORT_BOT)
        .await;
    assert!(
        matches!(unknown_page, Err(ApiError::NotFound { .. })),
        "{unknown_page:?}"
    );

    client
        .connect_messenger(&connect_request("1", &[]))
        .await
        .unwrap();
    for app in [VOICE_APP, "no-such-app"] {
        let result = client.link_application("messenger", "1", app).await;
        assert!(
            matches!(result, Err(ApiError::Forbidden { .. })),
            "{result:?}"
        );
    }
    let account = client.get_account("messenger", "1").await.unwrap();
    assert!(account.applications.is_empty());
}

#[tokio::test]
async fn other_providers_are_readable_and_linkable() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let raw = Raw::new(&sandbox);
    raw.seed_account(r#"{"external_id":"viber-1","provider":"viber_service_msg","name":"Viber"}"#)
        .await;
    raw.seed_account(r#"{"external_id":"447700900000","provider":"whatsapp"}"#)
        .await;

    let viber = client
        .get_account("viber_service_msg", "viber-1")
        .await
        .unwrap();
    assert_eq!(viber.name.as_deref(), Some("Viber"));
    assert!(viber.access_token.is_none());
    let linked = client
        .link_application("whatsapp", "447700900000", SUPPORT_BOT)
        .await
        .unwrap();
    assert_eq!(linked.provider, "whatsapp");
    assert_eq!(linked.applications, vec![SUPPORT_BOT.to_string()]);

    // Only messenger accounts are connected and disconnected through this API.
    let refused = client.get_account("messenger", "viber-1").await;
    assert!(
        matches!(refused, Err(ApiError::NotFound { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn ids_with_reserved_characters_stay_one_path_segment() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let odd = "page/with?odd#chars";
    client
        .connect_messenger(&connect_request(odd, &[]))
        .await
        .unwrap();
    let read = client.get_account("messenger", odd).await.unwrap();
    assert_eq!(read.external_id, odd);
}
