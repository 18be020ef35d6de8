use ecabinet_store::{testing, Store, StoreError, SystemClock};

use crate::{meeting, new_store, PIN};

const PAGE: usize = 4096;

fn filled_store() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, store) = new_store();
    let page: Vec<_> = (0..3000)
        .map(|i| {
            meeting(
                &format!("m{i:05}"),
                "c1",
                &format!("Cuộc họp số {i} về ngân sách"),
                i,
            )
        })
        .collect();
    store.apply_changes(&page, 1).expect("apply");
    assert_eq!(store.meetings(None).expect("list").len(), 3000);
    let dir = store.dir().to_path_buf();
    drop(store); // folds the WAL into cache.db
    assert!(!dir.join("cache.db-wal").exists());
    (tmp, dir)
}

fn flip(path: &std::path::Path, offset: usize) {
    let mut bytes = std::fs::read(path).expect("read");
    bytes[offset] ^= 0x04;
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn a_flipped_byte_in_a_data_page_fails_the_read_instead_of_returning_altered_rows() {
    let (_tmp, dir) = filled_store();
    let db = dir.join("cache.db");
    let original = std::fs::read(&db).expect("db");
    let pages = original.len() / PAGE;
    assert!(pages > 20, "{pages} pages");
    let rows = |store: &Store| {
        store.meetings(None).map(|list| {
            list.iter()
                .map(|m| format!("{}|{}|{}", m.id, m.title, m.starts_at))
                .collect::<Vec<_>>()
        })
    };
    let clean = {
        let store = Store::open(&dir, PIN, &testing::test_config(), &SystemClock).expect("open");
        rows(&store).expect("read")
    };
    // Pages across the file (the 3,000 meetings fill most of it): each is
    // either read by the listing, and then the read fails, or not read by
    // it (an index the query does not use), and then the rows are the
    // original ones. Never altered rows; and most of these pages are read.
    let (mut caught, mut tried) = (0, 0);
    for page in (pages / 10..pages * 9 / 10).step_by((pages / 20).max(1)) {
        std::fs::write(&db, &original).expect("restore");
        flip(&db, page * PAGE + 1000);
        let store = Store::open(&dir, PIN, &testing::test_config(), &SystemClock)
            .expect("schema pages are intact");
        tried += 1;
        match rows(&store) {
            Err(StoreError::DatabaseCorrupt(_)) => caught += 1,
            Ok(read) => assert_eq!(read, clean, "page {page}: altered rows were returned"),
            Err(other) => panic!("page {page}: expected DatabaseCorrupt, got {other:?}"),
        }
    }
    assert!(
        caught * 3 >= tried * 2,
        "only {caught} of {tried} flipped pages were read and caught"
    );
}

#[test]
fn a_flipped_byte_in_the_first_page_fails_the_open() {
    let (_tmp, dir) = filled_store();
    flip(&dir.join("cache.db"), 100);
    let e = Store::open(&dir, PIN, &testing::test_config(), &SystemClock).expect_err("corrupt");
    assert!(matches!(e, StoreError::DatabaseCorrupt(_)), "{e:?}");
}
