//! How many requests per second the sandbox serves over loopback through the
//! real client: 20,000 mixed requests from 16 concurrent tasks.
//!
//! Run with `cargo bench --bench sandbox_throughput`.

use socialform::remote::{Client, ClientConfig, ConnectRequest, RetryPolicy};
use socialform::sandbox::{DEMO_APPLICATIONS, Faults, SandboxOptions, start};
use std::time::{Duration, Instant};

const TASKS: usize = 16;
const REQUESTS: usize = 20_000;
const SEEDED_PAGES: usize = 300;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let sandbox = start(SandboxOptions {
        listen: "127.0.0.1:0".parse()?,
        api_key: "bench".into(),
        api_secret: "bench-secret".into(),
        data: None,
        faults: Faults::default(),
        seed_demo: true,
        tls: None,
    })
    .await?;
    let client = Client::new(ClientConfig {
        endpoint: sandbox.url(),
        api_key: "bench".into(),
        api_secret: "bench-secret".into(),
        timeout: Duration::from_secs(10),
        retry: RetryPolicy::default(),
        requests_per_second: 0.0,
        ca_file: None,
        direct: false,
    })?;
    let app = DEMO_APPLICATIONS[0].0;

    for i in 0..SEEDED_PAGES {
        client
            .connect_messenger(&connect(format!("seed-{i}")))
            .await?;
    }

    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..TASKS {
        let client = client.clone();
        tasks.spawn(async move {
            let mut own = String::new();
            for k in 0..REQUESTS / TASKS {
                let seeded = format!("seed-{}", (task * 31 + k) % SEEDED_PAGES);
                // 40% list pages and reads, 10% application reads, 40% writes
                // cycling connect → link → unlink → disconnect on a page of
                // this task's own, so the tasks never conflict.
                let step = k % 10;
                match step {
                    0 | 1 => {
                        let page = (k / 10 % 3) as u32 + 1;
                        client.list_accounts_page(None, page, 100).await.map(drop)
                    }
                    2..=4 => client.get_account("messenger", &seeded).await.map(drop),
                    5 => client.get_application(app).await.map(drop),
                    6 => {
                        own = format!("bench-{task}-{k}");
                        client
                            .connect_messenger(&connect(own.clone()))
                            .await
                            .map(drop)
                    }
                    7 => client
                        .link_application("messenger", &own, app)
                        .await
                        .map(drop),
                    8 => client.unlink_application("messenger", &own, app).await,
                    _ => client.disconnect_messenger(&own).await,
                }?;
            }
            Ok::<(), socialform::remote::ApiError>(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined??;
    }
    let elapsed = started.elapsed();
    let done = REQUESTS / TASKS * TASKS;
    println!(
        "sandbox_throughput: {done} requests from {TASKS} tasks in {:.2?} = {:.0} requests/second",
        elapsed,
        done as f64 / elapsed.as_secs_f64()
    );
    sandbox.shutdown().await;
    Ok(())
}

fn connect(page: String) -> ConnectRequest {
    ConnectRequest {
        external_id: page,
        access_token: "EAAB-bench".into(),
        name: None,
        applications: Vec::new(),
    }
}
