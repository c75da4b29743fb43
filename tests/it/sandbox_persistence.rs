//! With a data directory the sandbox keeps everything across restarts.

use crate::support::*;
use socialform::remote::NewApplication;
use socialform::sandbox::start;

#[tokio::test]
async fn restart_keeps_accounts_and_applications() {
    let dir = tempfile::tempdir().unwrap();
    let data = Some(dir.path().join("sandbox"));

    let first = start(options(data.clone())).await.unwrap();
    let api = client(&first);
    let app = api
        .create_application(&NewApplication {
            name: "Kept".into(),
            messages_inbound_url: Some("https://example.com/in".into()),
        })
        .await
        .unwrap();
    let mut request = connect_request("1", &[&app.id]);
    request.name = Some("Page one".into());
    api.connect_messenger(&request).await.unwrap();
    api.connect_messenger(&connect_request("2", &[]))
        .await
        .unwrap();
    api.disconnect_messenger("2").await.unwrap();
    api.delete_application(SALES_BOT).await.unwrap();
    first.shutdown().await;

    let second = start(options(data)).await.unwrap();
    let client = client(&second);
    let accounts = client.list_accounts(None).await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].external_id, "1");
    assert_eq!(accounts[0].name.as_deref(), Some("Page one"));
    assert_eq!(accounts[0].applications, vec![app.id.clone()]);
    assert_eq!(
        accounts[0].access_token.as_ref().unwrap().expose(),
        "EAAB-token-1"
    );

    let mut ids: Vec<_> = client
        .list_applications()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    ids.sort();
    // The store was not empty, so the deleted demo application stays deleted.
    let mut expected = vec![app.id, SUPPORT_BOT.to_string(), VOICE_APP.to_string()];
    expected.sort();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn without_a_data_directory_nothing_survives() {
    let first = sandbox().await;
    client(&first)
        .connect_messenger(&connect_request("1", &[]))
        .await
        .unwrap();
    first.shutdown().await;
    let second = sandbox().await;
    assert!(
        client(&second)
            .list_accounts(None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn dropping_the_handle_also_releases_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = Some(dir.path().to_path_buf());
    let first = start(options(data.clone())).await.unwrap();
    client(&first)
        .connect_messenger(&connect_request("1", &[]))
        .await
        .unwrap();
    drop(first);
    let second = start(options(data)).await.unwrap();
    let accounts = client(&second).list_accounts(None).await.unwrap();
    assert_eq!(accounts.len(), 1);
}
