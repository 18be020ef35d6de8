use std::path::Path;

use ecabinet_store::{testing, Entity, Store, SystemClock, SCHEMA_VERSION};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, to.join(p.file_name().expect("name"))).expect("copy");
    }
}

fn schema_version(store: &Store) -> u32 {
    store
        .read(|tx| Ok(tx.query_row("PRAGMA user_version", [], |r| r.get(0))?))
        .expect("version")
}

/// What a v1 store holds must be there, unchanged, after migrating to the latest schema.
fn check_upgraded(dir: &Path) {
    let store = Store::open(
        dir,
        testing::FIXTURE_PIN,
        &testing::test_config(),
        &SystemClock,
    )
    .expect("open v1 store");
    assert_eq!(schema_version(&store), SCHEMA_VERSION);
    assert_eq!(store.cursor().expect("cursor"), 41);
    assert_eq!(
        store.meetings(None).expect("meetings")[0].title,
        "Phiên họp thường kỳ tháng 11"
    );
    assert_eq!(
        store.agenda("m1").expect("agenda")[0].body["title"],
        "Khai mạc"
    );
    assert_eq!(
        store
            .entity(Entity::Committee, "c1")
            .expect("c1")
            .expect("some")["name"],
        "UBND tỉnh"
    );
    let notes = store.annotations("d1", 1, true).expect("notes");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].data["text"], "ghi chú v1");
    assert!(
        !notes[0].deleted,
        "v2 added the tombstone column with 'not deleted'"
    );
    // The v2 table works.
    store.set_trusted_version("d1", 1).expect("v2 table");
}

#[test]
fn the_committed_v1_fixture_opens_and_migrates_with_its_data() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1");
    let tmp = tempfile::tempdir().expect("tmp");
    copy_dir(&fixture, tmp.path());
    check_upgraded(tmp.path());
}

#[test]
fn a_freshly_generated_v1_store_migrates_the_same_way() {
    let tmp = tempfile::tempdir().expect("tmp");
    testing::create_v1_fixture(tmp.path(), testing::FIXTURE_PIN, &testing::test_config())
        .expect("fixture");
    check_upgraded(tmp.path());
}
