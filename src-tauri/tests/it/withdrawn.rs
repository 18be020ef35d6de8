//! Withdrawn agenda items and documents stay on the meeting screen, marked
//! with why and when, and the secretary's withdraw commands exist.

use ecabinet_store::{Entity, Store};
use serde_json::json;

use crate::harness::{app, store_config, upsert};

const PIN: &str = "2468";

#[test]
fn a_withdrawn_item_and_document_are_shown_marked_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::create(dir.path(), PIN, &store_config()).expect("create");
    let withdrawn = json!({"at_ms": 1_790_000_100_000_i64, "by_user_id": "u-sec",
        "reason": "Sở Tài chính xin rút để bổ sung số liệu"});
    let changes = vec![
        upsert(
            Entity::Meeting,
            json!({"id": "m1", "committee_id": "c1", "title": "Phiên họp tháng 12", "location": "Phòng 2",
                "starts_at": 1_790_000_000_000_i64, "status": "published", "published_at": 1_789_000_000_000_i64,
                "current_item_id": null}),
        ),
        upsert(
            Entity::AgendaItem,
            json!({"id": "a1", "meeting_id": "m1", "parent_id": null, "position": 0, "title": "Khai mạc"}),
        ),
        upsert(
            Entity::AgendaItem,
            json!({"id": "a2", "meeting_id": "m1", "parent_id": null, "position": 1,
                "title": "Tờ trình ngân sách", "withdrawn": withdrawn}),
        ),
        upsert(
            Entity::Document,
            json!({"id": "d1", "meeting_id": "m1", "agenda_item_id": "a1", "title": "Chương trình",
                "current_version": 1}),
        ),
        upsert(
            Entity::Document,
            json!({"id": "d2", "meeting_id": "m1", "agenda_item_id": "a1", "title": "Báo cáo cũ",
                "current_version": 1, "withdrawn": {"at_ms": 1_790_000_200_000_i64,
                "by_user_id": "u-sec", "reason": "Thay bằng báo cáo mới"}}),
        ),
    ];
    store.apply_changes(&changes, 5).expect("apply");
    drop(store);

    let app = app(dir.path(), false);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");
    let m = app
        .call("meeting_detail", json!({"meetingId": "m1"}))
        .expect("detail");
    let agenda = m["agenda"].as_array().expect("agenda");
    assert_eq!(agenda[0]["withdrawn"], json!(null), "{agenda:?}");
    assert_eq!(
        agenda[1]["withdrawn"],
        json!({"atMs": 1_790_000_100_000_i64, "byUserId": "u-sec",
            "reason": "Sở Tài chính xin rút để bổ sung số liệu"})
    );
    let docs = m["documents"].as_array().expect("documents");
    let by_id = |id: &str| {
        docs.iter()
            .find(|d| d["id"] == id)
            .unwrap_or_else(|| panic!("{id} listed"))
    };
    assert_eq!(by_id("d1")["withdrawn"], json!(null));
    assert_eq!(by_id("d2")["withdrawn"]["reason"], "Thay bằng báo cáo mới");

    // The withdraw commands are registered; without a session to a server
    // they answer a clear error, never a panic or an unknown command.
    for (cmd, args) in [
        (
            "secretary_withdraw_item",
            json!({"itemId": "a1", "reason": "x"}),
        ),
        (
            "secretary_withdraw_document",
            json!({"documentId": "d1", "reason": "x"}),
        ),
    ] {
        let e = app.error(cmd, args);
        assert!(e["code"].is_string(), "{cmd}: {e}");
    }
}
