//! Links on WhatsApp, Viber and RCS accounts, through the binary against a
//! `sandbox serve` child: accounts are seeded through `/_sandbox/accounts`
//! (the public API cannot create them), then linked, relinked, unlinked by
//! hand and reported as drift like pages.

use crate::support::*;
use serde_json::json;

const WA: &str = "447700900123";
const VIBER: &str = "acme-viber-1";
const RCS: &str = "acme_rcs_agent";

fn seed(sandbox: &Sandbox, provider: &str, external_id: &str, name: &str) {
    let (status, body) = sandbox.api(
        "POST",
        "/_sandbox/accounts",
        Some(json!({"provider": provider, "external_id": external_id, "name": name})),
    );
    assert_eq!(status, 201, "{body}");
}

fn seeded() -> Sandbox {
    let sandbox = Sandbox::start();
    seed(&sandbox, "whatsapp", WA, "Acme WhatsApp");
    seed(&sandbox, "viber_service_msg", VIBER, "Acme Viber");
    seed(&sandbox, "rcs", RCS, "Acme RCS");
    sandbox
}

fn link(name: &str, channel: &str, account: &str, application: &str) -> String {
    format!(
        r#"
link "{name}" {{
  channel     = "{channel}"
  account     = "{account}"
  application = "{application}"
}}
"#
    )
}

fn three_links(wa_app: &str) -> String {
    [
        link("wa", "whatsapp", WA, wa_app),
        link("viber", "viber_service_msg", VIBER, APP1),
        link("rcs", "rcs", RCS, APP2),
    ]
    .concat()
}

fn applied(sandbox: &Sandbox) -> Project {
    let project = Project::against(sandbox);
    project.write("main.hcl", &three_links(APP1));
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    project
}

#[test]
fn links_on_three_channels_are_three_posts_then_nothing() {
    let sandbox = seeded();
    let project = Project::against(&sandbox);
    project.write("main.hcl", &three_links(APP1));
    Test::on(&project)
        .arg("plan")
        .stdout(&format!(
            r#"
            socialform will perform the following actions:

              # link.rcs will be linked
                (not in state)
              + link.rcs {{
                  + channel     = "rcs"
                  + account     = "{RCS}"
                  + application = "{APP2}"
                }}

              # link.viber will be linked
                (not in state)
              + link.viber {{
                  + channel     = "viber_service_msg"
                  + account     = "{VIBER}"
                  + application = "{APP1}"
                }}

              # link.wa will be linked
                (not in state)
              + link.wa {{
                  + channel     = "whatsapp"
                  + account     = "{WA}"
                  + application = "{APP1}"
                }}

            API calls, in order:
                1. POST   /beta/chatapp-accounts/whatsapp/{WA}/applications  (link.wa)
                2. POST   /beta/chatapp-accounts/viber_service_msg/{VIBER}/applications  (link.viber)
                3. POST   /beta/chatapp-accounts/rcs/{RCS}/applications  (link.rcs)

            Plan: 3 to link. API calls: 3
            "#
        ))
        .requests(&[])
        .run();
    // Independent accounts are linked in parallel: the progress lines
    // interleave, the calls are exactly the plan's.
    sandbox.clear_requests();
    let apply = project.run(&["apply", "--auto-approve"]);
    apply.assert_code(0);
    assert!(
        apply
            .stdout
            .ends_with("\nApply complete! 3 linked. API calls: 3\n"),
        "{}",
        apply.stdout
    );
    let mut mutations = sandbox.mutations();
    mutations.sort();
    assert_eq!(
        mutations,
        [
            format!("POST {ACCOUNTS}/rcs/{RCS}/applications"),
            format!("POST {ACCOUNTS}/viber_service_msg/{VIBER}/applications"),
            format!("POST {ACCOUNTS}/whatsapp/{WA}/applications"),
        ]
    );
    for (provider, id, app) in [("whatsapp", WA, APP1), ("viber_service_msg", VIBER, APP1)] {
        let (status, account) = sandbox.api("GET", &format!("{ACCOUNTS}/{provider}/{id}"), None);
        assert_eq!(status, 200);
        assert_eq!(account["applications"], json!([app]), "{provider}");
    }
    sandbox.clear_requests();
    Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();
    // One list walk of every provider and one of the applications.
    let reads: Vec<String> = sandbox
        .requests()
        .into_iter()
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect();
    assert_eq!(reads.len(), 2, "a no-op plan reads in bulk: {reads:?}");
}

#[test]
fn the_plan_json_names_each_channel_path() {
    let sandbox = seeded();
    let project = Project::against(&sandbox);
    project.write("main.hcl", &three_links(APP1));
    let run = project.run(&["plan", "--json"]);
    run.assert_code(0);
    assert_eq!(
        run.planned_calls(),
        [
            format!("POST {ACCOUNTS}/whatsapp/{WA}/applications"),
            format!("POST {ACCOUNTS}/viber_service_msg/{VIBER}/applications"),
            format!("POST {ACCOUNTS}/rcs/{RCS}/applications"),
        ]
    );
    assert_eq!(run.json()["summary"]["link"], 3);
}

#[test]
fn a_whatsapp_relink_is_delete_then_post() {
    let sandbox = seeded();
    let project = applied(&sandbox);
    project.write("main.hcl", &three_links(APP2));
    Test::on(&project)
        .args(["apply", "--auto-approve"])
        .stdout(&format!(
            r#"
            socialform will perform the following actions:

              # link.wa will be relinked to another application
                (application changed in configuration)
              ~ link.wa {{
                  ~ application = "{APP1}" -> "{APP2}"
                }}

            API calls, in order:
                1. DELETE /beta/chatapp-accounts/whatsapp/{WA}/applications/{APP1}  (link.wa)
                2. POST   /beta/chatapp-accounts/whatsapp/{WA}/applications  (link.wa)

            Plan: 1 to relink. API calls: 2
            link.wa: DELETE /beta/chatapp-accounts/whatsapp/{WA}/applications/{APP1} ...
            link.wa: done [T]
            link.wa: POST /beta/chatapp-accounts/whatsapp/{WA}/applications ...
            link.wa: done [T]

            Apply complete! 1 relinked. API calls: 2
            "#
        ))
        .requests(&[
            &format!("DELETE {ACCOUNTS}/whatsapp/{WA}/applications/{APP1}"),
            &format!("POST {ACCOUNTS}/whatsapp/{WA}/applications"),
        ])
        .run();
    let (_, account) = sandbox.api("GET", &format!("{ACCOUNTS}/whatsapp/{WA}"), None);
    assert_eq!(account["applications"], json!([APP2]));
}

#[test]
fn a_hand_unlink_on_viber_and_an_unmanaged_whatsapp_number_are_drift() {
    let sandbox = seeded();
    let project = applied(&sandbox);
    assert_eq!(
        sandbox
            .api(
                "DELETE",
                &format!("{ACCOUNTS}/viber_service_msg/{VIBER}/applications/{APP1}"),
                None
            )
            .0,
        204
    );
    // A number linked in the dashboard that no configuration declares, and
    // one that is linked to nothing (nothing to manage: not reported).
    let (status, _) = sandbox.api(
        "POST",
        "/_sandbox/accounts",
        Some(
            json!({"provider": "whatsapp", "external_id": "447700900555",
                    "name": "Stray number", "applications": [APP2]}),
        ),
    );
    assert_eq!(status, 201);
    seed(&sandbox, "whatsapp", "447700900777", "Idle number");

    sandbox.clear_requests();
    let run = project.run(&["drift", "--json"]);
    run.assert_code(2);
    let document = run.json();
    assert_eq!(
        document["drifted"],
        json!([{"address": "link.viber", "kind": "deleted", "attribute": "application",
                "expected": APP1, "actual": ""}])
    );
    assert_eq!(
        document["unmanaged"],
        json!([{"provider": "whatsapp", "external_id": "447700900555",
                "name": "Stray number", "applications": [APP2]}])
    );
    assert_eq!(
        document["summary"],
        json!({"managed": 3, "drifted": 1, "unmanaged": 1})
    );
    assert!(sandbox.mutations().is_empty());

    Test::on(&project)
        .arg("drift")
        .stdout(&format!(
            r#"
            Drift: 1 change(s) made outside socialform
              # link.viber was unlinked (expected application {APP1})

            Unmanaged: 1 account(s) in the Vonage account and declared nowhere
              whatsapp 447700900555 "Stray number" (linked to {APP2})

            Drift detected: 1 drifted, 1 unmanaged, 3 managed.
            "#
        ))
        .status(2)
        .run();

    // The plan links the Viber account again, and only that.
    sandbox.clear_requests();
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert_eq!(
        sandbox.mutations(),
        [format!(
            "POST {ACCOUNTS}/viber_service_msg/{VIBER}/applications"
        )]
    );
}

#[test]
fn a_link_to_a_missing_whatsapp_number_fails_at_its_block_before_any_call() {
    let sandbox = seeded();
    let project = Project::against(&sandbox);
    project.write(
        "main.hcl",
        &[
            link("viber", "viber_service_msg", VIBER, APP1),
            link("wa", "whatsapp", "447700900999", APP1),
        ]
        .concat(),
    );
    Test::on(&project)
        .args(["apply", "--auto-approve"])
        .stderr(
            r#"
            error: link.wa ([DIR]/main.hcl:8:6): WhatsApp number 447700900999 (whatsapp) is not in this Vonage account, so it cannot be linked
              help: onboard the number first (WhatsApp Embedded Signup in the Vonage dashboard), or fix `account` in the link block
            "#,
        )
        .status(1)
        .requests(&[])
        .run();
}

#[test]
fn an_unknown_channel_fails_validate_at_its_attribute() {
    Test::new()
        .write(
            "main.hcl",
            &link("wa", "telegram", WA, APP1).replace("telegram", "whatsap"),
        )
        .arg("validate")
        .stderr(
            r#"
            error: [DIR]/main.hcl:3:17: unknown channel "whatsap"; expected one of "messenger", "whatsapp", "viber_service_msg", "rcs"
              |
            3 |   channel     = "whatsap"
              |                 ^^^^^^^^^
              |
              = help: did you mean "whatsapp"?
            "#,
        )
        .status(1)
        .run();
    Test::new()
        .write("main.hcl", &link("wa", "whatsapp", WA, APP1))
        .arg("validate")
        .stdout("Success! The configuration is valid: 0 page(s), 1 link(s).\n")
        .run();
}

#[test]
fn destroy_unlinks_every_channel() {
    let sandbox = seeded();
    let project = applied(&sandbox);
    let run = project.run(&["destroy", "--auto-approve", "--json"]);
    run.assert_code(0);
    let mut mutations = sandbox.mutations();
    mutations.sort();
    assert_eq!(
        mutations.iter().filter(|m| m.starts_with("DELETE")).count(),
        3,
        "{mutations:?}"
    );
    for (provider, id) in [("whatsapp", WA), ("viber_service_msg", VIBER)] {
        let (_, account) = sandbox.api("GET", &format!("{ACCOUNTS}/{provider}/{id}"), None);
        assert_eq!(account["applications"], json!([]), "{provider}");
    }
    Test::on(&project)
        .arg("show")
        .stdout("The state is empty.\n")
        .run();
}

#[test]
fn import_all_unmanaged_writes_links_of_other_channels() {
    let sandbox = seeded();
    let (status, _) = sandbox.api(
        "POST",
        "/_sandbox/accounts",
        Some(
            json!({"provider": "whatsapp", "external_id": "447700900555",
                    "name": "Stray number", "applications": [APP2]}),
        ),
    );
    assert_eq!(status, 201);
    let project = Project::against(&sandbox);
    project.write("main.hcl", "");
    Test::on(&project)
        .args(["import", "--all-unmanaged", "--generate-config-out", "adopted.hcl"])
        .stdout(&format!(
            r#"
            link.stray_number: imported the link of WhatsApp number 447700900555 (whatsapp) ("Stray number") to {APP2}
            Wrote [DIR]/adopted.hcl with 0 page(s) and 1 link(s) of other channels, now managed by socialform.
            "#
        ))
        .requests(&[])
        .run();
    let written = std::fs::read_to_string(project.path().join("adopted.hcl")).unwrap();
    assert!(
        written.ends_with(&format!(
            r#"
# WhatsApp number 447700900555 (Stray number)
link "stray_number" {{
  channel     = "whatsapp"
  account     = "447700900555"
  application = "{APP2}"
}}
"#
        )),
        "{written}"
    );
    Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .run();
    Test::on(&project)
        .arg("drift")
        .stdout("No drift: 1 managed resource(s) match the remote side.\n")
        .run();
}

#[test]
fn state_written_before_channels_reads_as_messenger_links() {
    // A link record as every earlier version wrote it: no channel field.
    let old: socialform::state::LinkRecord = serde_json::from_str(
        r#"{"address":"link.bot","page_id":"107100000000001","application":"c0ffee00-0000-4000-8000-000000000001"}"#,
    )
    .unwrap();
    assert_eq!(old.channel, socialform::channel::Channel::Messenger);
    // And a messenger record is written exactly as before.
    assert_eq!(
        serde_json::to_string(&old).unwrap(),
        r#"{"address":"link.bot","page_id":"107100000000001","application":"c0ffee00-0000-4000-8000-000000000001"}"#
    );
}

#[test]
fn a_saved_plan_on_another_channel_applies_exactly() {
    let sandbox = seeded();
    let project = Project::against(&sandbox);
    project.write("main.hcl", &link("wa", "whatsapp", WA, APP1));
    project
        .run(&["plan", "--out", "reviewed.sfplan"])
        .assert_code(0);
    sandbox.clear_requests();
    let apply = project.run(&["apply", "reviewed.sfplan"]);
    apply.assert_code(0);
    assert_eq!(
        sandbox.mutations(),
        [format!("POST {ACCOUNTS}/whatsapp/{WA}/applications")]
    );
    // The same link on another channel is another configuration.
    project.write("main.hcl", &link("wa", "viber_service_msg", VIBER, APP1));
    project
        .run(&["plan", "--out", "second.sfplan"])
        .assert_code(0);
    project.write("main.hcl", &link("wa", "whatsapp", WA, APP1));
    sandbox.clear_requests();
    let stale = project.run(&["apply", "second.sfplan"]);
    stale.assert_code(1);
    assert!(sandbox.mutations().is_empty());
}
