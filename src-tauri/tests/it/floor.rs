//! The meeting room through the commands: motions with my ballot and the
//! published result, the speaker queue, attendance, my role; ballots, check-in
//! and requests to speak recorded offline; chair actions that need the server.

use std::path::Path;

use serde_json::{json, Value};

use crate::harness::app;
use crate::seed;

const PIN: &str = "2468";
const ME: &str = "u-chair";

/// An enrolled store (session settings and a device key; the server address
/// goes nowhere) holding a meeting of committee c1 where I am the chair.
fn seed(dir: &Path) {
    let store = seed::store(dir, PIN);
    seed::enrolled(&store, ME, "nv.hung");
    let changes = vec![
        seed::membership("ms1", "c1", ME, "Nguyễn Văn Hùng", "chair"),
        seed::membership("ms2", "c1", "u-tuan", "Lê Minh Tuấn", "member"),
        seed::membership("ms3", "c1", "u-huong", "Phạm Thị Hương", "member"),
        seed::meeting(
            "m1",
            "c1",
            "Phiên họp tháng 11",
            "in_session",
            json!({"published_at": 1, "current_item_id": "a1"}),
        ),
        seed::item("a1", "m1", None, 0, "Tờ trình"),
        seed::motion("mo-open", "m1", "a1", "open", json!({})),
        seed::motion(
            "mo-others",
            "m1",
            "a1",
            "open",
            json!({"kind": "secret", "eligible": ["u-tuan", "u-huong"]}),
        ),
        seed::motion("mo-draft", "m1", "a1", "draft", json!({})),
        seed::motion("mo-done", "m1", "a1", "closed", json!({})),
        seed::final_result("mo-done", [2, 1, 0], "adopted"),
        seed::attendance("m1", "u-tuan", "online", 5, "op-x"),
        seed::speaker_request(
            "sp1",
            "m1",
            "a1",
            ("u-huong", "Phạm Thị Hương"),
            json!({"requested_at": 9}),
        ),
    ];
    store.apply_changes(&changes, 40).expect("apply");
}

fn motion_of<'a>(floor: &'a Value, id: &str) -> &'a Value {
    floor["motions"]
        .as_array()
        .expect("motions")
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no motion {id} in {floor}"))
}

#[test]
fn the_room_shows_my_role_motions_results_attendance_and_the_speaker_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path());
    let app = app(dir.path(), false);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");

    let floor = app
        .call("meeting_floor", json!({"meetingId": "m1"}))
        .expect("floor");
    assert_eq!(floor["myRole"], "chair");
    assert_eq!(floor["myUserId"], ME);
    assert_eq!(motion_of(&floor, "mo-open")["eligible"], true);
    assert_eq!(
        motion_of(&floor, "mo-others")["eligible"],
        false,
        "not on the motion's own list"
    );
    assert_eq!(motion_of(&floor, "mo-draft")["status"], "draft");
    let done = motion_of(&floor, "mo-done");
    assert_eq!(done["result"]["isFinal"], true);
    assert_eq!(done["result"]["counts"], json!([2, 1, 0]));
    assert_eq!(done["result"]["outcome"], "adopted");

    let presence: Vec<(String, Value)> = floor["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["displayName"].as_str().expect("name").to_owned(),
                m["presence"].clone(),
            )
        })
        .collect();
    assert_eq!(
        presence,
        [
            ("Lê Minh Tuấn".to_owned(), json!("online")),
            ("Nguyễn Văn Hùng".to_owned(), Value::Null),
            ("Phạm Thị Hương".to_owned(), Value::Null),
        ]
    );
    assert_eq!(floor["speakers"][0]["displayName"], "Phạm Thị Hương");
    assert_eq!(floor["speakers"][0]["status"], "waiting");

    // The vote dialog offers only open motions I may vote on.
    let open = app.call("open_motions", json!({})).expect("open motions");
    let ids: Vec<&str> = open
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["mo-open"]);
    assert_eq!(open[0]["meetingTitle"], "Phiên họp tháng 11");
}

#[test]
fn ballots_check_ins_and_requests_to_speak_are_recorded_at_once_without_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path());
    let app = app(dir.path(), false);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");

    let ballot = app
        .call("cast_ballot", json!({"motionId": "mo-open", "choice": 1}))
        .expect("cast");
    assert_eq!(ballot["motionId"], "mo-open");
    assert_eq!(ballot["choice"], 1);
    assert!(
        ["pending", "sent"].contains(&ballot["state"]["kind"].as_str().expect("state")),
        "{ballot}"
    );
    assert_eq!(
        app.error("cast_ballot", json!({"motionId": "mo-open", "choice": 7}))["code"],
        "invalid_input"
    );

    app.call(
        "check_in",
        json!({"meetingId": "m1", "presence": "in_room"}),
    )
    .expect("check in");
    assert_eq!(
        app.error("check_in", json!({"meetingId": "m1", "presence": "asleep"}))["code"],
        "invalid_input"
    );
    app.call("request_to_speak", json!({"agendaItemId": "a1"}))
        .expect("speak");

    let floor = app
        .call("meeting_floor", json!({"meetingId": "m1"}))
        .expect("floor");
    assert_eq!(
        motion_of(&floor, "mo-open")["myBallot"]["opId"],
        ballot["opId"]
    );
    assert_eq!(floor["checkInPending"], true);
    assert_eq!(floor["speakPending"], json!(["a1"]));
    assert_eq!(
        app.call("sync_status", json!({})).expect("status")["pendingOutbox"],
        3
    );
}

#[test]
fn chair_actions_need_the_server_and_say_so_when_it_cannot_be_reached() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path());
    let app = app(dir.path(), false);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");
    for (cmd, args) in [
        ("chair_open_motion", json!({"motionId": "mo-draft"})),
        ("chair_motion_result", json!({"motionId": "mo-open"})),
        (
            "chair_set_current_item",
            json!({"meetingId": "m1", "agendaItemId": "a1"}),
        ),
    ] {
        assert_eq!(app.error(cmd, args)["code"], "offline", "{cmd}");
    }
}
