//! The session flow through the commands the UI calls: first run, unlock with
//! wrong PINs and their delay, lock, revoked.

use std::time::Duration;

use ecabinet_app_lib::ipc::SessionState;
use ecabinet_app_lib::state::UiEvent;
use serde_json::json;

use crate::harness::{app, SERVER_HINT};
use crate::seed;

const PIN: &str = "2468";

#[test]
fn an_empty_data_dir_asks_for_enrolment_with_the_server_address_prefilled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path(), false);
    let state = app.call("session_state", json!({})).expect("state");
    assert_eq!(
        state,
        json!({"kind": "first_run", "serverUrl": SERVER_HINT})
    );
    assert_eq!(app.error("unlock", json!({"pin": PIN}))["code"], "no_data");
    assert_eq!(
        app.error("list_meetings", json!({}))["code"],
        "not_unlocked"
    );
}

#[test]
fn enrolment_refuses_a_malformed_server_address_before_any_network_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path(), false);
    let err = app.error(
        "enrol",
        json!({"serverUrl": "127.0.0.1:8787", "username": "lm.tuan", "password": "x", "pin": PIN}),
    );
    assert_eq!(err["code"], "invalid_input");
    assert!(!dir.path().join("keys.json").exists());
}

#[test]
fn enrolment_without_an_enrol_code_or_a_confirmed_fingerprint_is_refused_before_any_network_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path(), false);
    // Port 9 (discard) on loopback: nothing would answer if a call were made.
    let err = app.error(
        "enrol",
        json!({"serverUrl": "http://127.0.0.1:9", "username": "lm.tuan", "password": "x", "pin": PIN,
               "enrolCode": "", "serverFingerprint": null}),
    );
    assert_eq!(err["code"], "invalid_input", "{err}");
    assert!(!dir.path().join("keys.json").exists());
}

#[test]
fn plain_http_beyond_this_computer_is_refused_by_the_first_run_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path(), false);
    let err = app.error(
        "enrol",
        json!({"serverUrl": "http://ecabinet.example.gov.vn", "username": "lm.tuan", "password": "x",
               "pin": PIN, "serverFingerprint": "0000-0000-0000-0000"}),
    );
    assert_eq!(err["code"], "insecure_url", "{err}");
    let err = app.error(
        "server_fingerprint",
        json!({"serverUrl": "http://ecabinet.example.gov.vn", "username": "lm.tuan", "password": "x"}),
    );
    assert_eq!(err["code"], "insecure_url", "{err}");
    assert!(!dir.path().join("keys.json").exists());
}

#[test]
fn wrong_pin_reports_attempts_left_and_the_delay_then_the_right_pin_unlocks_and_lock_locks() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(seed::store(dir.path(), PIN));
    let app = app(dir.path(), false);
    assert_eq!(
        app.call("session_state", json!({})).expect("state"),
        json!({"kind": "locked", "failedAttempts": 0, "attemptsLeft": 3, "retryAfterSecs": 0, "unsentOps": 0})
    );

    let err = app.error("unlock", json!({"pin": "1111"}));
    assert_eq!(err["code"], "wrong_pin", "{err}");
    assert_eq!(err["attemptsLeft"], 2);
    assert_eq!(
        err["retryAfterSecs"], 1,
        "300 ms rounds up to a whole second"
    );

    // The next attempt first serves the delay, in this process.
    let started = std::time::Instant::now();
    let unlocked = app.call("unlock", json!({"pin": PIN})).expect("unlock");
    assert_eq!(unlocked["kind"], "unlocked");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        app.call("list_meetings", json!({})).expect("meetings"),
        json!([])
    );
    assert!(app
        .events
        .0
        .lock()
        .expect("events")
        .iter()
        .any(|e| matches!(e, UiEvent::SessionChanged(SessionState::Unlocked { .. }))));

    let locked = app.call("lock", json!({})).expect("lock");
    assert_eq!(locked["kind"], "locked");
    assert_eq!(locked["failedAttempts"], 0, "a good PIN resets the count");
    assert_eq!(
        app.error("list_meetings", json!({}))["code"],
        "not_unlocked"
    );
}

#[test]
fn the_last_allowed_wrong_pin_wipes_and_the_app_goes_back_to_first_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(seed::store(dir.path(), PIN));
    let app = app(dir.path(), false);
    for left in [2, 1] {
        let err = app.error("unlock", json!({"pin": "0000"}));
        assert_eq!(err["attemptsLeft"], left, "{err}");
    }
    assert_eq!(app.error("unlock", json!({"pin": "0000"}))["code"], "wiped");
    assert_eq!(
        app.call("session_state", json!({})).expect("state")["kind"],
        "first_run"
    );
}

#[test]
fn a_device_wiped_by_revocation_says_so_instead_of_asking_to_enrol() {
    let dir = tempfile::tempdir().expect("tempdir");
    // What the background sync leaves after the server reported the revocation.
    std::fs::write(dir.path().join("revoked"), b"").expect("marker");
    let app = app(dir.path(), false);
    assert_eq!(
        app.call("session_state", json!({})).expect("state"),
        json!({"kind": "revoked"})
    );
}
