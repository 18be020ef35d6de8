use ecabinet_store::{
    testing, Annotation, Entity, FeedChange, FeedOp, OpResult, OutboxState, StoreError,
};
use serde_json::json;

use crate::{meeting, new_store};

fn change(entity: Entity, id: &str, body: serde_json::Value) -> FeedChange {
    FeedChange {
        entity,
        id: id.into(),
        op: FeedOp::Upsert(body),
    }
}

fn item(id: &str, parent: Option<&str>, position: i64) -> FeedChange {
    change(
        Entity::AgendaItem,
        id,
        json!({"id": id, "meeting_id": "m1", "parent_id": parent, "position": position, "title": format!("Mục {id}")}),
    )
}

#[test]
fn a_feed_page_and_its_cursor_are_applied_together_or_not_at_all() {
    let (_tmp, store) = new_store();
    assert_eq!(store.cursor().expect("cursor"), 0);
    store
        .apply_changes(
            &[
                change(
                    Entity::Committee,
                    "c1",
                    json!({"id": "c1", "name": "UBND tỉnh"}),
                ),
                meeting("m2", "c1", "Họp chuyên đề", 2_000),
                meeting("m1", "c1", "Họp thường kỳ", 1_000),
                meeting("x1", "c2", "Ủy ban khác", 1_500),
            ],
            17,
        )
        .expect("apply");
    assert_eq!(store.cursor().expect("cursor"), 17);
    let titles: Vec<String> = store
        .meetings(Some("c1"))
        .expect("list")
        .into_iter()
        .map(|m| m.title)
        .collect();
    assert_eq!(titles, ["Họp thường kỳ", "Họp chuyên đề"]);
    assert_eq!(store.meetings(None).expect("all").len(), 3);

    // A page with one malformed body leaves nothing of itself behind.
    let e = store
        .apply_changes(
            &[
                meeting("m3", "c1", "Mới", 3_000),
                change(
                    Entity::Meeting,
                    "m4",
                    json!({"id": "m4", "title": "no committee"}),
                ),
            ],
            18,
        )
        .expect_err("bad body");
    assert!(
        matches!(
            e,
            StoreError::BadBody {
                entity: "meeting",
                field: "committee_id",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(store.cursor().expect("cursor"), 17);
    assert!(store.entity(Entity::Meeting, "m3").expect("get").is_none());

    store
        .apply_changes(
            &[FeedChange {
                entity: Entity::Meeting,
                id: "m2".into(),
                op: FeedOp::Delete,
            }],
            19,
        )
        .expect("delete");
    assert!(store.entity(Entity::Meeting, "m2").expect("get").is_none());
    assert_eq!(
        store.entity(Entity::Committee, "c1").expect("get"),
        Some(json!({"id": "c1", "name": "UBND tỉnh"}))
    );
    assert_eq!(store.cursor().expect("cursor"), 19);
    assert_eq!(
        Entity::parse("document_version"),
        Some(Entity::DocumentVersion)
    );
}

#[test]
fn the_agenda_comes_back_as_a_tree_in_reading_order() {
    let (_tmp, store) = new_store();
    store
        .apply_changes(
            &[
                item("b", None, 1),
                item("a2", Some("a"), 1),
                item("a", None, 0),
                item("a1", Some("a"), 0),
                item("a1x", Some("a1"), 0),
                item("c", None, 2),
            ],
            1,
        )
        .expect("apply");
    let got: Vec<(String, usize)> = store
        .agenda("m1")
        .expect("agenda")
        .into_iter()
        .map(|r| (r.id, r.depth))
        .collect();
    let want = [
        ("a", 0),
        ("a1", 1),
        ("a1x", 2),
        ("a2", 1),
        ("b", 0),
        ("c", 0),
    ];
    assert_eq!(got, want.map(|(i, d)| (i.to_string(), d)));
}

#[test]
fn outbox_operations_move_through_their_states_and_survive_reopening() {
    let (_tmp, store) = new_store();
    for (i, kind) in ["vote", "annotation", "speak"].iter().enumerate() {
        store
            .enqueue(
                &format!("0190-{i}"),
                kind,
                format!("payload {i}").as_bytes(),
            )
            .expect("enqueue");
    }
    store
        .enqueue("0190-0", "vote", b"duplicate")
        .expect("same op id twice is a no-op");
    assert_eq!(store.unresolved_ops(10).expect("pending").len(), 3);
    store.mark_sent(&["0190-0", "0190-1"]).expect("sent");
    store
        .record_results(&[
            ("0190-0", OpResult::Accepted),
            (
                "0190-1",
                OpResult::Rejected {
                    reason: "motion_closed".into(),
                },
            ),
        ])
        .expect("results");
    assert!(matches!(
        store.record_results(&[("nope", OpResult::Superseded)]),
        Err(StoreError::UnknownOperation(_))
    ));
    let unresolved = store.unresolved_ops(10).expect("pending");
    assert_eq!(unresolved.len(), 1);
    assert_eq!(
        (unresolved[0].op_id.as_str(), unresolved[0].state.clone()),
        ("0190-2", OutboxState::Pending)
    );

    let dir = store.dir().to_path_buf();
    drop(store);
    let store = ecabinet_store::Store::open(
        &dir,
        crate::PIN,
        &testing::test_config(),
        &ecabinet_store::SystemClock,
    )
    .expect("reopen");
    let all = store.outbox().expect("all");
    let states: Vec<_> = all.iter().map(|e| e.state.clone()).collect();
    assert_eq!(
        states,
        [
            OutboxState::Accepted,
            OutboxState::Rejected {
                reason: "motion_closed".into()
            },
            OutboxState::Pending
        ]
    );
    assert_eq!(all[0].payload, b"payload 0");
}

fn note(id: &str, text: &str, at: &str, deleted: bool) -> Annotation {
    Annotation {
        id: id.into(),
        doc_id: "d1".into(),
        version: 2,
        page: 3,
        kind: "note".into(),
        data: json!({"x": 10.5, "y": 700.0, "text": text}),
        updated_at: at.into(),
        deleted,
    }
}

#[test]
fn annotations_keep_the_latest_edit_and_deletions_as_tombstones() {
    let (_tmp, store) = new_store();
    assert!(store
        .put_annotation(&note("n1", "first", "0002", false))
        .expect("put"));
    assert!(
        !store
            .put_annotation(&note("n1", "older edit", "0001", false))
            .expect("put"),
        "older loses"
    );
    assert_eq!(
        store.annotation("n1").expect("get").expect("some").data["text"],
        "first"
    );
    assert!(store
        .put_annotation(&note("n1", "first", "0003", true))
        .expect("delete"));
    assert!(store.annotations("d1", 2, false).expect("list").is_empty());
    let with_tombstones = store.annotations("d1", 2, true).expect("list");
    assert_eq!(with_tombstones.len(), 1);
    assert!(with_tombstones[0].deleted);
}

#[test]
fn a_local_annotation_edit_and_its_operation_are_recorded_together_or_not_at_all() {
    let (_tmp, store) = new_store();
    let op = |id: &str| ecabinet_store::QueuedOp {
        op_id: id.into(),
        kind: "annotation".into(),
        payload: b"sealed".to_vec(),
    };
    store
        .record_annotation_edit(|clock| {
            assert_eq!(clock, None);
            Ok((note("n1", "mine", "0005", false), Some(op("o1"))))
        })
        .expect("record");
    assert_eq!(
        store.annotation_clock().expect("clock").as_deref(),
        Some("0005")
    );
    // A received edit moves the clock on; a local edit stamped no later is
    // refused, and neither it nor its operation is kept.
    store
        .apply_page(
            &[],
            &[ecabinet_store::ReceivedAnnotation::Open(note(
                "n2", "theirs", "0009", false,
            ))],
            1,
        )
        .expect("apply");
    assert_eq!(
        store.annotation_clock().expect("clock").as_deref(),
        Some("0009")
    );
    let stale = store.record_annotation_edit(|clock| {
        assert_eq!(clock, Some("0009"));
        Ok((note("n1", "stale", "0008", false), Some(op("o2"))))
    });
    assert!(matches!(stale, Err(StoreError::StaleAnnotationStamp)));
    // A failure while building leaves nothing either.
    let failed = store.record_annotation_edit(|_| Err(StoreError::Crypto("test")));
    assert!(failed.is_err());
    assert_eq!(
        store.annotation("n1").expect("get").expect("some").data["text"],
        "mine"
    );
    let ops: Vec<String> = store
        .outbox()
        .expect("outbox")
        .into_iter()
        .map(|e| e.op_id)
        .collect();
    assert_eq!(ops, ["o1"]);
    assert_eq!(store.cursor().expect("cursor"), 1);
    // What could not be opened is kept as ciphertext, newest stamp per id.
    store
        .apply_page(
            &[],
            &[
                ecabinet_store::ReceivedAnnotation::Sealed {
                    id: "n3".into(),
                    stamp: "0010".into(),
                    envelope: "{}".into(),
                    reason: "no_key".into(),
                },
                ecabinet_store::ReceivedAnnotation::Sealed {
                    id: "n3".into(),
                    stamp: "0007".into(),
                    envelope: "{}".into(),
                    reason: "older".into(),
                },
            ],
            2,
        )
        .expect("apply");
    assert_eq!(
        store.sealed_annotations().expect("sealed"),
        [("n3".to_owned(), "no_key".to_owned())]
    );
    assert_eq!(store.all_annotations().expect("all").len(), 2);
}

#[test]
fn sync_settings_and_the_device_key_are_kept() {
    let (_tmp, store) = new_store();
    assert_eq!(store.clock_offset_ms().expect("offset"), 0);
    store.set_clock_offset_ms(-1234).expect("set");
    assert_eq!(store.clock_offset_ms().expect("offset"), -1234);
    assert_eq!(store.manifest_key().expect("key"), None);
    store.set_manifest_key(&[7; 32]).expect("pin key");
    assert_eq!(store.manifest_key().expect("key"), Some(vec![7; 32]));
    store.set_trusted_version("d1", 3).expect("trust");
    store
        .set_trusted_version("d1", 2)
        .expect("an older version does not lower it");
    assert_eq!(store.trusted_version("d1").expect("v"), Some(3));
    assert!(store.device_key().expect("dk").is_none());
    store.set_device_key(b"pkcs8 bytes").expect("dk");
    assert_eq!(
        store.device_key().expect("dk").expect("some").as_slice(),
        b"pkcs8 bytes"
    );
}

#[test]
fn a_reader_is_not_blocked_by_an_open_write_transaction() {
    let (_tmp, store) = new_store();
    store
        .apply_changes(&[meeting("m1", "c1", "trước", 1)], 1)
        .expect("apply");
    let (entered_tx, entered_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let store_ref = &store;
    std::thread::scope(|s| {
        let writer = s.spawn(move || {
            let store = store_ref;
            store.write(|tx| {
                tx.execute("UPDATE meeting SET title = 'sau' WHERE id = 'm1'", [])?;
                entered_tx.send(()).expect("signal");
                release_rx.recv().expect("wait");
                Ok(())
            })
        });
        entered_rx.recv().expect("writer inside its transaction");
        // The uncommitted title is invisible and the read does not wait.
        assert_eq!(store.meetings(None).expect("read")[0].title, "trước");
        release_tx.send(()).expect("release");
        writer.join().expect("join").expect("write");
    });
    assert_eq!(store.meetings(None).expect("read")[0].title, "sau");
}

#[test]
fn retention_removes_old_meetings_their_documents_and_unshared_blobs() {
    let (_tmp, store) = new_store();
    let old_pdf = testing::pattern(80_000, 1);
    let shared_pdf = testing::pattern(80_000, 2);
    let mut shas = Vec::new();
    for content in [&old_pdf, &shared_pdf] {
        let sha = testing::sha256_hex(content);
        let mut w = store.blob_writer(&sha, content.len() as u64).expect("w");
        w.append(content).expect("append");
        w.finish().expect("finish");
        shas.push(sha);
    }
    let version = |id: &str, doc: &str, meeting: &str, sha: &str| {
        change(
            Entity::DocumentVersion,
            id,
            json!({"id": id, "document_id": doc, "meeting_id": meeting, "version": 1, "sha256": sha, "size": 80000}),
        )
    };
    let doc = |id: &str, meeting: &str| {
        change(
            Entity::Document,
            id,
            json!({"id": id, "meeting_id": meeting, "agenda_item_id": "a", "title": id}),
        )
    };
    store
        .apply_changes(
            &[
                meeting("old", "c1", "2019", 1_000),
                meeting("new", "c1", "2026", 9_000),
                doc("d-old", "old"),
                doc("d-new", "new"),
                version("v-old", "d-old", "old", &shas[0]),
                version("v-old2", "d-old", "old", &shas[1]),
                version("v-new", "d-new", "new", &shas[1]),
                item("a", None, 0),
            ],
            5,
        )
        .expect("apply");
    store
        .put_annotation(&Annotation {
            doc_id: "d-old".into(),
            ..note("n1", "x", "1", false)
        })
        .expect("note");

    assert_eq!(store.documents("old").expect("docs")[0].0, "d-old");
    let report = store.remove_meetings_before(5_000).expect("retention");
    assert_eq!((report.meetings, report.documents, report.blobs), (1, 1, 1));
    assert!(
        !store.has_blob(&shas[0]).expect("has"),
        "only the old meeting used it"
    );
    assert_eq!(
        store
            .read_blob(&shas[1])
            .expect("still used by the new meeting"),
        shared_pdf
    );
    assert!(store
        .document_versions("d-old")
        .expect("versions")
        .is_empty());
    assert_eq!(store.document_versions("d-new").expect("versions").len(), 1);
    assert!(store.annotation("n1").expect("get").is_none());
    assert!(store.documents("old").expect("docs").is_empty());
    assert_eq!(store.documents("new").expect("docs").len(), 1);
    let left: Vec<String> = store
        .meetings(None)
        .expect("list")
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(left, ["new"]);
}
