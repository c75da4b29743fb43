//! The Vonage and Graph clients where teams run them: the sandbox over HTTPS
//! with a CA of this run's (trusted through `ca_file` or `SSL_CERT_FILE`,
//! refused without), and a real HTTP proxy (tinyproxy) that a whole plan
//! and apply go through, or that `NO_PROXY` bypasses.

use crate::support::*;

const TOKEN: &str = "EAAproxy0123456789";
const PROXY_PASSWORD: &str = "proxy-pw-93e1f0";

/// One page, linked, against `sandbox`; `provider` is extra text for the
/// provider "vonage" block.
fn project(sandbox: &Sandbox, provider: &str) -> Project {
    let project = Project::against(sandbox);
    project.write(
        "main.hcl",
        &format!(
            "provider \"vonage\" {{\n{provider}}}\n\n\
             page \"support\" {{\n  page_id      = \"107300000000077\"\n  name         = \"Support\"\n  \
             access_token = \"{TOKEN}\"\n}}\n\n\
             link \"support\" {{\n  page        = page.support.page_id\n  application = \"{APP1}\"\n}}\n"
        ),
    );
    project
}

fn copy_ca(project: &Project) {
    std::fs::create_dir_all(project.path().join("certs")).unwrap();
    std::fs::copy(
        test_ca().join("ca.pem"),
        project.path().join("certs/corp-ca.pem"),
    )
    .unwrap();
}

#[test]
fn the_https_sandbox_is_reached_through_ca_file_and_refused_without_it() {
    let sandbox = Sandbox::start_https();
    let mut project = project(&sandbox, "");
    project.env("SOCIALFORM_MAX_RETRIES", "0");
    let run = project.run(&["plan"]);
    run.assert_code(1);
    let expected = format!(
        "error: could not read the remote side (refresh): could not reach the API: {} (endpoint \
         set by VONAGE_ENDPOINT): the server's certificate (localhost) is not signed by the system's roots (unknown CA); \
         if a proxy or gateway re-signs TLS, set ca_file in the provider \"vonage\" block (or \
         SSL_CERT_FILE) to its CA",
        sandbox.url
    );
    assert_eq!(run.stderr.trim_end(), expected);
    // Refused at the handshake: nothing reached the API, and no retry was
    // spent on what would fail the same way.
    assert!(sandbox.requests().is_empty(), "{:?}", sandbox.requests());

    let project = self::project(&sandbox, "  ca_file = \"certs/corp-ca.pem\"\n");
    copy_ca(&project);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    // Connected with its application in one call.
    assert_eq!(
        sandbox.mutations(),
        ["POST /beta/chatapp-accounts/messenger".to_string()]
    );
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn ssl_cert_file_replaces_the_roots_and_ca_file_wins_over_it() {
    let sandbox = Sandbox::start_https();
    let mut project = project(&sandbox, "");
    project.env("SSL_CERT_FILE", test_ca().join("ca.pem").to_str().unwrap());
    project.run(&["plan", "--detailed-exitcode"]).assert_code(2);

    // The block's ca_file is the one checked, even beside SSL_CERT_FILE.
    let mut project = self::project(&sandbox, "  ca_file = \"certs/other.pem\"\n");
    std::fs::create_dir_all(project.path().join("certs")).unwrap();
    std::fs::copy(
        test_ca().join("other-ca.pem"),
        project.path().join("certs/other.pem"),
    )
    .unwrap();
    project.env("SSL_CERT_FILE", test_ca().join("ca.pem").to_str().unwrap());
    project.env("SOCIALFORM_MAX_RETRIES", "0");
    let run = project.run(&["plan"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("certs/other.pem (ca_file) (unknown CA)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_ca_file_that_is_not_there_is_an_error_at_its_attribute() {
    let sandbox = Sandbox::start_https();
    let project = project(&sandbox, "  ca_file = \"certs/missing.pem\"\n");
    let run = project.run(&["validate"]);
    run.assert_code(1);
    assert!(run.stderr.contains("main.hcl:2:13"), "{}", run.stderr);
    assert!(
        run.stderr.contains("certs/missing.pem does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_plan_and_apply_go_through_the_proxy_and_its_password_never_shows() {
    let sandbox = Sandbox::start_https();
    let proxy = Proxy::start(Some(("ci", PROXY_PASSWORD)));
    let mut project = project(&sandbox, "  ca_file = \"certs/corp-ca.pem\"\n");
    copy_ca(&project);
    let port = sandbox.url.rsplit(':').next().unwrap().to_string();
    project.env(
        "HTTPS_PROXY",
        &format!("http://ci:{PROXY_PASSWORD}@127.0.0.1:{}", proxy.port),
    );
    let plan = project.run(&["plan", "-vvv"]);
    plan.assert_code(0);
    let apply = project.run(&["apply", "--auto-approve", "-vvv"]);
    apply.assert_code(0);
    let connects = proxy.connects();
    assert!(
        !connects.is_empty() && connects.iter().all(|c| *c == format!("localhost:{port}")),
        "every request tunnels to the sandbox: {connects:?}\n{}",
        proxy.log()
    );
    assert_eq!(sandbox.mutations().len(), 1);
    for run in [&plan, &apply] {
        assert!(!run.stdout.contains(PROXY_PASSWORD) && !run.stderr.contains(PROXY_PASSWORD));
    }

    // The wrong password: the proxy refuses, and the error names the proxy
    // without the credentials it was given.
    project.env(
        "HTTPS_PROXY",
        &format!("http://ci:wrong-{PROXY_PASSWORD}@127.0.0.1:{}", proxy.port),
    );
    project.env("SOCIALFORM_MAX_RETRIES", "0");
    let run = project.run(&["plan", "-vvv"]);
    run.assert_code(1);
    assert!(!run.stderr.contains(PROXY_PASSWORD), "{}", run.stderr);
    assert!(
        run.stderr.contains("could not reach the API"),
        "{}",
        run.stderr
    );
    let named = format!(
        "tunnel error: unsuccessful; the proxy (HTTPS_PROXY=http://(credentials \
         hidden)@127.0.0.1:{}) refused to open a tunnel: check its address and credentials, or \
         list the API's host in NO_PROXY",
        proxy.port
    );
    assert!(run.stderr.contains(&named), "{}", run.stderr);
}

#[test]
fn no_proxy_bypasses_the_proxy_and_the_built_in_sandbox_never_uses_one() {
    let sandbox = Sandbox::start_https();
    let proxy = Proxy::start(None);
    let mut project = project(&sandbox, "  ca_file = \"certs/corp-ca.pem\"\n");
    copy_ca(&project);
    project.env("HTTPS_PROXY", &proxy.url());
    project.env("NO_PROXY", "localhost");
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert_eq!(sandbox.mutations().len(), 1);
    assert!(proxy.connects().is_empty(), "{}", proxy.log());

    // The built-in sandbox is plain HTTP on loopback: a proxy in the
    // environment (which could not reach it) is not used for it.
    let mut builtin = Project::new();
    builtin.write(
        "main.hcl",
        "provider \"vonage\" {\n  endpoint = \"sandbox\"\n}\n\n\
         page \"support\" {\n  page_id      = \"107300000000078\"\n  name         = \"Support\"\n  \
         access_token = \"EAAbuiltin0123456789\"\n}\n",
    );
    builtin.env("HTTP_PROXY", &proxy.url());
    builtin.env("ALL_PROXY", &proxy.url());
    builtin.run(&["apply", "--auto-approve"]).assert_code(0);
    assert!(
        !proxy.log().contains("GET http://127.0.0.1"),
        "{}",
        proxy.log()
    );
    assert!(
        !proxy.log().contains("POST http://127.0.0.1"),
        "{}",
        proxy.log()
    );
}

#[test]
fn http_proxy_carries_plain_http_requests_too() {
    // An http:// endpoint goes through HTTP_PROXY as absolute-URI requests.
    let sandbox = Sandbox::start();
    let proxy = Proxy::start(None);
    let mut project = project(&sandbox, "");
    project.env("HTTP_PROXY", &proxy.url());
    project.run(&["plan"]).assert_code(0);
    assert!(
        proxy.log().contains(&format!("GET {}/", sandbox.url)),
        "{}",
        proxy.log()
    );
}

#[test]
fn the_graph_client_takes_its_own_ca_file_and_the_same_proxy() {
    let sandbox = Sandbox::start_https();
    let proxy = Proxy::start(None);
    let mut project = Project::against(&sandbox);
    copy_ca(&project);
    project.env("FACEBOOK_GRAPH_ENDPOINT", &sandbox.url);
    project.env(
        "FACEBOOK_USER_TOKEN",
        socialform::sandbox::DEMO_FACEBOOK_USER_TOKEN,
    );
    project.env("HTTPS_PROXY", &proxy.url());
    project.env("SOCIALFORM_MAX_RETRIES", "0");
    let config = |facebook: &str| {
        format!(
            "provider \"vonage\" {{\n  ca_file = \"certs/corp-ca.pem\"\n}}\n\n\
             provider \"facebook\" {{\n{facebook}}}\n\n\
             page \"acme\" {{\n  page_id = \"107900000000001\"\n}}\n"
        )
    };
    project.write("main.hcl", &config(""));
    let run = project.run(&["plan"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "is not signed by the system's roots (unknown CA); if a proxy or gateway re-signs \
             TLS, set ca_file in the provider \"facebook\" block (or SSL_CERT_FILE) to its CA"
        ),
        "{}",
        run.stderr
    );

    project.write("main.hcl", &config("  ca_file = \"certs/corp-ca.pem\"\n"));
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    let graph: Vec<_> = sandbox
        .requests()
        .into_iter()
        .filter(|(_, path, _)| path.contains("/me/accounts"))
        .collect();
    assert!(!graph.is_empty(), "the page token came from Graph");
    assert_eq!(
        sandbox.mutations(),
        ["POST /beta/chatapp-accounts/messenger".to_string()]
    );
    // Both clients tunnelled through the proxy.
    assert!(proxy.connects().len() >= 2, "{}", proxy.log());
}
