//! Bulk reads: the whole account and application lists in as few requests as
//! the server allows.

use crate::support::*;
use socialform::remote::NewApplication;

async fn seed_messenger_pages(raw: &Raw, count: usize) {
    for i in 0..count {
        raw.seed_account(&format!(
            r#"{{"external_id":"1071{i:011}","provider":"messenger","access_token":"t{i}"}}"#
        ))
        .await;
    }
}

fn list_queries(requests: &[serde_json::Value], path: &str) -> Vec<String> {
    let mut queries: Vec<String> = requests
        .iter()
        .filter(|r| r["method"] == "GET" && r["path"] == path)
        .map(|r| r["query"].as_str().unwrap_or("").to_owned())
        .collect();
    // Pages after the first are fetched concurrently, in no fixed order.
    queries.sort();
    queries
}

#[tokio::test]
async fn all_250_accounts_in_three_list_requests() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    seed_messenger_pages(&raw, 250).await;
    raw.clear_requests().await;

    let accounts = client(&sandbox).list_accounts(None).await.unwrap();
    assert_eq!(accounts.len(), 250);
    let mut ids: Vec<_> = accounts.iter().map(|a| a.external_id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 250, "no duplicates, in stable order");
    assert!(
        accounts
            .windows(2)
            .all(|w| w[0].external_id < w[1].external_id)
    );

    let requests = raw.requests().await;
    assert_eq!(
        list_queries(&requests, "/beta/chatapp-accounts"),
        [
            "page_number=1&page_size=100",
            "page_number=2&page_size=100",
            "page_number=3&page_size=100",
        ]
    );
    assert_eq!(requests.len(), 3, "nothing but the three pages");
}

#[tokio::test]
async fn falls_back_to_the_default_page_size_when_100_is_refused() {
    let sandbox = sandbox().await;
    sandbox.set_max_page_size(20);
    let raw = Raw::new(&sandbox);
    seed_messenger_pages(&raw, 45).await;
    raw.clear_requests().await;

    let accounts = client(&sandbox).list_accounts(None).await.unwrap();
    assert_eq!(accounts.len(), 45);
    let calls = raw.calls().await;
    assert_eq!(calls[0], "GET /beta/chatapp-accounts -> 400");
    assert_eq!(calls.len(), 1 + 3, "{calls:?}");
    assert_eq!(
        list_queries(&raw.requests().await, "/beta/chatapp-accounts"),
        [
            "page_number=1&page_size=100",
            "page_number=1&page_size=20",
            "page_number=2&page_size=20",
            "page_number=3&page_size=20",
        ]
    );
}

/// Lists `accounts` seeded accounts with a guess of `expected`, on a server
/// whose largest page is `max_page_size`. Returns how many accounts came
/// back, how many distinct ones, and the list queries sent (sorted).
async fn list_with_guess(
    accounts: usize,
    expected: usize,
    max_page_size: u32,
) -> (usize, usize, Vec<String>) {
    let sandbox = sandbox().await;
    sandbox.set_max_page_size(max_page_size);
    let raw = Raw::new(&sandbox);
    seed_messenger_pages(&raw, accounts).await;
    raw.clear_requests().await;

    let listed = client(&sandbox)
        .list_accounts_expecting(None, expected)
        .await
        .unwrap();
    let distinct: std::collections::BTreeSet<_> = listed.iter().map(|a| &a.external_id).collect();
    let requests = raw.requests().await;
    assert_eq!(
        requests.len(),
        list_queries(&requests, "/beta/chatapp-accounts").len(),
        "nothing but account list requests"
    );
    (
        listed.len(),
        distinct.len(),
        list_queries(&requests, "/beta/chatapp-accounts"),
    )
}

#[tokio::test]
async fn a_good_guess_reads_the_same_pages_and_nothing_more() {
    let (listed, distinct, queries) = list_with_guess(250, 250, 100).await;
    assert_eq!((listed, distinct), (250, 250));
    assert_eq!(
        queries,
        [
            "page_number=1&page_size=100",
            "page_number=2&page_size=100",
            "page_number=3&page_size=100",
        ]
    );
}

#[tokio::test]
async fn guessed_pages_are_asked_for_before_the_first_page_answers() {
    // The server refuses page_size=100, so the first page's answer is a 400:
    // a client that waited for it would never ask for page 2 at that size.
    let (listed, distinct, queries) = list_with_guess(45, 250, 20).await;
    assert_eq!(
        (listed, distinct),
        (45, 45),
        "the refused guesses are dropped"
    );
    assert_eq!(
        queries,
        [
            "page_number=1&page_size=100",
            "page_number=1&page_size=20",
            "page_number=2&page_size=100",
            "page_number=2&page_size=20",
            "page_number=3&page_size=100",
            "page_number=3&page_size=20",
        ]
    );
}

#[tokio::test]
async fn a_guess_too_high_costs_at_most_a_round_of_requests() {
    let (listed, distinct, queries) = list_with_guess(250, 1_000_000, 100).await;
    assert_eq!(
        (listed, distinct),
        (250, 250),
        "pages past the end add nothing"
    );
    // One slot of the first round is left for the application list.
    assert_eq!(queries.len(), 15, "{queries:?}");
}

#[tokio::test]
async fn a_guess_too_low_reads_the_rest_as_usual() {
    let (listed, distinct, queries) = list_with_guess(250, 150, 100).await;
    assert_eq!((listed, distinct), (250, 250));
    assert_eq!(queries.len(), 3, "{queries:?}");
}

#[tokio::test]
async fn provider_filter_is_sent_and_honoured() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    seed_messenger_pages(&raw, 3).await;
    raw.seed_account(r#"{"external_id":"v1","provider":"viber_service_msg"}"#)
        .await;
    raw.clear_requests().await;

    let client = client(&sandbox);
    let messenger = client.list_accounts(Some("messenger")).await.unwrap();
    assert_eq!(messenger.len(), 3);
    assert!(messenger.iter().all(|a| a.provider == "messenger"));
    let everything = client.list_accounts(None).await.unwrap();
    assert_eq!(everything.len(), 4);
    let requests = raw.requests().await;
    assert_eq!(
        requests[0]["query"],
        "provider=messenger&page_number=1&page_size=100"
    );
}

#[tokio::test]
async fn empty_account_is_one_request() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    let accounts = client(&sandbox).list_accounts(None).await.unwrap();
    assert!(accounts.is_empty());
    assert_eq!(raw.calls().await, ["GET /beta/chatapp-accounts -> 200"]);
}

#[tokio::test]
async fn one_page_reports_its_links() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    seed_messenger_pages(&raw, 5).await;
    let page = client(&sandbox)
        .list_accounts_page(None, 2, 2)
        .await
        .unwrap();
    assert_eq!(page.page_number, 2);
    assert_eq!(page.page_size, 2);
    assert_eq!(page.last_page, Some(3));
    assert!(page.has_next);
    assert_eq!(page.accounts.len(), 2);
    assert_eq!(page.accounts[0].external_id, "107100000000002");
}

#[tokio::test]
async fn all_applications_in_as_many_requests_as_pages() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let raw = Raw::new(&sandbox);
    // 3 demo applications + 230 = 233 → 3 pages of 100.
    for i in 0..230 {
        client
            .create_application(&NewApplication {
                name: format!("app {i}"),
                messages_inbound_url: (i % 2 == 0).then(|| "https://example.com/in".into()),
            })
            .await
            .unwrap();
    }
    raw.clear_requests().await;

    let apps = client.list_applications().await.unwrap();
    assert_eq!(apps.len(), 233);
    assert_eq!(apps.iter().filter(|a| a.has_messages).count(), 115 + 2);
    assert_eq!(
        list_queries(&raw.requests().await, "/v2/applications"),
        [
            "page_size=100&page=1",
            "page_size=100&page=2",
            "page_size=100&page=3",
        ]
    );
}
