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
    // The 3,000 meetings fill most of the file, so these pages hold their rows or index.
    for page in [pages / 4, pages / 2, 3 * pages / 4] {
        std::fs::write(&db, &original).expect("restore");
        flip(&db, page * PAGE + 1000);
        let store = Store::open(&dir, PIN, &testing::test_config(), &SystemClock)
            .expect("schema pages are intact");
        match store.meetings(None) {
            Err(StoreError::DatabaseCorrupt(_)) => {}
            other => panic!(
                "page {page}: expected DatabaseCorrupt, got {:?}",
                other.map(|v| v.len())
            ),
        }
    }
}

#[test]
fn a_flipped_byte_in_the_first_page_fails_the_open() {
    let (_tmp, dir) = filled_store();
    flip(&dir.join("cache.db"), 100);
    let e = Store::open(&dir, PIN, &testing::test_config(), &SystemClock).expect_err("corrupt");
    assert!(matches!(e, StoreError::DatabaseCorrupt(_)), "{e:?}");
}
