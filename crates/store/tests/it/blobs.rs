use std::fs;
use std::io::Write as _;

use ecabinet_store::{testing, StoreError, CHUNK_SIZE};

use crate::new_store;

const HEADER: usize = 36;
const TAG: usize = 16;

fn put(store: &ecabinet_store::Store, content: &[u8]) -> String {
    let sha = testing::sha256_hex(content);
    let mut w = store
        .blob_writer(&sha, content.len() as u64)
        .expect("writer");
    // Odd-sized writes exercise the chunk buffering.
    for piece in content.chunks(10_007) {
        w.write_all(piece).expect("write");
    }
    w.finish().expect("finish");
    sha
}

#[test]
fn blobs_of_every_edge_size_round_trip() {
    let (_tmp, store) = new_store();
    for (i, len) in [
        0,
        1,
        CHUNK_SIZE - 1,
        CHUNK_SIZE,
        CHUNK_SIZE + 1,
        3 * CHUNK_SIZE + 5,
    ]
    .into_iter()
    .enumerate()
    {
        let content = testing::pattern(len, i as u64);
        let sha = put(&store, &content);
        assert!(store.has_blob(&sha).expect("has"));
        assert_eq!(store.read_blob(&sha).expect("read"), content, "len {len}");
        let on_disk = fs::metadata(store.dir().join("blobs").join(&sha))
            .expect("meta")
            .len() as usize;
        assert_eq!(
            on_disk,
            HEADER + len + len.div_ceil(CHUNK_SIZE).max(1) * TAG
        );
    }
}

#[test]
fn a_partial_download_is_not_a_blob_and_resumes_from_its_last_whole_chunk() {
    let (_tmp, store) = new_store();
    let content = testing::pattern(5 * CHUNK_SIZE + 123, 9);
    let sha = testing::sha256_hex(&content);
    let mut w = store
        .blob_writer(&sha, content.len() as u64)
        .expect("writer");
    assert_eq!(w.resume_offset(), 0);
    w.append(&content[..2 * CHUNK_SIZE + 500]).expect("append");
    assert_eq!(w.sync().expect("sync"), 2 * CHUNK_SIZE as u64);
    drop(w); // the connection dropped mid-download

    assert!(!store.has_blob(&sha).expect("has"));
    assert!(matches!(
        store.read_blob(&sha),
        Err(StoreError::BlobMissing(_))
    ));

    let mut w = store
        .blob_writer(&sha, content.len() as u64)
        .expect("resume");
    assert_eq!(w.resume_offset(), 2 * CHUNK_SIZE as u64);
    w.append(&content[w.resume_offset() as usize..])
        .expect("rest");
    w.finish().expect("finish");
    assert_eq!(store.read_blob(&sha).expect("read"), content);
    assert!(fs::read_dir(store.dir().join("blobs/partial"))
        .expect("dir")
        .next()
        .is_none());
}

#[test]
fn a_damaged_partial_chunk_is_dropped_on_resume() {
    let (_tmp, store) = new_store();
    let content = testing::pattern(4 * CHUNK_SIZE, 10);
    let sha = testing::sha256_hex(&content);
    let mut w = store
        .blob_writer(&sha, content.len() as u64)
        .expect("writer");
    w.append(&content[..3 * CHUNK_SIZE]).expect("append");
    w.sync().expect("sync");
    drop(w);
    let part = store
        .dir()
        .join("blobs/partial")
        .join(format!("{sha}.part"));
    let mut bytes = fs::read(&part).expect("part");
    bytes[HEADER + (CHUNK_SIZE + TAG) + 7] ^= 0x01; // inside chunk 1
    fs::write(&part, &bytes).expect("write");
    let mut w = store
        .blob_writer(&sha, content.len() as u64)
        .expect("resume");
    assert_eq!(
        w.resume_offset(),
        CHUNK_SIZE as u64,
        "only chunk 0 authenticates"
    );
    w.append(&content[CHUNK_SIZE..]).expect("rest");
    w.finish().expect("finish");
    assert_eq!(store.read_blob(&sha).expect("read"), content);
}

#[test]
fn content_that_does_not_match_its_name_never_becomes_visible() {
    let (_tmp, store) = new_store();
    let content = testing::pattern(100_000, 1);
    let wrong = testing::sha256_hex(b"something else");
    let mut w = store
        .blob_writer(&wrong, content.len() as u64)
        .expect("writer");
    w.append(&content).expect("append");
    assert!(matches!(
        w.finish(),
        Err(StoreError::BlobHashMismatch { .. })
    ));
    assert!(!store.has_blob(&wrong).expect("has"));
    assert!(crate::files_under(&store.dir().join("blobs")).is_empty());

    let mut w = store.blob_writer(&wrong, 10).expect("writer");
    assert!(matches!(
        w.append(&[0; 11]),
        Err(StoreError::BlobSizeMismatch { .. })
    ));
    w.append(&[0; 4]).expect("append");
    assert!(matches!(
        w.finish(),
        Err(StoreError::BlobSizeMismatch {
            expected: 10,
            actual: 4,
            ..
        })
    ));
    assert!(matches!(
        store.blob_writer("ABC", 1),
        Err(StoreError::InvalidBlobId(_))
    ));
    assert!(matches!(
        store.read_blob("../keys.json"),
        Err(StoreError::InvalidBlobId(_))
    ));
}

/// Applies `damage` to the stored file of a 3-chunk blob and expects the read to fail.
fn check_damage(damage: impl Fn(&mut Vec<u8>), expected_chunk: u64) {
    let (_tmp, store) = new_store();
    let content = testing::pattern(2 * CHUNK_SIZE + 1000, 4);
    let sha = put(&store, &content);
    let path = store.dir().join("blobs").join(&sha);
    let mut bytes = fs::read(&path).expect("read");
    damage(&mut bytes);
    fs::write(&path, &bytes).expect("write");
    match store.read_blob(&sha) {
        Err(StoreError::BlobCorrupt { chunk, .. }) => assert_eq!(chunk, expected_chunk),
        other => panic!("expected BlobCorrupt, got {:?}", other.map(|v| v.len())),
    }
}

#[test]
fn a_flipped_bit_in_any_chunk_or_tag_fails_the_read() {
    let rec = CHUNK_SIZE + TAG;
    check_damage(|b| b[HEADER + 5] ^= 0x80, 0);
    check_damage(|b| b[HEADER + rec + CHUNK_SIZE + 3] ^= 0x01, 1); // chunk 1's tag
    check_damage(|b| *b.last_mut().expect("byte") ^= 0x01, 2);
    check_damage(|b| b[10] ^= 0x01, 0); // file salt in the header
}

#[test]
fn truncated_reordered_or_extended_files_fail_the_read() {
    let rec = CHUNK_SIZE + TAG;
    // The last chunk is gone: chunk 1 is now last, but was not sealed as last.
    check_damage(|b| b.truncate(HEADER + 2 * rec), 2);
    check_damage(|b| b.truncate(b.len() - 1), 2);
    // Chunks 0 and 1 swapped.
    check_damage(
        |b| {
            let (c0, c1) = (
                b[HEADER..HEADER + rec].to_vec(),
                b[HEADER + rec..HEADER + 2 * rec].to_vec(),
            );
            b[HEADER..HEADER + rec].copy_from_slice(&c1);
            b[HEADER + rec..HEADER + 2 * rec].copy_from_slice(&c0);
        },
        0,
    );
    // The announced size shrunk to two chunks (the AAD binds it).
    check_damage(
        |b| b[28..36].copy_from_slice(&(2 * CHUNK_SIZE as u64).to_le_bytes()),
        0,
    );
    check_damage(|b| b.extend_from_slice(&[0; 16]), 3);
}

#[test]
fn a_blob_file_moved_under_another_name_does_not_decrypt() {
    let (_tmp, store) = new_store();
    let a = testing::pattern(50_000, 1);
    let b = testing::pattern(50_000, 2);
    let (sa, sb) = (put(&store, &a), put(&store, &b));
    let dir = store.dir().join("blobs");
    fs::copy(dir.join(&sa), dir.join(&sb)).expect("swap");
    assert!(matches!(
        store.read_blob(&sb),
        Err(StoreError::BlobCorrupt { chunk: 0, .. })
    ));
    assert_eq!(store.read_blob(&sa).expect("a"), a);
}
