//! Where the endpoint a client uses was configured, so that a bad one is
//! refused naming the place to fix it.

use crate::desired::Location;

pub(super) enum EndpointOrigin {
    /// `endpoint = ...` in the provider block, at this place.
    Config(Location),
    VonageEnv,
    FacebookEnv,
    Default,
}

impl EndpointOrigin {
    /// The configured origin of a block's endpoint, when the block set one.
    pub(super) fn of_block(location: &Option<Location>) -> EndpointOrigin {
        match location {
            Some(at) => EndpointOrigin::Config(at.clone()),
            None => EndpointOrigin::Default,
        }
    }

    /// Refuses an endpoint that is not an http(s) URL, saying where it was
    /// set and what to write instead.
    pub(super) fn check(&self, endpoint: &str, provider: &str) -> anyhow::Result<()> {
        let Some(suggestion) = crate::endpoint::fix(endpoint) else {
            return Ok(());
        };
        let place = match self {
            EndpointOrigin::Config(at) => {
                format!("{at}: the provider \"{provider}\" block's endpoint")
            }
            EndpointOrigin::VonageEnv => "VONAGE_ENDPOINT".to_string(),
            EndpointOrigin::FacebookEnv => "FACEBOOK_GRAPH_ENDPOINT".to_string(),
            EndpointOrigin::Default => "the endpoint".to_string(),
        };
        let how = match self {
            EndpointOrigin::VonageEnv => format!("VONAGE_ENDPOINT={suggestion}"),
            EndpointOrigin::FacebookEnv => format!("FACEBOOK_GRAPH_ENDPOINT={suggestion}"),
            _ => format!("endpoint = \"{suggestion}\""),
        };
        anyhow::bail!(
            "{place} is {endpoint:?}, which is not an http(s) URL: write {how} \
             (with the scheme), or \"sandbox\" for the built-in emulator"
        )
    }
}

impl std::fmt::Display for EndpointOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndpointOrigin::Config(at) => write!(f, "endpoint set at {at}"),
            EndpointOrigin::VonageEnv => write!(f, "endpoint set by VONAGE_ENDPOINT"),
            EndpointOrigin::FacebookEnv => write!(f, "endpoint set by FACEBOOK_GRAPH_ENDPOINT"),
            EndpointOrigin::Default => write!(f, "the default endpoint"),
        }
    }
}
