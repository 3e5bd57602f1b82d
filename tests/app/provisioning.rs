//! Setup links and the provisioning file, as the window receives them: offered to the wizard,
//! never applied by themselves, not offered again once used.

use serde_json::json;

use crate::harness::{app, free_port, invoke, settled_status, stop};

#[test]
fn a_provisioning_file_is_offered_once_and_set_aside_and_changes_no_setting() {
    let dir = tempfile::tempdir().unwrap();
    let (app, webview) = app(&format!("127.0.0.1:{}", free_port()), dir.path());
    settled_status(&webview);
    let file = dir.path().join(clawbox_app::PROVISION_FILE);
    std::fs::write(
        &file,
        r#"{"user_id":"trainee-03","hosted_url":"https://gw.workshop.example/","mode":"hosted"}"#,
    )
    .unwrap();
    let settings_before = invoke(&webview, "get_settings", json!({})).unwrap();

    clawbox_app::offer_file(app.handle(), dir.path());
    let offer = invoke(&webview, "pending_provision", json!({})).unwrap();
    assert_eq!(
        offer,
        json!({
            "id": 1,
            "values": {"user_id": "trainee-03", "hosted_url": "https://gw.workshop.example", "mode": "hosted"},
            "from": file.display().to_string(),
            "error": null,
        })
    );
    // Offered, not applied: the settings are what they were.
    assert_eq!(
        invoke(&webview, "get_settings", json!({})).unwrap(),
        settings_before
    );

    // Dismissing an older offer's id leaves this one.
    invoke(&webview, "dismiss_provision", json!({"id": 0})).unwrap();
    assert!(file.exists());
    invoke(&webview, "dismiss_provision", json!({"id": 1})).unwrap();
    assert!(!file.exists());
    assert!(dir.path().join("provision.used.json").exists());
    assert_eq!(
        invoke(&webview, "pending_provision", json!({})).unwrap(),
        json!(null)
    );
    // The next start finds nothing to offer.
    clawbox_app::offer_file(app.handle(), dir.path());
    assert_eq!(
        invoke(&webview, "pending_provision", json!({})).unwrap(),
        json!(null)
    );
    stop(&app);
}

#[test]
fn a_broken_link_is_offered_as_its_reason_and_a_later_link_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let (app, webview) = app(&format!("127.0.0.1:{}", free_port()), dir.path());
    settled_status(&webview);

    clawbox_app::offer_link(
        app.handle(),
        "clawbox://onboard?user_id=t-9&hosted_url=http://gw.elsewhere.example&mode=hosted",
    );
    let offer = invoke(&webview, "pending_provision", json!({})).unwrap();
    assert_eq!(offer["values"], json!(null));
    assert_eq!(
        offer["error"],
        json!("hosted_url is not usable: it must use https://")
    );

    clawbox_app::offer_link(app.handle(), "clawbox://onboard?user_id=t-9");
    let offer = invoke(&webview, "pending_provision", json!({})).unwrap();
    assert_eq!(
        offer,
        json!({"id": 2, "values": {"user_id": "t-9"}, "from": "a setup link", "error": null})
    );
    // The first link's id no longer dismisses anything; the second's does.
    invoke(&webview, "dismiss_provision", json!({"id": 1})).unwrap();
    assert_eq!(
        invoke(&webview, "pending_provision", json!({})).unwrap()["id"],
        json!(2)
    );
    invoke(&webview, "dismiss_provision", json!({"id": 2})).unwrap();
    assert_eq!(
        invoke(&webview, "pending_provision", json!({})).unwrap(),
        json!(null)
    );
    stop(&app);
}
