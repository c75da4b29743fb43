//! The routes, at the production paths.

use super::gate::api_gate;
use super::problem::Problem;
use super::state::Shared;
use super::{accounts, applications, control, graph};
use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{any, delete, get, post, put};
use std::sync::Arc;

pub(crate) fn build(shared: Arc<Shared>) -> Router {
    // Any provider is routed. One account path serves every method: which
    // exist depends on the provider (messenger: GET, PATCH, DELETE;
    // whatsapp and viber_service_msg: GET; anything else has no such path),
    // so the handler answers 404 or 405 with `Allow` itself. Elsewhere
    // axum's method routing adds `Allow` to the 405.
    let accounts_routes = Router::new()
        .route("/beta/chatapp-accounts", get(accounts::list))
        .route("/beta/chatapp-accounts/", get(accounts::list))
        .route("/beta/chatapp-accounts/messenger", post(accounts::connect))
        .route(
            "/beta/chatapp-accounts/{provider}/{id}",
            any(accounts::account),
        )
        .route(
            "/beta/chatapp-accounts/{provider}/{id}/applications",
            post(accounts::link),
        )
        .route(
            "/beta/chatapp-accounts/{provider}/{id}/applications/{app}",
            delete(accounts::unlink),
        );
    let application_routes = Router::new()
        .route(
            "/v2/applications",
            get(applications::list).post(applications::create),
        )
        .route(
            "/v2/applications/{id}",
            get(applications::get)
                .put(applications::replace)
                .delete(applications::delete),
        );
    let control_routes = Router::new()
        .route(
            "/_sandbox/requests",
            get(control::requests).delete(control::clear_requests),
        )
        .route(
            "/_sandbox/faults",
            get(control::faults).put(control::set_faults),
        )
        .route("/_sandbox/reset", post(control::reset))
        .route("/_sandbox/accounts", post(control::put_account))
        .route("/_sandbox/limits", put(control::set_limits))
        .route("/_sandbox/facebook/users", post(graph::control::put_user))
        .route(
            "/_sandbox/facebook/tokens",
            post(graph::control::mint_token).put(graph::control::change_token),
        )
        .route("/_sandbox/facebook/device", put(graph::control::set_device))
        .route(
            "/_sandbox/facebook/faults",
            post(graph::control::add_fault).delete(graph::control::clear_faults),
        )
        .route(
            "/_sandbox/facebook/usage",
            get(graph::control::get_usage).put(graph::control::set_usage),
        );

    Router::new()
        .merge(accounts_routes)
        .merge(application_routes)
        .merge(control_routes)
        .fallback(|| async { Problem::not_found("No such resource") })
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
        // Applied last so it wraps the fallbacks too: an unknown path still
        // needs authentication and still shows up in the log.
        .layer(from_fn_with_state(shared.clone(), api_gate))
        // Outermost: Graph's paths (none of which is a Vonage route) are
        // answered before the Vonage gate could ask for Basic auth.
        .layer(from_fn_with_state(shared.clone(), graph::intercept))
        .with_state(shared)
}
