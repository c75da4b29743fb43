//! Fault injection, and how the client copes with each fault.

use crate::support::*;
use socialform::remote::ApiError;
use socialform::sandbox::{Faults, start};
use std::time::{Duration, Instant};

#[tokio::test]
async fn error_rate_answers_503_and_changes_nothing() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    let client = client(&sandbox);
    assert_eq!(raw.faults(r#"{"error_rate":1}"#).await.status, 200);

    let result = client.connect_messenger(&connect_request("1", &[])).await;
    match &result {
        Err(e @ ApiError::Server { status: 503, .. }) => assert!(e.outcome_unknown()),
        other => panic!("expected 503, got {other:?}"),
    }
    // Reads are not mutating and still work.
    let listed = client.list_accounts(None).await.unwrap();
    assert!(listed.is_empty(), "the 503 changed nothing");
    // A write is never repeated after a 5xx: exactly one POST reached the server.
    assert_eq!(
        raw.calls().await,
        [
            "POST /beta/chatapp-accounts/messenger -> 503",
            "GET /beta/chatapp-accounts -> 200"
        ]
    );

    raw.faults(r#"{"error_rate":0}"#).await;
    client
        .connect_messenger(&connect_request("1", &[]))
        .await
        .unwrap();
}

#[tokio::test]
async fn ambiguous_rate_takes_effect_but_answers_500() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    let client = client(&sandbox);
    raw.faults(r#"{"ambiguous_rate":1.0}"#).await;

    let result = client.connect_messenger(&connect_request("1", &[])).await;
    assert!(
        matches!(result, Err(ApiError::Server { status: 500, .. })),
        "{result:?}"
    );
    let account = client.get_account("messenger", "1").await.unwrap();
    assert_eq!(account.external_id, "1", "the write took effect");
    let posts = raw
        .calls()
        .await
        .into_iter()
        .filter(|c| c.starts_with("POST"))
        .count();
    assert_eq!(posts, 1);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_and_reads_retry() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    let client = client(&sandbox);
    raw.faults(r#"{"rate_limit":1}"#).await;

    // Spend the one request this second, then see the 429 on the wire.
    let first = raw.api("GET", "/v2/applications", None).await;
    let throttled = raw.api("GET", "/v2/applications", None).await;
    if first.status == 200 {
        assert_eq!(throttled.status, 429);
        assert_eq!(throttled.body["title"], "throttled");
        let retry_after: u64 = throttled.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry_after >= 1);
    } else {
        // The window may have just rolled over; the first one was throttled.
        assert_eq!(first.status, 429);
    }

    raw.clear_requests().await;
    let apps = client.list_applications().await.unwrap();
    assert_eq!(apps.len(), 3);
    let calls = raw.calls().await;
    assert_eq!(calls.last().unwrap(), "GET /v2/applications -> 200");
    assert!(
        calls
            .iter()
            .all(|c| c.ends_with("-> 429") || c.ends_with("-> 200")),
        "{calls:?}"
    );
}

#[tokio::test]
async fn throttled_writes_are_repeated_because_nothing_happened() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    let client = client(&sandbox);
    raw.faults(r#"{"rate_limit":1}"#).await;
    // Use up the window so the next request is throttled.
    raw.api("GET", "/v2/applications", None).await;

    let account = client
        .connect_messenger(&connect_request("1", &[]))
        .await
        .unwrap();
    assert_eq!(account.external_id, "1");
    let posts: Vec<_> = raw
        .calls()
        .await
        .into_iter()
        .filter(|c| c.starts_with("POST"))
        .collect();
    assert_eq!(
        posts.last().unwrap(),
        "POST /beta/chatapp-accounts/messenger -> 201"
    );
    assert!(
        posts.len() >= 2,
        "the first attempt was throttled: {posts:?}"
    );
}

#[tokio::test]
async fn a_client_without_retries_sees_the_throttle() {
    let sandbox = start(socialform::sandbox::SandboxOptions {
        faults: Faults {
            rate_limit: 1,
            ..Faults::default()
        },
        ..options(None)
    })
    .await
    .unwrap();
    // Burn the single slot with a raw request, then ask with one attempt only.
    let raw = Raw::new(&sandbox);
    raw.api("GET", "/v2/applications", None).await;
    let no_retry = socialform::remote::Client::new(socialform::remote::ClientConfig {
        endpoint: sandbox.url(),
        api_key: KEY.into(),
        api_secret: SECRET.into(),
        timeout: Duration::from_secs(5),
        retry: socialform::remote::RetryPolicy {
            max_attempts: 1,
            ..fast_retry()
        },
        requests_per_second: 0.0,
        ca_file: None,
        direct: false,
    })
    .unwrap();
    match no_retry.get_application(SUPPORT_BOT).await {
        Err(ApiError::Throttled { retry_after }) => {
            assert!(retry_after.is_some_and(|d| d >= Duration::from_secs(1)));
        }
        // The window rolled over between the two requests.
        Ok(app) => assert_eq!(app.id, SUPPORT_BOT),
        Err(other) => panic!("expected 429, got {other:?}"),
    }
}

#[tokio::test]
async fn latency_delays_every_api_request() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    let client = client(&sandbox);
    let set = raw.faults(r#"{"latency_ms":60}"#).await;
    assert_eq!(set.body["latency_ms"], 60);
    assert_eq!(sandbox.faults().latency_ms, 60);

    // A lower bound only: the sandbox must have waited at least this long.
    let started = Instant::now();
    client.get_application(SUPPORT_BOT).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(60));
}

#[tokio::test]
async fn the_largest_latency_holds_requests_without_breaking_the_sandbox() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    raw.faults(&format!(r#"{{"latency_ms":{}}}"#, u64::MAX))
        .await;

    // The request is held (the client gives up waiting), not dropped.
    let held = raw
        .http
        .get(format!("{}/v2/applications", raw.base))
        .basic_auth("sandbox", Some("sandbox"))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(held.is_timeout(), "{held:?}");

    raw.faults(r#"{"latency_ms":0}"#).await;
    client(&sandbox).get_application(SUPPORT_BOT).await.unwrap();
}

#[tokio::test]
async fn faults_endpoint_keeps_omitted_fields_and_rejects_nonsense() {
    let sandbox = sandbox().await;
    let raw = Raw::new(&sandbox);
    raw.faults(r#"{"latency_ms":5,"error_rate":0.25,"seed":11}"#)
        .await;
    let after = raw.faults(r#"{"rate_limit":100}"#).await;
    assert_eq!(after.status, 200);
    assert_eq!(
        sandbox.faults(),
        Faults {
            latency_ms: 5,
            error_rate: 0.25,
            ambiguous_rate: 0.0,
            rate_limit: 100,
            retry_after: socialform::sandbox::RetryAfter::Window,
            seed: Some(11),
        }
    );
    assert_eq!(
        after.body,
        serde_json::json!({"latency_ms": 5, "error_rate": 0.25, "ambiguous_rate": 0.0,
                           "rate_limit": 100, "retry_after": "window", "seed": 11})
    );
    assert_eq!(raw.faults(r#"{"error_rate":2}"#).await.status, 400);
    assert_eq!(raw.faults(r#"{"latency":5}"#).await.status, 400);
    assert_eq!(raw.faults("not json").await.status, 400);
    assert_eq!(
        sandbox.faults().error_rate,
        0.25,
        "refused patches change nothing"
    );
    // Control endpoints are never subject to faults nor logged.
    assert!(raw.requests().await.is_empty());
}

/// The statuses of `n` connects of fresh pages, one after another.
async fn connect_statuses(raw: &Raw, n: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for i in 0..n {
        let body = format!(r#"{{"external_id":"10990000000{i:04}","access_token":"EAAB-seeded"}}"#);
        statuses.push(
            raw.api("POST", "/beta/chatapp-accounts/messenger", Some(&body))
                .await
                .status,
        );
    }
    statuses
}

/// A seed replays the faults: the same requests, in the same order, meet
/// the same refusals and ambiguous answers; a start without a seed reports
/// the one it drew, so that run can be replayed too.
#[tokio::test]
async fn a_fault_seed_replays_the_same_faults() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let sandbox = sandbox().await;
        let raw = Raw::new(&sandbox);
        raw.faults(r#"{"error_rate":0.3,"ambiguous_rate":0.3,"seed":2024}"#)
            .await;
        runs.push(connect_statuses(&raw, 40).await);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&503) && runs[0].contains(&500) && runs[0].contains(&201));

    let drawn = start(options(None)).await.expect("sandbox starts");
    let seed = drawn.faults().seed.expect("a drawn seed is reported");
    let raw = Raw::new(&drawn);
    raw.faults(r#"{"error_rate":0.5}"#).await;
    let first = connect_statuses(&raw, 20).await;
    raw.faults(&format!(r#"{{"seed":{seed}}}"#)).await;
    raw.clear_requests().await;
    // The pages exist now; the replay connects other ones.
    let replay = {
        let mut statuses = Vec::new();
        for i in 0..20 {
            let body =
                format!(r#"{{"external_id":"10980000000{i:04}","access_token":"EAAB-seeded"}}"#);
            statuses.push(
                raw.api("POST", "/beta/chatapp-accounts/messenger", Some(&body))
                    .await
                    .status,
            );
        }
        statuses
    };
    assert_eq!(first, replay);
}
