//! `socialform sandbox serve`

use super::EXIT_OK;
use super::args::SandboxServeArgs;
use crate::sandbox::{self, Faults, SandboxOptions};
use anyhow::bail;

pub async fn serve(args: SandboxServeArgs) -> anyhow::Result<u8> {
    for (name, rate) in [
        ("--error-rate", args.error_rate),
        ("--ambiguous-rate", args.ambiguous_rate),
    ] {
        if !(0.0..=1.0).contains(&rate) {
            bail!("{name} must be between 0 and 1, got {rate}");
        }
    }
    sandbox::serve(SandboxOptions {
        listen: args.listen,
        api_key: args.api_key,
        api_secret: args.api_secret,
        data: args.data,
        faults: Faults {
            latency_ms: args.latency_ms,
            error_rate: args.error_rate,
            ambiguous_rate: args.ambiguous_rate,
            rate_limit: args.rate_limit,
            seed: args.fault_seed,
        },
        seed_demo: args.seed_demo,
    })
    .await?;
    Ok(EXIT_OK)
}
