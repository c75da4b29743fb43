//! Issue 21: Vonage applications declared, created, updated, deleted and
//! checked like pages, through the binary against the sandbox.

use crate::support::*;
use serde_json::{Value, json};

const TOKEN_A: &str = "EAAapps0001secret";
const TOKEN_B: &str = "EAAapps0002secret";
/// The body of the public key: it must appear nowhere but at Vonage.
const KEY_BODY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEappsissue21publickeybody";

fn pem() -> String {
    format!("-----BEGIN PUBLIC KEY-----\n{KEY_BODY}\n-----END PUBLIC KEY-----\n")
}

fn config(inbound: &str) -> String {
    format!(
        r#"variable "token_a" {{
  sensitive = true
}}

variable "token_b" {{
  sensitive = true
}}

application "support" {{
  name = "Acme Support Bot"
  messages {{
    inbound_url = "{inbound}"
    status_url  = "https://example.com/status"
  }}
  public_key = file("keys/support.pub")
}}

page "a" {{
  page_id      = "107100000000001"
  access_token = var.token_a
}}

page "b" {{
  page_id      = "107100000000002"
  access_token = var.token_b
}}

link "a" {{
  page        = page.a.page_id
  application = application.support.id
}}

link "b" {{
  page        = page.b.page_id
  application = application.support.id
}}
"#
    )
}

fn project(sandbox: &Sandbox, text: &str) -> Project {
    let mut project = Project::against(sandbox);
    project.env("SF_VAR_token_a", TOKEN_A);
    project.env("SF_VAR_token_b", TOKEN_B);
    std::fs::create_dir_all(project.path().join("keys")).unwrap();
    project.write("keys/support.pub", &pem());
    project.write("main.hcl", text);
    project
}

/// The one application named "Acme Support Bot" at the sandbox.
fn support_app(sandbox: &Sandbox) -> Value {
    let (status, body) = sandbox.api("GET", "/v2/applications?page_size=100", None);
    assert_eq!(status, 200);
    let found: Vec<Value> = body["_embedded"]["applications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == "Acme Support Bot")
        .cloned()
        .collect();
    assert_eq!(found.len(), 1, "{body}");
    found[0].clone()
}

fn applied(sandbox: &Sandbox) -> (Project, String) {
    let project = project(sandbox, &config("https://example.com/inbound"));
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    let id = support_app(sandbox)["id"].as_str().unwrap().to_string();
    sandbox.clear_requests();
    (project, id)
}

#[test]
fn a_new_application_and_two_links_to_it_apply_in_one_run_create_first() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox, &config("https://example.com/inbound"));
    sandbox.clear_requests();
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    let doc = plan.json();
    // In order: the connects carry the new id, so the create comes first.
    assert_eq!(
        plan.planned_calls(),
        [
            "POST /v2/applications",
            "POST /beta/chatapp-accounts/messenger",
            "POST /beta/chatapp-accounts/messenger",
        ]
    );
    assert_eq!(doc["summary"]["create"], 1);
    assert_eq!(doc["summary"]["update_application"], 0);
    assert_eq!(doc["summary"]["delete"], 0);
    let app_change = doc["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "application.support")
        .cloned()
        .unwrap();
    assert_eq!(app_change["type"], "application");
    assert_eq!(app_change["change"]["actions"], json!(["create"]));

    let apply = project.run(&["apply", "--auto-approve"]);
    apply.assert_code(0);
    assert!(
        apply.stdout.contains("1 application(s) created"),
        "{}",
        apply.stdout
    );
    assert_eq!(
        sandbox.mutations(),
        [
            "POST /v2/applications",
            "POST /beta/chatapp-accounts/messenger",
            "POST /beta/chatapp-accounts/messenger",
        ]
    );
    let app = support_app(&sandbox);
    let id = app["id"].as_str().unwrap();
    for page in ["107100000000001", "107100000000002"] {
        assert_eq!(sandbox.page(page).unwrap()["applications"], json!([id]));
    }
    assert_eq!(
        app["capabilities"]["messages"]["webhooks"]["inbound_url"]["address"],
        "https://example.com/inbound"
    );
    assert_eq!(app["capabilities"]["messages"]["version"], "v1");
    // Our key, not one Vonage made up (whose private half it would hand out).
    assert_eq!(app["keys"]["public_key"], pem());

    // Nothing left to do; the application's id is resolved from state.
    sandbox.clear_requests();
    let again = project.run(&["plan", "--detailed-exitcode"]);
    again.assert_code(0);
    assert!(sandbox.mutations().is_empty());
}

#[test]
fn a_changed_inbound_url_is_one_put_and_no_link_call() {
    let sandbox = Sandbox::start();
    let (project, id) = applied(&sandbox);
    project.write("main.hcl", &config("https://example.com/inbound-v2"));
    let plan = project.run(&["plan", "--no-color"]);
    plan.assert_code(0);
    assert!(
        plan.stdout
            .contains("# application.support will be updated in place"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains(
        r#"~ messages.inbound_url = "https://example.com/inbound" -> "https://example.com/inbound-v2""#
    ));
    assert!(plan.stdout.contains("1 application(s) to update"));
    sandbox.clear_requests();
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert_eq!(sandbox.mutations(), [format!("PUT /v2/applications/{id}")]);
    let app = support_app(&sandbox);
    assert_eq!(
        app["capabilities"]["messages"]["webhooks"]["inbound_url"]["address"],
        "https://example.com/inbound-v2"
    );
    assert_eq!(app["keys"]["public_key"], pem(), "the PUT kept the key");
}

#[test]
fn a_status_url_edited_by_hand_is_drift_and_plan_restores_it() {
    let sandbox = Sandbox::start();
    let (project, id) = applied(&sandbox);
    // A colleague edits the status webhook in the dashboard, and adds voice.
    let mut edited = support_app(&sandbox);
    edited["capabilities"]["messages"]["webhooks"]["status_url"]["address"] =
        json!("https://hand.example.com/status");
    edited["capabilities"]["voice"] = json!({"webhooks": {"answer_url": {"address": "https://example.com/answer", "http_method": "GET"}}});
    let (status, _) = sandbox.api("PUT", &format!("/v2/applications/{id}"), Some(edited));
    assert_eq!(status, 200);

    let drift = project.run(&["drift", "--json"]);
    drift.assert_code(2);
    let doc = drift.json();
    assert_eq!(
        doc["drifted"],
        json!([{
            "address": "application.support",
            "kind": "changed",
            "attribute": "messages.status_url",
            "expected": "https://example.com/status",
            "actual": "https://hand.example.com/status"
        }])
    );

    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    let change = &plan.json()["changes"][0];
    assert_eq!(change["address"], "application.support");
    assert_eq!(change["action"], "update");
    assert_eq!(
        change["reason"],
        "changed outside socialform; its voice capability kept untouched"
    );
    sandbox.clear_requests();
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert_eq!(sandbox.mutations(), [format!("PUT /v2/applications/{id}")]);
    let app = support_app(&sandbox);
    assert_eq!(
        app["capabilities"]["messages"]["webhooks"]["status_url"]["address"],
        "https://example.com/status"
    );
    assert!(
        app["capabilities"]["voice"].is_object(),
        "the other capability is kept"
    );
    // No drift left; what remains are the messages applications no
    // configuration knows (the sandbox's demo ones).
    let drift = project.run(&["drift", "--json"]);
    let doc = drift.json();
    assert_eq!(doc["drifted"], json!([]));
    let unmanaged: Vec<(&str, &str)> = doc["unmanaged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["provider"].as_str().unwrap(), u["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        unmanaged,
        [("application", "Support bot"), ("application", "Sales bot")]
    );
}

#[test]
fn an_application_deleted_by_hand_is_drift_and_created_again_with_its_links() {
    let sandbox = Sandbox::start();
    let (project, id) = applied(&sandbox);
    let (status, _) = sandbox.api("DELETE", &format!("/v2/applications/{id}"), None);
    assert_eq!(status, 204);
    let drift = project.run(&["drift", "--json"]);
    drift.assert_code(2);
    let kinds: Vec<(String, String)> = drift.json()["drifted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["address"].as_str().unwrap().to_string(),
                d["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(kinds.contains(&("application.support".into(), "deleted".into())));
    sandbox.clear_requests();
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    let mutations = sandbox.mutations();
    assert_eq!(mutations[0], "POST /v2/applications");
    assert_eq!(
        sorted(mutations[1..].to_vec()),
        [
            "POST /beta/chatapp-accounts/messenger/107100000000001/applications",
            "POST /beta/chatapp-accounts/messenger/107100000000002/applications",
        ]
    );
    let new_id = support_app(&sandbox)["id"].as_str().unwrap().to_string();
    assert_ne!(new_id, id);
    assert_eq!(
        sandbox.page("107100000000001").unwrap()["applications"],
        json!([new_id])
    );
}

#[test]
fn an_application_removed_from_the_configuration_is_unlinked_then_deleted() {
    let sandbox = Sandbox::start();
    let (project, id) = applied(&sandbox);
    let text = config("https://example.com/inbound");
    let cut = text.find("application \"support\"").unwrap();
    let end = text.find("page \"a\"").unwrap();
    let pages_only = format!(
        "{}{}",
        &text[..cut],
        &text[end..text.find("link \"a\"").unwrap()]
    );
    project.write("main.hcl", &pages_only);
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    let calls = plan.planned_calls();
    assert_eq!(
        calls.last().unwrap(),
        &format!("DELETE /v2/applications/{id}")
    );
    let doc = plan.json();
    assert_eq!(doc["summary"]["delete"], 1);
    assert_eq!(doc["summary"]["unlink"], 2);

    project.run(&["apply", "--auto-approve"]).assert_code(0);
    let mutations = sandbox.mutations();
    assert_eq!(
        sorted(mutations[..2].to_vec()),
        [
            format!("DELETE /beta/chatapp-accounts/messenger/107100000000001/applications/{id}"),
            format!("DELETE /beta/chatapp-accounts/messenger/107100000000002/applications/{id}"),
        ]
    );
    assert_eq!(mutations[2], format!("DELETE /v2/applications/{id}"));
    assert_eq!(mutations.len(), 3);
}

#[test]
fn a_protected_application_is_not_deleted() {
    let sandbox = Sandbox::start();
    let text = config("https://example.com/inbound").replace(
        "  public_key = file(\"keys/support.pub\")\n",
        "  public_key = file(\"keys/support.pub\")\n  lifecycle {\n    prevent_destroy = true\n  }\n",
    );
    let project = project(&sandbox, &text);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    sandbox.clear_requests();
    let destroy = project.run(&["destroy", "--auto-approve"]);
    destroy.assert_code(1);
    assert!(
        destroy.stderr.contains(
            "error: application.support ([DIR]/main.hcl:9:13): would be deleted (destroy), but its block sets lifecycle.prevent_destroy"
                .replace("[DIR]", &project.path().display().to_string())
                .as_str()
        ),
        "{}",
        destroy.stderr
    );
    assert!(sandbox.mutations().is_empty());
}

#[test]
fn a_link_to_a_voice_only_application_is_refused_before_any_call() {
    let sandbox = Sandbox::start();
    let project = project(
        &sandbox,
        r#"variable "token_a" {
  sensitive = true
}

page "a" {
  page_id      = "107100000000001"
  access_token = var.token_a
}

link "a" {
  page        = page.a.page_id
  application = "c0ffee00-0000-4000-8000-000000000003"
}
"#,
    );
    sandbox.clear_requests();
    let plan = project.run(&["apply", "--auto-approve"]);
    plan.assert_code(1);
    let dir = project.path().display().to_string();
    assert!(
        plan.stderr.contains(&format!(
            "error: link.a ({dir}/main.hcl:10:6): application c0ffee00-0000-4000-8000-000000000003 (Voice IVR (no Messages)) has no Messages capability"
        )),
        "{}",
        plan.stderr
    );
    assert!(sandbox.mutations().is_empty());
}

#[test]
fn creating_without_a_public_key_is_refused_before_any_call_and_http_warns() {
    let sandbox = Sandbox::start();
    let text = config("http://example.com/inbound")
        .replace("  public_key = file(\"keys/support.pub\")\n", "");
    let project = project(&sandbox, &text);
    sandbox.clear_requests();
    let plan = project.run(&["plan"]);
    plan.assert_code(1);
    assert!(
        plan.stderr
            .contains("application.support ([DIR]/main.hcl:9:13): the application must be created but has no public_key"
                .replace("[DIR]", &project.path().display().to_string())
                .as_str()),
        "{}",
        plan.stderr
    );
    assert!(sandbox.mutations().is_empty());

    project.write("main.hcl", &config("http://example.com/inbound"));
    let plan = project.run(&["plan", "--no-color"]);
    plan.assert_code(0);
    assert!(
        plan.stdout.contains(
            "application.support ([DIR]/main.hcl:9:13): messages.inbound_url is \"http://example.com/inbound\", not https://"
                .replace("[DIR]", &project.path().display().to_string())
                .as_str()
        ),
        "{}",
        plan.stdout
    );
}

#[test]
fn a_private_key_in_the_configuration_is_refused_without_showing_it() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox, &config("https://example.com/inbound"));
    project.write(
        "keys/support.pub",
        "-----BEGIN PRIVATE KEY-----\nSECRETPRIVATEBODY\n-----END PRIVATE KEY-----\n",
    );
    let validate = project.run(&["validate"]);
    validate.assert_code(1);
    assert!(
        validate.stderr.contains("public_key holds a private key"),
        "{}",
        validate.stderr
    );
    assert!(!validate.stderr.contains("SECRETPRIVATEBODY"));
}

#[test]
fn no_key_material_in_state_plan_files_or_output_beyond_the_fingerprint() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox, &config("https://example.com/inbound"));
    let plan = project.run(&["plan", "--out", "plan.bin", "--json"]);
    plan.assert_code(0);
    let apply = project.run(&["apply", "plan.bin"]);
    apply.assert_code(0);
    let show = project.run(&["show", "--json"]);
    let pull = project.run(&["state", "pull"]);
    for (what, text) in [
        ("plan", &plan.stdout),
        ("plan stderr", &plan.stderr),
        ("apply", &apply.stdout),
        ("show", &show.stdout),
        ("state pull", &pull.stdout),
    ] {
        assert!(!text.contains(KEY_BODY), "{what} shows the key:\n{text}");
        assert!(!text.contains("PRIVATE KEY"), "{what}");
    }
    assert!(
        plan.stdout.contains("sha256:"),
        "the fingerprint is shown: {}",
        plan.stdout
    );
    let saved = std::fs::read(project.path().join("plan.bin")).unwrap();
    assert!(!contains_bytes(&saved, KEY_BODY), "the saved plan");
    for (path, bytes) in project.state_bytes() {
        assert!(!contains_bytes(&bytes, KEY_BODY), "{}", path.display());
        assert!(!contains_bytes(&bytes, "PRIVATE KEY"), "{}", path.display());
    }
    // The sandbox would have made up a key pair for a create without one.
    assert_eq!(support_app(&sandbox)["keys"]["public_key"], pem());
}

#[test]
fn the_application_example_applies_with_no_account_and_then_has_nothing_to_do() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/application");
    let project = Project::new();
    std::fs::create_dir_all(project.path().join("keys")).unwrap();
    for file in ["main.hcl", "socialform.sfvars", "keys/support.pub"] {
        project.write(file, &std::fs::read_to_string(example.join(file)).unwrap());
    }
    let apply = project.run(&["apply", "--auto-approve"]);
    apply.assert_code(0);
    assert!(
        apply
            .stdout
            .contains("Plan: 1 application(s) to create, 3 to connect, 3 to link. API calls: 4"),
        "{}",
        apply.stdout
    );
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn applications_are_kept_in_postgres_state_too() {
    let sandbox = Sandbox::start();
    let schema = format!("apps_{}", std::process::id());
    let text = format!(
        "backend \"postgres\" {{\n  schema_name = \"{schema}\"\n  state_name  = \"apps\"\n}}\n\n{}",
        config("https://example.com/inbound")
    );
    let mut project = project(&sandbox, &text);
    project.env("SOCIALFORM_PG_CONN_STR", &pg_url());
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    let id = support_app(&sandbox)["id"].as_str().unwrap().to_string();
    // Read back from the database: nothing to do, and the next change is
    // one PUT of the recorded id.
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
    project.write("main.hcl", &text.replace("/inbound\"", "/inbound-v2\""));
    sandbox.clear_requests();
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert_eq!(sandbox.mutations(), [format!("PUT /v2/applications/{id}")]);
}

const DATA_LINK: &str = r#"variable "token_a" {
  sensitive = true
}

data "vonage_applications" "messaging" {
  capability = "messages"
}

page "a" {
  page_id      = "107100000000001"
  access_token = var.token_a
}

link "a" {
  page        = page.a.page_id
  application = data.vonage_applications.messaging.by_name["Support bot"].id
}
"#;

#[test]
fn a_link_names_its_application_by_name_through_the_data_source() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox, DATA_LINK);
    // validate reads nothing and accepts it.
    sandbox.clear_requests();
    let validate = project.run(&["validate"]);
    validate.assert_code(0);
    assert!(
        validate
            .stdout
            .contains("Blocks that use data.vonage_applications are checked once Vonage answers"),
        "{}",
        validate.stdout
    );
    assert!(sandbox.requests().is_empty());

    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    let with_data = sandbox.requests();
    assert_eq!(
        plan.planned_calls(),
        ["POST /beta/chatapp-accounts/messenger"]
    );
    // The data source reuses refresh's read: one list of applications.
    let listed = with_data
        .iter()
        .filter(|(m, p, _)| m == "GET" && p.starts_with("/v2/applications"))
        .count();
    assert_eq!(listed, 1, "{with_data:?}");

    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert_eq!(
        sandbox.page("107100000000001").unwrap()["applications"],
        json!(["c0ffee00-0000-4000-8000-000000000001"])
    );
    sandbox.clear_requests();
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
    let noop = sandbox.requests();
    assert!(sandbox.mutations().is_empty());

    // The same link by its literal id costs exactly the same requests.
    project.write(
        "main.hcl",
        &DATA_LINK.replace(
            "data.vonage_applications.messaging.by_name[\"Support bot\"].id",
            "\"c0ffee00-0000-4000-8000-000000000001\"",
        ),
    );
    sandbox.clear_requests();
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
    assert_eq!(sandbox.requests().len(), noop.len(), "{noop:?}");

    // Without refresh, the data source alone reads the applications: once.
    project.write("main.hcl", DATA_LINK);
    sandbox.clear_requests();
    project
        .run(&["plan", "--refresh=false", "--detailed-exitcode"])
        .assert_code(0);
    let unrefreshed = sandbox.requests();
    assert_eq!(
        unrefreshed
            .iter()
            .map(|(m, p, _)| format!("{m} {p}"))
            .collect::<Vec<_>>(),
        ["GET /v2/applications"],
        "{unrefreshed:?}"
    );
    eprintln!(
        "requests: plan with the data block {}, no-op plan {}, no-op plan --refresh=false {}",
        with_data.len(),
        noop.len(),
        unrefreshed.len()
    );
}

#[test]
fn a_name_no_application_has_is_an_error_at_the_expression() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox, &DATA_LINK.replace("Support bot", "Support Bot"));
    sandbox.clear_requests();
    let plan = project.run(&["plan", "--no-color"]);
    plan.assert_code(1);
    let dir = project.path().display().to_string();
    assert_eq!(
        plan.stderr,
        format!(
            r#"error: {dir}/main.hcl:16:17: no messages application is named "Support Bot" (data.vonage_applications.messaging)
   |
16 |   application = data.vonage_applications.messaging.by_name["Support Bot"].id
   |                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: its messages applications are named "Sales bot", "Support bot"; correct the name, or declare the application with an application block and refer to application.NAME.id
"#
        ),
    );
    assert!(sandbox.mutations().is_empty());
}

#[test]
fn a_name_several_applications_have_is_an_error_at_the_expression() {
    let sandbox = Sandbox::start();
    let (status, body) = sandbox.api(
        "POST",
        "/v2/applications",
        Some(json!({
            "name": "Support bot",
            "capabilities": {"messages": {"webhooks": {
                "inbound_url": {"address": "https://two.example.com/in", "http_method": "POST"},
                "status_url": {"address": "https://two.example.com/status", "http_method": "POST"}
            }}},
            "keys": {"public_key": pem()}
        })),
    );
    assert_eq!(status, 201, "{body}");
    let second = body["id"].as_str().unwrap().to_string();
    let project = project(&sandbox, DATA_LINK);
    sandbox.clear_requests();
    let plan = project.run(&["plan", "--no-color"]);
    plan.assert_code(1);
    let dir = project.path().display().to_string();
    let ids = sorted(vec![
        second,
        "c0ffee00-0000-4000-8000-000000000001".to_string(),
    ]);
    assert_eq!(
        plan.stderr,
        format!(
            r#"error: {dir}/main.hcl:16:17: 2 messages applications are named "Support bot" (data.vonage_applications.messaging): {}, {}
   |
16 |   application = data.vonage_applications.messaging.by_name["Support bot"].id
   |                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
   = help: rename all but one at Vonage, or choose one by its id: data.vonage_applications.messaging.by_id["{}"].id
"#,
            ids[0], ids[1], ids[0]
        ),
    );
    assert!(sandbox.mutations().is_empty());
}

/// An application made by hand (as in the dashboard), with a voice
/// capability socialform does not manage; its id.
fn made_by_hand(sandbox: &Sandbox, name: &str) -> String {
    let (status, body) = sandbox.api(
        "POST",
        "/v2/applications",
        Some(json!({
            "name": name,
            "capabilities": {
                "messages": {
                    "webhooks": {
                        "inbound_url": {"address": "https://hand.example.com/inbound", "http_method": "POST"},
                        "status_url": {"address": "https://hand.example.com/status", "http_method": "POST"}
                    },
                    "version": "v1"
                },
                "voice": {"webhooks": {"answer_url": {"address": "https://hand.example.com/answer", "http_method": "GET"}}}
            },
            "keys": {"public_key": pem()}
        })),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

const IMPORTED: &str = r#"application "hand" {
  name = "Made by hand"
  messages {
    inbound_url = "https://hand.example.com/inbound"
    status_url  = "https://hand.example.com/status-v2"
  }
}
"#;

#[test]
fn an_application_made_by_hand_is_imported_and_then_plans_only_its_real_difference() {
    let sandbox = Sandbox::start();
    let id = made_by_hand(&sandbox, "Made by hand");
    let project = project(&sandbox, IMPORTED);
    sandbox.clear_requests();
    let import = project.run(&["import", "application.hand", &id]);
    import.assert_code(0);
    assert_eq!(
        import.stdout,
        format!(
            "application.hand: imported application {id} (\"Made by hand\")\n\
             Import successful! The resources above are now managed by socialform.\n"
        )
    );
    assert!(sandbox.mutations().is_empty(), "import only reads");
    assert_eq!(project.run(&["state", "list"]).stdout, "application.hand\n");
    let show = project.run(&["state", "show", "application.hand", "--no-color"]);
    show.assert_code(0);
    assert!(
        show.stdout.starts_with(&format!(
            "# application.hand:\napplication \"hand\" {{\n  # id: {id}\n  name = \"Made by hand\"\n"
        )),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout.contains("# public_key: sha256:"),
        "{}",
        show.stdout
    );
    assert!(!show.stdout.contains(KEY_BODY));

    // The block leaves the key out (kept) and changes one webhook: that
    // is the whole plan, one PUT that keeps voice.
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    let doc = plan.json();
    let changes = doc["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{doc}");
    assert_eq!(changes[0]["address"], "application.hand");
    assert_eq!(changes[0]["action"], "update");
    assert_eq!(plan.planned_calls(), [format!("PUT /v2/applications/{id}")]);
    let human = project.run(&["plan", "--no-color"]);
    assert!(
        human.stdout.contains(
            r#"~ messages.status_url = "https://hand.example.com/status" -> "https://hand.example.com/status-v2""#
        ),
        "{}",
        human.stdout
    );
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn importing_an_unknown_id_or_an_undeclared_application_is_refused() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox, IMPORTED);
    let missing = "c0ffee00-0000-4000-8000-00000000dead";
    let import = project.run(&["import", "application.hand", missing]);
    import.assert_code(1);
    assert_eq!(
        import.stderr,
        format!(
            "error: application.hand: this Vonage account has no application with id {missing} \
             (GET /v2/applications/{missing} answered 404); check the id (`socialform drift` \
             lists the applications no configuration manages), or let `socialform apply` create it\n"
        )
    );
    let import = project.run(&["import", "application.other", missing]);
    import.assert_code(1);
    assert_eq!(
        import.stderr,
        "error: application.other is not declared in the configuration; add an \
         `application \"other\"` block (its name and messages webhooks) first, then run the \
         import again\n"
    );
    assert_eq!(project.run(&["state", "list"]).stdout, "");
}

#[test]
fn import_all_unmanaged_adopts_messages_applications_and_writes_their_blocks() {
    let sandbox = Sandbox::start();
    let (mut project, _) = applied(&sandbox);
    let hand = made_by_hand(&sandbox, "Made by hand");
    // A page connected by hand to a demo application nobody manages.
    let (status, body) = sandbox.api(
        "POST",
        &format!("{ACCOUNTS}/messenger"),
        Some(
            json!({"external_id": "107100000000031", "name": "Acme Sales",
                    "access_token": "EAAapps0031secret",
                    "applications": ["c0ffee00-0000-4000-8000-000000000002"]}),
        ),
    );
    assert_eq!(status, 201, "{body}");
    sandbox.clear_requests();
    let import = project.run(&[
        "import",
        "--all-unmanaged",
        "--generate-config-out",
        "adopted.hcl",
    ]);
    import.assert_code(0);
    let dir = project.path().display().to_string();
    assert_eq!(
        import.stdout,
        format!(
            "application.made_by_hand: imported application {hand} (\"Made by hand\")\n\
             application.sales_bot: imported application c0ffee00-0000-4000-8000-000000000002 (\"Sales bot\")\n\
             application.support_bot: imported application c0ffee00-0000-4000-8000-000000000001 (\"Support bot\")\n\
             page.acme_sales: imported page ID 107100000000031 (\"Acme Sales\"), with link.acme_sales to c0ffee00-0000-4000-8000-000000000002\n\
             Wrote {dir}/adopted.hcl with 1 page(s) and 3 application(s), now managed by socialform.\n\
             Set SF_VAR_<slug>_token for each page before running plan: SF_VAR_acme_sales_token.\n"
        )
    );
    assert!(sandbox.mutations().is_empty(), "import only reads");
    let text = std::fs::read_to_string(project.path().join("adopted.hcl")).unwrap();
    assert!(
        !text.contains(KEY_BODY) && !text.contains("PRIVATE"),
        "{text}"
    );
    for expected in [
        format!(
            "# Application {hand}\n# Also has voice, kept as it is by every update.\napplication \"made_by_hand\" {{\n  name = \"Made by hand\"\n  messages {{\n    inbound_url                = \"https://hand.example.com/inbound\"\n    status_url                 = \"https://hand.example.com/status\"\n    http_method                = \"POST\"\n    version                    = \"v1\"\n    authenticate_inbound_media = false\n  }}\n  # public_key: the key it has is kept (sha256:"
        ),
        "link \"acme_sales\" {\n  page        = page.acme_sales.page_id\n  application = application.sales_bot.id\n}\n".to_string(),
    ] {
        assert!(text.contains(&expected), "missing:\n{expected}\nin:\n{text}");
    }
    let list = project.run(&["state", "list"]).stdout;
    for address in [
        "application.made_by_hand",
        "application.sales_bot",
        "application.support_bot",
        "page.acme_sales",
        "link.acme_sales",
    ] {
        assert!(list.lines().any(|l| l == address), "{address} in:\n{list}");
    }
    let fmt = project.run(&["fmt", "--check", "--diff"]);
    assert!(
        !fmt.stdout.contains("adopted.hcl"),
        "not fmt-clean:\n{}",
        fmt.stdout
    );

    // What was adopted is what is there: nothing to do, and no drift.
    project.env("SF_VAR_acme_sales_token", "EAAapps0031secret");
    sandbox.clear_requests();
    let plan = project.run(&["plan", "--detailed-exitcode", "--no-color"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let drift = project.run(&["drift", "--json"]);
    assert_eq!(drift.json()["unmanaged"], json!([]), "{}", drift.stdout);
    assert!(sandbox.mutations().is_empty());
}

#[test]
fn a_moved_block_renames_an_application_and_a_removed_block_forgets_it() {
    let sandbox = Sandbox::start();
    let (project, id) = applied(&sandbox);
    let renamed = config("https://example.com/inbound")
        .replace("application \"support\"", "application \"helpdesk\"")
        .replace("application.support.id", "application.helpdesk.id")
        + "\nmoved {\n  from = application.support\n  to   = application.helpdesk\n}\n";
    project.write("main.hcl", &renamed);
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    assert_eq!(
        plan.json()["changes"],
        json!([{"address": "application.helpdesk", "action": "move",
                "reason": "moved from application.support by a moved block",
                "previous_address": "application.support",
                "before": {}, "after": {}, "sensitive": []}]),
        "{}",
        plan.stdout
    );
    assert!(plan.planned_calls().is_empty());
    // resource_changes show the id the links keep, under the new address.
    for change in plan.json()["resource_changes"].as_array().unwrap() {
        match change["address"].as_str().unwrap() {
            "link.a" | "link.b" => assert_eq!(change["change"]["after"]["application"], id),
            "application.helpdesk" => assert_eq!(change["change"]["after"]["id"], id),
            _ => {}
        }
    }
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert!(sandbox.mutations().is_empty());
    let list = project.run(&["state", "list"]).stdout;
    assert!(list.lines().any(|l| l == "application.helpdesk"), "{list}");
    assert!(!list.lines().any(|l| l == "application.support"), "{list}");

    // Forgotten, not deleted: the links keep its id.
    let text = config("https://example.com/inbound");
    let cut = text.find("application \"support\"").unwrap();
    let end = text.find("page \"a\"").unwrap();
    let forgotten = format!(
        "{}{}\nremoved {{\n  from = application.helpdesk\n  lifecycle {{\n    destroy = false\n  }}\n}}\n",
        &text[..cut],
        &text[end..]
    )
    .replace("application.support.id", &format!("\"{id}\""));
    project.write("main.hcl", &forgotten);
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    let changes = plan.json()["changes"].clone();
    assert_eq!(changes[0]["address"], "application.helpdesk", "{changes}");
    assert_eq!(changes[0]["action"], "forget", "{changes}");
    assert_eq!(changes.as_array().unwrap().len(), 1, "{changes}");
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert!(sandbox.mutations().is_empty());
    support_app(&sandbox);
    let list = project.run(&["state", "list"]).stdout;
    assert!(!list.contains("application."), "{list}");
}

#[test]
fn for_each_over_application_names_links_each_page_and_drift_reads_the_data_too() {
    let sandbox = Sandbox::start();
    let project = project(
        &sandbox,
        r#"variable "token_a" {
  sensitive = true
}

variable "token_b" {
  sensitive = true
}

data "vonage_applications" "messaging" {
  capability = "messages"
}

locals {
  bots = { "Support bot" = "107100000000001", "Sales bot" = "107100000000002" }
}

page "a" {
  page_id      = "107100000000001"
  access_token = var.token_a
}

page "b" {
  page_id      = "107100000000002"
  access_token = var.token_b
}

link "bot" {
  for_each    = local.bots
  page        = each.value
  application = data.vonage_applications.messaging.by_name[each.key].id
}
"#,
    );
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    assert_eq!(plan.json()["summary"]["connect"], 2);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert_eq!(
        sandbox.page("107100000000001").unwrap()["applications"],
        json!(["c0ffee00-0000-4000-8000-000000000001"])
    );
    assert_eq!(
        sandbox.page("107100000000002").unwrap()["applications"],
        json!(["c0ffee00-0000-4000-8000-000000000002"])
    );
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
    let drift = project.run(&["drift", "--json"]);
    drift.assert_code(0);
}

/// Each webhook may have its own method: declared, sent, compared, and
/// written back by import as `status_http_method` (issue 21).
#[test]
fn each_webhook_keeps_its_own_http_method() {
    let sandbox = Sandbox::start();
    let methods = config("https://example.com/inbound").replace(
        "    status_url  = \"https://example.com/status\"\n",
        "    status_url  = \"https://example.com/status\"\n    http_method = \"GET\"\n    status_http_method = \"POST\"\n",
    );
    let project = project(&sandbox, &methods);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    let webhooks = support_app(&sandbox)["capabilities"]["messages"]["webhooks"].clone();
    assert_eq!(webhooks["inbound_url"]["http_method"], "GET", "{webhooks}");
    assert_eq!(webhooks["status_url"]["http_method"], "POST", "{webhooks}");
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);

    // Declaring one method for both is a change of the status webhook's.
    let both = methods.replace("    status_http_method = \"POST\"\n", "");
    project.write("main.hcl", &both);
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    let change = &plan.json()["changes"][0];
    assert_eq!(change["address"], "application.support", "{change}");
    assert_eq!(
        (
            &change["before"]["messages.http_method"],
            &change["after"]["messages.http_method"]
        ),
        (&json!("inbound GET, status POST"), &json!("GET")),
        "{change}"
    );

    // Made by hand with two methods, adopted with both.
    let sandbox = Sandbox::start();
    let (project, _) = applied(&sandbox);
    let (status, body) = sandbox.api(
        "POST",
        "/v2/applications",
        Some(json!({
            "name": "Two methods",
            "capabilities": {"messages": {"webhooks": {
                "inbound_url": {"address": "https://hand.example.com/inbound", "http_method": "POST"},
                "status_url": {"address": "https://hand.example.com/status", "http_method": "GET"}
            }, "version": "v1"}},
            "keys": {"public_key": pem()}
        })),
    );
    assert_eq!(status, 201, "{body}");
    project
        .run(&[
            "import",
            "--all-unmanaged",
            "--generate-config-out",
            "adopted.hcl",
        ])
        .assert_code(0);
    let text = std::fs::read_to_string(project.path().join("adopted.hcl")).unwrap();
    assert!(
        text.contains(
            "    http_method                = \"POST\"\n    status_http_method         = \"GET\"\n"
        ),
        "{text}"
    );
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
}

/// `import { to = application.NAME  id = "UUID" }` in the configuration, as
/// Terraform's import blocks: recorded with no call, then brought in line,
/// and a link to it in the same run uses its id (issue 21).
#[test]
fn an_import_block_adopts_an_application_and_a_link_to_it_applies_in_the_same_run() {
    let sandbox = Sandbox::start();
    let id = made_by_hand(&sandbox, "Made by hand");
    let config = format!(
        "{IMPORTED}\nimport {{\n  to = application.hand\n  id = \"{}\"\n}}\n\n\
         variable \"token_a\" {{\n  sensitive = true\n}}\n\n\
         page \"a\" {{\n  page_id      = \"107100000000001\"\n  access_token = var.token_a\n}}\n\n\
         link \"a\" {{\n  page        = page.a.page_id\n  application = application.hand.id\n}}\n",
        id.to_uppercase()
    );
    let project = project(&sandbox, &config);
    sandbox.clear_requests();
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    let doc = plan.json();
    let actions: Vec<(String, String)> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("page.a".to_string(), "connect".to_string()),
            ("link.a".to_string(), "link".to_string()),
            ("application.hand".to_string(), "update".to_string()),
            ("application.hand".to_string(), "import".to_string()),
        ],
        "{doc}"
    );
    assert_eq!(
        plan.planned_calls(),
        [
            format!("POST {ACCOUNTS}/messenger"),
            format!("PUT /v2/applications/{id}"),
        ]
    );
    // In Terraform's layout too the link names the id, and the application
    // is being imported under it.
    let resources = doc["resource_changes"].as_array().unwrap();
    let link = resources.iter().find(|r| r["address"] == "link.a").unwrap();
    assert_eq!(link["change"]["after"]["application"], json!(id), "{link}");
    let app = resources
        .iter()
        .find(|r| r["address"] == "application.hand")
        .unwrap();
    assert_eq!(app["change"]["importing"]["id"], json!(id), "{app}");
    assert!(sandbox.mutations().is_empty(), "plan only reads");
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    let (_, page) = sandbox.api(
        "GET",
        &format!("{ACCOUNTS}/messenger/107100000000001"),
        None,
    );
    assert_eq!(page["applications"], json!([id]), "{page}");
    assert_eq!(
        project.run(&["state", "list"]).stdout,
        "application.hand\nlink.a\npage.a\n"
    );
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn an_import_block_for_an_application_vonage_lacks_is_refused_at_the_block() {
    let sandbox = Sandbox::start();
    let missing = "c0ffee00-0000-4000-8000-00000000dead";
    let config =
        format!("{IMPORTED}\nimport {{\n  to = application.hand\n  id = \"{missing}\"\n}}\n");
    let refused = project(&sandbox, &config);
    Test::on(&refused)
        .args(["plan"])
        .stderr(&format!(
            "
            error: application.hand ([DIR]/main.hcl:9:1): cannot import: application {missing} does not exist in this Vonage account
              help: check the id (`GET /v2/applications` lists them), or remove the import block to create the application instead
            "
        ))
        .status(1)
        .requests(&[])
        .run();
    let bad = IMPORTED.to_string()
        + "\nimport {\n  to = application.hand\n  id = \"107100000000001\"\n}\n";
    Test::on(&project(&sandbox, &bad))
        .args(["validate"])
        .stderr(
            r#"
            error: [DIR]/main.hcl:11:8: id must be an application id (a UUID), got "107100000000001"
               |
            11 |   id = "107100000000001"
               |        ^^^^^^^^^^^^^^^^^
               |
               = help: write id = "c0ffee00-0000-4000-8000-000000000001" (the dashboard and `GET /v2/applications` show it)
            "#,
        )
        .status(1)
        .run();
}
