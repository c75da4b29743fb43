//! The embedded sandbox `endpoint = "sandbox"` runs against, with its data
//! beside the configuration's local state.

use crate::sandbox::{self, SandboxHandle, SandboxOptions};
use crate::secret::Secret;
use anyhow::Context;
use std::path::Path;

/// Credentials of the embedded sandbox when none are configured.
pub(super) const CREDENTIAL: &str = "sandbox";

/// Starts the emulator on a loopback port, seeded with the demo accounts.
pub(super) async fn start(
    state_dir: &Path,
    api_key: &str,
    api_secret: &Secret,
) -> anyhow::Result<SandboxHandle> {
    std::fs::create_dir_all(state_dir).with_context(|| {
        format!(
            "could not create the state directory {}",
            state_dir.display()
        )
    })?;
    let data = state_dir.join("sandbox");
    crate::private_fs::private_by_default();
    crate::private_fs::make_private(&data)
        .with_context(|| format!("could not restrict access to {}", data.display()))?;
    let handle = sandbox::start(SandboxOptions {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        api_key: api_key.to_string(),
        api_secret: api_secret.expose().to_string(),
        data: Some(data),
        faults: Default::default(),
        seed_demo: true,
        tls: None,
    })
    .await
    .context("could not start the built-in sandbox")?;
    handle.seed_demo_accounts();
    Ok(handle)
}
