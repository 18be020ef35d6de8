//! Withdrawn agenda items and documents stay on the meeting screen, marked
//! with why and when, and the secretary's withdraw commands exist.

use serde_json::json;

use crate::harness::app;
use crate::seed;

const PIN: &str = "2468";

#[test]
fn a_withdrawn_item_and_document_are_shown_marked_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = seed::store(dir.path(), PIN);
    let withdrawn = json!({"at_ms": 1_790_000_100_000_i64, "by_user_id": "u-sec",
        "reason": "Sở Tài chính xin rút để bổ sung số liệu"});
    let changes = vec![
        seed::meeting(
            "m1",
            "c1",
            "Phiên họp tháng 12",
            "published",
            json!({"location": "Phòng 2", "published_at": 1_789_000_000_000_i64}),
        ),
        seed::item("a1", "m1", None, 0, "Khai mạc"),
        seed::item_with(
            "a2",
            "m1",
            None,
            1,
            "Tờ trình ngân sách",
            json!({"withdrawn": withdrawn}),
        ),
        seed::document("d1", "m1", "a1", "Chương trình", json!({})),
        seed::document(
            "d2",
            "m1",
            "a1",
            "Báo cáo cũ",
            json!({"withdrawn": {"at_ms": 1_790_000_200_000_i64, "by_user_id": "u-sec",
                "reason": "Thay bằng báo cáo mới"}}),
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
