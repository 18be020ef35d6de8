//! The meeting room through the commands: motions with my ballot and the
//! published result, the speaker queue, attendance, my role; ballots, check-in
//! and requests to speak recorded offline; chair actions that need the server.

use std::path::Path;

use ecabinet_store::{Entity, Store};
use ring::signature::Ed25519KeyPair;
use serde_json::{json, Value};

use crate::harness::{app, store_config, upsert, SERVER_HINT};
use crate::seed;

const PIN: &str = "2468";
const ME: &str = "u-chair";

fn motion(id: &str, status: &str, kind: &str, eligible: Value) -> Value {
    json!({"id": id, "meeting_id": "m1", "agenda_item_id": "a1", "question": format!("Câu hỏi {id}"),
        "options": ["Đồng ý", "Không đồng ý", "Không biểu quyết"], "kind": kind, "majority": "simple",
        "quorum": 2, "mode": "live", "deadline": null, "status": status,
        "opened_at": if status == "draft" { Value::Null } else { json!(1_000) },
        "closed_at": if status == "closed" { json!(2_000) } else { Value::Null },
        "eligible": eligible, "may_change_vote": false, "grace_ms": 0})
}

/// An enrolled store (session settings and a device key; the server address
/// goes nowhere) holding a meeting of committee c1 where I am the chair.
fn seed(dir: &Path) {
    let store = Store::create(dir, PIN, &store_config()).expect("create");
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("device key");
    store.set_device_key(pkcs8.as_ref()).expect("key");
    store
        .set_settings(&[
            ("session.server_url", SERVER_HINT),
            ("session.token", "t"),
            ("session.device_id", "dev-1"),
            ("session.user_id", ME),
            ("session.username", "nv.hung"),
        ])
        .expect("session");
    let member = |id: &str, user: &str, name: &str, role: &str| {
        upsert(
            Entity::Membership,
            json!({"id": id, "committee_id": "c1", "user_id": user, "display_name": name, "role": role}),
        )
    };
    let changes = vec![
        member("ms1", ME, "Nguyễn Văn Hùng", "chair"),
        member("ms2", "u-tuan", "Lê Minh Tuấn", "member"),
        member("ms3", "u-huong", "Phạm Thị Hương", "member"),
        seed::meeting(
            "m1",
            "c1",
            "Phiên họp tháng 11",
            "in_session",
            json!({"published_at": 1, "current_item_id": "a1"}),
        ),
        seed::item("a1", "m1", None, 0, "Tờ trình"),
        upsert(
            Entity::Motion,
            motion("mo-open", "open", "named", Value::Null),
        ),
        upsert(
            Entity::Motion,
            motion("mo-others", "open", "secret", json!(["u-tuan", "u-huong"])),
        ),
        upsert(
            Entity::Motion,
            motion("mo-draft", "draft", "named", Value::Null),
        ),
        upsert(
            Entity::Motion,
            motion("mo-done", "closed", "named", Value::Null),
        ),
        upsert(
            Entity::MotionResult,
            json!({"id": "mo-done", "motion_id": "mo-done", "finality": "final", "counts": [2, 1, 0],
                "approve": 2, "reject": 1, "abstain": 0, "participating": 3, "present": 3, "eligible": 3,
                "quorum_required": 2, "quorum_met": true, "outcome": "adopted", "audit_head": "ab12"}),
        ),
        upsert(
            Entity::Attendance,
            json!({"id": "m1:u-tuan", "meeting_id": "m1", "member_id": "u-tuan", "presence": "online",
                "reason": null, "at": 5, "by_chair": false, "op_id": "op-x"}),
        ),
        upsert(
            Entity::SpeakerRequest,
            json!({"id": "sp1", "meeting_id": "m1", "agenda_item_id": "a1", "user_id": "u-huong",
                "display_name": "Phạm Thị Hương", "status": "waiting", "position": 0, "requested_at": 9}),
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
