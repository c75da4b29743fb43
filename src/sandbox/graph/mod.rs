//! The subset of Facebook's Graph API socialform uses, at Graph's own paths
//! (with or without a `/vNN.N` prefix), in the same server as the Vonage
//! APIs: `GET /me/accounts`, `GET /me`, `GET /debug_token`,
//! `GET /{page-id}` and batch `POST /`.
//!
//! Graph requests never meet the Vonage gate: Graph authenticates by token,
//! not Basic auth, and answers in its own error shape. They get their own
//! front door here (`intercept`), which logs them with their tokens
//! redacted, serves the latency fault like the Vonage side, and then the
//! Graph-only injected faults.
//!
//! Every answer that is Graph's own (not an injected fault) carries
//! `X-App-Usage`, and `X-Business-Use-Case-Usage` when a call in it was
//! scoped to a page; `usage.rs` keeps those budgets and refuses calls once
//! one is spent.

pub(crate) mod control;
pub(crate) use login::DeviceSettings;
mod error;
pub(crate) mod faults;
mod login;
pub(crate) mod store;
pub(crate) mod usage;
mod wire;

use super::gate::serve_latency;
use super::state::Shared;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use error::{GraphError, TokenProblem};
use faults::GraphFault;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Instant;
use store::{GraphStore, Health, Owner, Page, TokenRecord, User, now};
use wire::GraphPath;

/// What `/me/accounts` lists per page when `fields` is absent (Graph's
/// default for the edge), and every field it knows.
const PAGE_FIELDS: &[&str] = &["id", "name", "access_token", "category", "tasks"];
const USER_FIELDS: &[&str] = &["id", "name"];
const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 100;
pub(crate) const MAX_BATCH: usize = 50;
/// More than 50 items of a few hundred bytes each never comes near this.
const MAX_BODY: usize = 1 << 20;

const APPLICATION: &str = "socialform sandbox";
const PAGE_SCOPES: &[&str] = &[
    "pages_messaging",
    "pages_manage_metadata",
    "pages_show_list",
];

/// The middleware in front of everything: Graph paths are answered here,
/// anything else goes on to the Vonage side.
pub(crate) async fn intercept(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(path) = wire::classify(request.uri().path()) else {
        return next.run(request).await;
    };
    let arrived = Instant::now();
    let query = request.uri().query().unwrap_or("").to_owned();
    let seq = shared.log_arrival(
        request.method().as_str(),
        request.uri().path(),
        &wire::redact_query(&query),
    );
    let response = serve(&shared, arrived, seq, path, request).await;
    shared.log_status(seq, response.status().as_u16());
    response
}

async fn serve(
    shared: &Shared,
    arrived: Instant,
    seq: u64,
    path: GraphPath,
    request: Request,
) -> Response {
    serve_latency(shared, arrived).await;
    match shared.next_graph_fault() {
        None => answer(shared, seq, path, request).await,
        Some(GraphFault::Html) => html_error_page(),
        Some(GraphFault::ServerError) => GraphError::server().into_response(),
        Some(GraphFault::Throttle) => GraphError::throttled().into_response(),
        Some(GraphFault::MalformedJson) => {
            truncated(answer(shared, seq, path, request).await).await
        }
    }
}

fn html_error_page() -> Response {
    (
        StatusCode::BAD_GATEWAY,
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\
         <body><h1>502 Bad Gateway</h1><p>The upstream server did not answer in time.</p></body></html>\n",
    )
        .into_response()
}

/// The same answer with the second half of its body cut off. Every Graph
/// answer is a JSON object or array, and no proper prefix of one is JSON.
async fn truncated(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
}

/// A token given as `Authorization: Bearer …` (or Graph's older `OAuth …`).
fn header_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn parse_pairs(raw: &str) -> Result<Vec<(String, String)>, GraphError> {
    serde_urlencoded::from_str(raw)
        .map_err(|_| GraphError::param("(#100) The query string could not be read"))
}

fn origin(headers: &HeaderMap) -> String {
    super::request::origin(headers)
}

/// Graph's answer, with the usage headers as they stand once it is made.
async fn answer(shared: &Shared, seq: u64, path: GraphPath, request: Request) -> Response {
    let mut touched = Vec::new();
    let admitted = shared.graph().usage.admit(Instant::now());
    let mut response = match admitted {
        Ok(()) => graph_answer(shared, seq, path, request, &mut touched).await,
        Err(refused) => refused.into_response(),
    };
    touched.sort();
    touched.dedup();
    let (app, buc) = shared.graph().usage.headers(&touched, Instant::now());
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-app-usage", Some(app)),
        ("x-business-use-case-usage", buc),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    }
    response
}

/// `touched` collects the pages the calls were scoped to, for the headers.
async fn graph_answer(
    shared: &Shared,
    seq: u64,
    path: GraphPath,
    request: Request,
    touched: &mut Vec<String>,
) -> Response {
    let method = request.method().clone();
    let pairs = match parse_pairs(request.uri().query().unwrap_or("")) {
        Ok(pairs) => pairs,
        Err(e) => return e.into_response(),
    };
    let token = query_value(&pairs, "access_token")
        .map(str::to_owned)
        .or_else(|| header_token(request.headers()));
    let origin = origin(request.headers());
    let raw_path = request.uri().path().to_owned();
    if path.is_login() {
        return login_answer(
            shared,
            &method,
            &path,
            pairs,
            token.as_deref(),
            &origin,
            request,
        )
        .await;
    }
    let result = match (&method, &path) {
        (&Method::POST, GraphPath::Root) => {
            let body = match to_bytes(request.into_body(), MAX_BODY).await {
                Ok(body) => body,
                Err(_) => {
                    return GraphError::param("(#100) The request body is too large")
                        .into_response();
                }
            };
            batch(
                shared,
                seq,
                &pairs,
                token.as_deref(),
                &body,
                &origin,
                touched,
            )
        }
        (_, GraphPath::Unknown) => Err(GraphError::unknown_path(method.as_str())),
        (&Method::GET, GraphPath::Root) => Err(GraphError::param(
            "Unsupported get request. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        )),
        (&Method::GET, path) => {
            let call = Get {
                path,
                pairs: &pairs,
                token: token.as_deref(),
                origin: &origin,
                raw_path: &raw_path,
            };
            get(&mut shared.graph(), &call, touched)
        }
        (method, _) => Err(GraphError::param(format!(
            "Unsupported {} request.",
            method.as_str().to_ascii_lowercase()
        ))),
    };
    match result {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Facebook Login's paths: the dialog and device pages answer HTML (or a
/// redirect), the rest Graph's JSON. A POST's form fields join the
/// query's, as Graph reads either.
async fn login_answer(
    shared: &Shared,
    method: &Method,
    path: &GraphPath,
    mut pairs: Vec<(String, String)>,
    token: Option<&str>,
    origin: &str,
    request: Request,
) -> Response {
    if method == Method::POST {
        let form = match to_bytes(request.into_body(), MAX_BODY).await {
            Ok(body) => serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body),
            Err(_) => {
                return GraphError::param("(#100) The request body is too large").into_response();
            }
        };
        match form {
            Ok(form) => pairs.extend(form),
            Err(_) => {
                return GraphError::param("(#100) The request body could not be read as a form")
                    .into_response();
            }
        }
    }
    let mut store = shared.graph();
    let result = match (method, path) {
        (&Method::GET, GraphPath::Dialog) => return login::dialog_page(&pairs),
        (&Method::POST, GraphPath::Dialog) => return login::dialog_submit(&mut store, &pairs),
        (&Method::GET, GraphPath::DevicePage) => return login::device_page(),
        (&Method::POST, GraphPath::DevicePage) => return login::device_submit(&mut store, &pairs),
        (&Method::GET | &Method::POST, GraphPath::OAuthAccessToken) => {
            login::access_token(&mut store, &pairs)
        }
        (&Method::POST, GraphPath::DeviceLogin) => {
            login::device_login(&mut store, &pairs, token, origin)
        }
        (&Method::POST, GraphPath::DeviceLoginStatus) => {
            login::device_status(&mut store, &pairs, token)
        }
        (method, _) => Err(GraphError::param(format!(
            "Unsupported {} request.",
            method.as_str().to_ascii_lowercase()
        ))),
    };
    match result {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// One GET, from the wire or from a batch item.
struct Get<'a> {
    path: &'a GraphPath,
    pairs: &'a [(String, String)],
    token: Option<&'a str>,
    /// `http://HOST`, for `paging.next`.
    origin: &'a str,
    /// The path as requested (version prefix included), for `paging.next`.
    raw_path: &'a str,
}

/// One call: charged to the app's budget, and to the page's when it is
/// scoped to one, then answered.
fn get(store: &mut GraphStore, call: &Get, touched: &mut Vec<String>) -> Result<Value, GraphError> {
    let page = page_scope(store, call);
    if let Some(page) = &page {
        touched.push(page.clone());
    }
    store.usage.charge(page.as_deref(), Instant::now())?;
    let fields = wire::fields(query_value(call.pairs, "fields"));
    match call.path {
        GraphPath::Me => me(store, call.token, fields),
        GraphPath::MeAccounts => me_accounts(store, call, fields),
        GraphPath::DebugToken => {
            debug_token(store, call.token, query_value(call.pairs, "input_token"))
        }
        GraphPath::Node(id) => node(store, call.token, id, fields),
        // Login's paths are not Graph nodes: a batch cannot reach them.
        _ => Err(GraphError::unknown_path("get")),
    }
}

/// The page a call counts against, as Graph's business-use-case limits
/// count: the page whose token makes it, else the page it reads. A token
/// or page the sandbox does not know scopes nothing.
fn page_scope(store: &GraphStore, call: &Get) -> Option<String> {
    if let Some(Owner::Page(id)) = call.token.and_then(|t| store.token(t)).map(|r| &r.owner) {
        return Some(id.clone());
    }
    match call.path {
        GraphPath::Node(id) if store.page(id).is_some() => Some(id.clone()),
        _ => None,
    }
}

/// Who a user or page token speaks for.
enum Caller {
    User(User),
    Page(Page, String),
}

fn token_problem(record: &TokenRecord, now: u64) -> Option<TokenProblem> {
    match record.health(now) {
        Health::Valid => None,
        Health::Revoked => Some(TokenProblem::Revoked),
        Health::Expired => Some(TokenProblem::Expired {
            at: record.expires_at,
            now,
        }),
    }
}

fn authenticate(
    store: &GraphStore,
    token: Option<&str>,
    about_me: bool,
) -> Result<Caller, GraphError> {
    let token = token.ok_or_else(|| GraphError::no_token(about_me))?;
    let unknown = || GraphError::token(&TokenProblem::Unknown);
    let record = store.token(token).ok_or_else(unknown)?;
    if let Some(problem) = token_problem(record, now()) {
        return Err(GraphError::token(&problem));
    }
    match &record.owner {
        Owner::User(id) => store
            .user(id)
            .cloned()
            .map(Caller::User)
            .ok_or_else(unknown),
        Owner::Page(id) => store
            .page(id)
            .cloned()
            .map(|page| Caller::Page(page, token.to_owned()))
            .ok_or_else(unknown),
    }
}

/// `fields`, or `default` when absent, with `id` first and always; an
/// unknown name is Graph's error 100.
fn checked_fields(
    fields: Option<Vec<String>>,
    default: &[&str],
    known: &[&str],
    node_type: &str,
) -> Result<Vec<String>, GraphError> {
    let asked = fields.unwrap_or_else(|| default.iter().map(|f| (*f).to_owned()).collect());
    if let Some(bad) = asked.iter().find(|f| !known.contains(&f.as_str())) {
        return Err(GraphError::param(format!(
            "(#100) Tried accessing nonexisting field ({bad}) on node type ({node_type})"
        )));
    }
    let mut out = vec!["id".to_owned()];
    out.extend(asked.into_iter().filter(|f| f != "id"));
    out.dedup();
    Ok(out)
}

/// A page as a node: the asked fields, `token` and `tasks` only when given.
fn page_object(
    page: &Page,
    fields: &[String],
    token: Option<&str>,
    tasks: Option<&[String]>,
) -> Value {
    let mut object = Map::new();
    for field in fields {
        let value = match field.as_str() {
            "id" => json!(page.id),
            "name" => json!(page.name),
            "category" => json!(page.category),
            "access_token" => match token {
                Some(token) => json!(token),
                None => continue,
            },
            "tasks" => match tasks {
                Some(tasks) => json!(tasks),
                None => continue,
            },
            _ => continue,
        };
        object.insert(field.clone(), value);
    }
    Value::Object(object)
}

fn user_object(user: &User, fields: &[String]) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), json!(user.id));
    if fields.iter().any(|f| f == "name") {
        object.insert("name".into(), json!(user.name));
    }
    Value::Object(object)
}

/// `GET /me`: the user, or the page a page token belongs to.
fn me(
    store: &GraphStore,
    token: Option<&str>,
    fields: Option<Vec<String>>,
) -> Result<Value, GraphError> {
    match authenticate(store, token, true)? {
        Caller::User(user) => {
            let fields = checked_fields(fields, USER_FIELDS, USER_FIELDS, "User")?;
            Ok(user_object(&user, &fields))
        }
        Caller::Page(page, token) => {
            let fields = checked_fields(fields, USER_FIELDS, PAGE_FIELDS, "Page")?;
            Ok(page_object(&page, &fields, Some(&token), None))
        }
    }
}

/// `GET /me/accounts`: the user's pages with their current tokens, a
/// cursor-paged list.
fn me_accounts(
    store: &mut GraphStore,
    call: &Get,
    fields: Option<Vec<String>>,
) -> Result<Value, GraphError> {
    let user = match authenticate(store, call.token, true)? {
        Caller::User(user) => user,
        Caller::Page(..) => {
            return Err(GraphError::param(
                "(#100) Tried accessing nonexisting field (accounts) on node type (Page)",
            ));
        }
    };
    let fields = checked_fields(fields, PAGE_FIELDS, PAGE_FIELDS, "Page")?;
    let limit = match query_value(call.pairs, "limit") {
        None => DEFAULT_LIMIT,
        // Graph caps a larger limit rather than refusing it.
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if n >= 1 => n.min(MAX_LIMIT),
            _ => {
                return Err(GraphError::param(
                    "(#100) Param limit must be a positive integer",
                ));
            }
        },
    };
    let ids: Vec<&str> = user.pages.iter().map(|p| p.page_id.as_str()).collect();
    let range = wire::window(
        &ids,
        limit,
        query_value(call.pairs, "after"),
        query_value(call.pairs, "before"),
    )
    .ok_or_else(|| GraphError::param("(#100) The cursor is invalid"))?;
    let wants_token = fields.iter().any(|f| f == "access_token");
    let mut data = Vec::with_capacity(range.len());
    for managed in &user.pages[range.clone()] {
        let Some(page) = store.page(&managed.page_id).cloned() else {
            continue;
        };
        let token = if wants_token {
            store.current_token(&page.id, Some(&user.id), reader_expiry(store, call.token))
        } else {
            None
        };
        data.push(page_object(
            &page,
            &fields,
            token.as_deref(),
            Some(&managed.tasks),
        ));
    }
    let mut answer = json!({ "data": data });
    if !range.is_empty() {
        let first = wire::cursor(ids[range.start]);
        let last = wire::cursor(ids[range.end - 1]);
        let mut paging = json!({ "cursors": { "before": first, "after": last } });
        let url = |name: &str, cursor: &str| {
            format!(
                "{}{}?{}",
                call.origin,
                call.raw_path,
                wire::with_cursor(call.pairs, name, cursor)
            )
        };
        if range.end < ids.len() {
            paging["next"] = json!(url("after", &last));
        }
        if range.start > 0 {
            paging["previous"] = json!(url("before", &first));
        }
        answer["paging"] = paging;
    }
    Ok(answer)
}

/// An app token is `APP_ID|APP_SECRET`; the sandbox takes any non-empty
/// pair, since it has no app registry. Answers the app id.
fn app_id(token: &str) -> Option<&str> {
    let (id, secret) = token.split_once('|')?;
    (!id.is_empty() && !secret.is_empty()).then_some(id)
}

/// `GET /debug_token`: what Facebook knows about `input_token`; an invalid
/// token is a 200 answer with `is_valid: false`.
fn debug_token(
    store: &GraphStore,
    app_token: Option<&str>,
    input: Option<&str>,
) -> Result<Value, GraphError> {
    let app_token = app_token.ok_or_else(|| GraphError::no_token(false))?;
    let app = app_id(app_token).ok_or_else(|| GraphError::token(&TokenProblem::Unknown))?;
    let input =
        input.ok_or_else(|| GraphError::param("(#100) The parameter input_token is required"))?;
    let Some(record) = store.token(input) else {
        return Ok(json!({ "data": {
            "is_valid": false,
            "error": { "code": 190, "message": TokenProblem::Unknown.message() },
            "scopes": [],
        }}));
    };
    let mut data = json!({
        "app_id": app,
        "application": APPLICATION,
        "expires_at": record.expires_at,
        "data_access_expires_at": record.data_access_expires_at,
    });
    match &record.owner {
        Owner::Page(page_id) => {
            data["type"] = json!("PAGE");
            data["profile_id"] = json!(page_id);
            data["scopes"] = json!(PAGE_SCOPES);
        }
        Owner::User(user_id) => {
            let system = store.user(user_id).is_some_and(|u| u.system_user);
            data["type"] = json!(if system { "SYSTEM_USER" } else { "USER" });
            let scopes = store.scopes_of(record);
            // Granted per page: the page permissions apply to every page
            // the user manages.
            let pages: Vec<&str> = store
                .user(user_id)
                .map(|u| u.pages.iter().map(|p| p.page_id.as_str()).collect())
                .unwrap_or_default();
            let granular: Vec<Value> = scopes
                .iter()
                .map(|scope| {
                    if scope.starts_with("pages_") {
                        json!({ "scope": scope, "target_ids": pages })
                    } else {
                        json!({ "scope": scope })
                    }
                })
                .collect();
            data["scopes"] = json!(scopes);
            data["granular_scopes"] = json!(granular);
        }
    }
    if let Some(user_id) = &record.user_id {
        data["user_id"] = json!(user_id);
    }
    match token_problem(record, now()) {
        None => data["is_valid"] = json!(true),
        Some(problem) => {
            data["is_valid"] = json!(false);
            data["scopes"] = json!([]);
            if let Some(object) = data.as_object_mut() {
                object.remove("granular_scopes");
            }
            let mut error = json!({ "code": 190, "message": problem.message() });
            if let Some(subcode) = problem.subcode() {
                error["subcode"] = json!(subcode);
            }
            data["error"] = error;
        }
    }
    Ok(json!({ "data": data }))
}

/// `GET /{id}`: a page its manager (or its own token) may read in full;
/// anyone may read another page's public fields, not its token.
fn node(
    store: &mut GraphStore,
    token: Option<&str>,
    id: &str,
    fields: Option<Vec<String>>,
) -> Result<Value, GraphError> {
    let caller = authenticate(store, token, false)?;
    let Some(page) = store.page(id).cloned() else {
        return match caller {
            Caller::User(user) if user.id == id => {
                let fields = checked_fields(fields, USER_FIELDS, USER_FIELDS, "User")?;
                Ok(user_object(&user, &fields))
            }
            _ => Err(GraphError::no_object(id)),
        };
    };
    let fields = checked_fields(fields, USER_FIELDS, PAGE_FIELDS, "Page")?;
    let private = fields.iter().any(|f| f == "access_token" || f == "tasks");
    match caller {
        Caller::User(user) => match user.manages(id) {
            Some(managed) => {
                let tasks = managed.tasks.clone();
                let follows = reader_expiry(store, token);
                let token = store.current_token(id, Some(&user.id), follows);
                Ok(page_object(&page, &fields, token.as_deref(), Some(&tasks)))
            }
            None if !private => Ok(page_object(&page, &fields, None, None)),
            None => Err(no_permission(id)),
        },
        Caller::Page(own, token) if own.id == id => {
            Ok(page_object(&page, &fields, Some(&token), None))
        }
        Caller::Page(..) if !private => Ok(page_object(&page, &fields, None, None)),
        Caller::Page(..) => Err(no_permission(id)),
    }
}

/// When the user token a page token is read with expires (0 = never):
/// the page token lasts as long.
fn reader_expiry(store: &GraphStore, token: Option<&str>) -> u64 {
    token
        .and_then(|t| store.token(t))
        .map_or(0, |record| record.expires_at)
}

fn no_permission(id: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        10,
        format!(
            "(#10) The user must be an administrator of page {id} or have a task on it (such as MANAGE or MESSAGING) to read its access_token and tasks"
        ),
    )
}

/// Batch `POST /`: up to 50 GETs, each answered as `{"code", "headers",
/// "body"}` with the body as a JSON string. An item's own `access_token`
/// (in its `relative_url`) wins over the top-level one. The sandbox does
/// not insist on a top-level token: an item without any token gets Graph's
/// missing-token error in its own answer.
fn batch(
    shared: &Shared,
    seq: u64,
    query: &[(String, String)],
    query_or_header_token: Option<&str>,
    body: &[u8],
    origin: &str,
    touched: &mut Vec<String>,
) -> Result<Value, GraphError> {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|_| GraphError::param("(#100) The request body could not be read as a form"))?;
    let top_token = query_value(&form, "access_token").or(query_or_header_token);
    let raw_batch = query_value(&form, "batch")
        .or_else(|| query_value(query, "batch"))
        .ok_or_else(|| GraphError::param("(#100) The parameter batch is required"))?;
    let items = match serde_json::from_str::<Value>(raw_batch) {
        Ok(Value::Array(items)) => items,
        _ => {
            return Err(GraphError::param(
                "(#100) The parameter batch must be a JSON array",
            ));
        }
    };
    shared.log_batch_items(seq, items.len());
    if items.len() > MAX_BATCH {
        return Err(GraphError::param(
            "Too many requests in batch message. Maximum batch size is 50",
        ));
    }
    let mut store = shared.graph();
    let answers = items
        .iter()
        .map(|item| {
            let result = batch_item(&mut store, item, top_token, origin, touched);
            let (code, body) = match result {
                Ok(value) => (200, value),
                Err(error) => (error.status().as_u16(), error.body()),
            };
            json!({
                "code": code,
                "headers": [
                    { "name": "Content-Type", "value": "application/json; charset=UTF-8" },
                    { "name": "Cache-Control", "value": "private, no-cache, no-store, must-revalidate" },
                ],
                "body": body.to_string(),
            })
        })
        .collect();
    Ok(Value::Array(answers))
}

fn batch_item(
    store: &mut GraphStore,
    item: &Value,
    top_token: Option<&str>,
    origin: &str,
    touched: &mut Vec<String>,
) -> Result<Value, GraphError> {
    let method = item.get("method").and_then(Value::as_str).unwrap_or("GET");
    if !method.eq_ignore_ascii_case("GET") {
        return Err(GraphError::param(format!(
            "Unsupported {} request.",
            method.to_ascii_lowercase()
        )));
    }
    let relative = item
        .get("relative_url")
        .and_then(Value::as_str)
        .ok_or_else(|| GraphError::param("(#100) Each batch item needs a relative_url"))?;
    let (path, query) = relative.split_once('?').unwrap_or((relative, ""));
    let raw_path = format!("/{}", path.trim_start_matches('/'));
    let graph_path = match wire::classify(&raw_path) {
        Some(GraphPath::Root | GraphPath::Unknown) | None => {
            return Err(GraphError::unknown_path("get"));
        }
        Some(path) => path,
    };
    let pairs = parse_pairs(query)?;
    let token = query_value(&pairs, "access_token").or(top_token);
    get(
        store,
        &Get {
            path: &graph_path,
            pairs: &pairs,
            token,
            origin,
            raw_path: &raw_path,
        },
        touched,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_tokens_need_both_halves() {
        assert_eq!(app_id("123|secret"), Some("123"));
        assert_eq!(app_id("123|"), None);
        assert_eq!(app_id("|secret"), None);
        assert_eq!(app_id("EAAtoken"), None);
    }

    #[test]
    fn fields_always_start_with_id_and_unknown_ones_are_refused() {
        let fields = checked_fields(
            Some(vec!["name".into(), "id".into()]),
            &[],
            PAGE_FIELDS,
            "Page",
        )
        .unwrap();
        assert_eq!(fields, ["id", "name"]);
        let default = checked_fields(None, USER_FIELDS, USER_FIELDS, "User").unwrap();
        assert_eq!(default, ["id", "name"]);
        let error =
            checked_fields(Some(vec!["feed".into()]), &[], PAGE_FIELDS, "Page").unwrap_err();
        assert_eq!(error.code(), 100);
    }

    #[test]
    fn debug_token_tells_valid_revoked_expired_and_unknown_apart() {
        let mut store = GraphStore::in_memory();
        let pages = store
            .put_user(
                "user",
                vec![store::NewPage {
                    id: "5".into(),
                    name: "Five".into(),
                    tasks: vec![],
                    category: None,
                }],
            )
            .unwrap();
        let token = pages[0].1.clone();
        let valid = debug_token(&store, Some("1|s"), Some(&token)).unwrap();
        assert_eq!(valid["data"]["is_valid"], true);
        assert_eq!(valid["data"]["profile_id"], "5");
        assert_eq!(valid["data"]["app_id"], "1");
        assert_eq!(valid["data"]["expires_at"], 0);

        store.update_token(&token, None, Some(1));
        let expired = debug_token(&store, Some("1|s"), Some(&token)).unwrap();
        assert_eq!(expired["data"]["is_valid"], false);
        assert_eq!(expired["data"]["error"]["subcode"], 463);

        store.update_token(&token, Some(false), Some(0));
        let revoked = debug_token(&store, Some("1|s"), Some(&token)).unwrap();
        assert_eq!(revoked["data"]["error"]["subcode"], 460);

        let unknown = debug_token(&store, Some("1|s"), Some("EAAnope")).unwrap();
        assert_eq!(unknown["data"]["is_valid"], false);
        assert!(unknown["data"]["error"].get("subcode").is_none());

        let user = debug_token(&store, Some("1|s"), Some("user")).unwrap();
        assert_eq!(user["data"]["type"], "USER");

        assert_eq!(
            debug_token(&store, Some(&token), Some("user"))
                .unwrap_err()
                .code(),
            190
        );
    }
}
