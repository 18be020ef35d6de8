//! The whole-file check before a blob is read on demand, and its seal.

use std::io::{Read, Seek, SeekFrom, Write};

use ecabinet_store::{testing, BlobCheck, Store, StoreError, BLOB_DIR, CHUNK_SIZE};

use crate::new_store;

fn stored(store: &Store, len: usize, seed: u64, seal: bool) -> (String, Vec<u8>) {
    let data = testing::pattern(len, seed);
    let sha = testing::sha256_hex(&data);
    let mut w = store.blob_writer(&sha, data.len() as u64).expect("writer");
    w.append(&data).expect("append");
    if seal {
        store.finish_blob(w).expect("finish and seal");
    } else {
        w.finish().expect("finish");
    }
    (sha, data)
}

fn read_all(store: &Store, sha: &str) -> Result<(Vec<u8>, BlobCheck), StoreError> {
    let (mut reader, check) = store.checked_blob_reader(sha)?;
    let mut out = Vec::new();
    reader.read_to_end(&mut out).expect("read");
    Ok((out, check))
}

#[test]
fn a_downloaded_blob_opens_without_a_second_pass_and_reads_back_whole() {
    let (_tmp, store) = new_store();
    let (sha, data) = stored(&store, 5 * CHUNK_SIZE + 123, 1, true);
    let (back, check) = read_all(&store, &sha).expect("open");
    assert_eq!(check, BlobCheck::Sealed);
    assert!(back == data, "plaintext differs");
}

#[test]
fn a_blob_never_checked_is_checked_once_then_sealed() {
    let (_tmp, store) = new_store();
    let (sha, data) = stored(&store, 3 * CHUNK_SIZE, 2, false);
    let (back, first) = read_all(&store, &sha).expect("first open");
    assert_eq!(first, BlobCheck::Verified);
    assert!(
        back == data,
        "plaintext differs after the check rewound the reader"
    );
    assert_eq!(read_all(&store, &sha).expect("second").1, BlobCheck::Sealed);
}

/// A byte flipped in place in the last chunk, with the modification time set
/// back: the change time still moves, so the whole-file check runs and
/// refuses the blob before a reader is handed out — although the first
/// chunks would have read fine.
#[test]
fn a_sealed_blob_damaged_in_place_with_its_mtime_restored_is_refused_whole() {
    let (_tmp, store) = new_store();
    let (sha, _) = stored(&store, 6 * CHUNK_SIZE + 10, 3, true);
    let path = store.dir().join(BLOB_DIR).join(&sha);
    let mtime = std::fs::metadata(&path)
        .expect("stat")
        .modified()
        .expect("mtime");
    // The change time has a resolution of one clock tick; make sure it can move.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .expect("open");
    let at = file.metadata().expect("len").len() - 20; // inside the last record (10 bytes + tag)
    let mut byte = [0u8; 1];
    file.seek(SeekFrom::Start(at)).expect("seek");
    file.read_exact(&mut byte).expect("read");
    file.seek(SeekFrom::Start(at)).expect("seek");
    file.write_all(&[byte[0] ^ 0x20]).expect("write");
    file.set_modified(mtime).expect("restore mtime");
    drop(file);

    // Reading on demand alone would hand out the undamaged first chunk.
    let mut lazy = store
        .blob_reader(&sha)
        .expect("header and length are intact");
    let mut first = vec![0u8; 100];
    lazy.read_exact(&mut first)
        .expect("first chunk authenticates");

    match store.checked_blob_reader(&sha) {
        Err(StoreError::BlobCorrupt { chunk, .. }) => assert_eq!(chunk, 6),
        Err(e) => panic!("expected BlobCorrupt, got {e:?}"),
        Ok((_, check)) => panic!("damaged blob handed out ({check:?})"),
    }
    // And it stays refused: a failed check does not seal anything.
    assert!(store.checked_blob_reader(&sha).is_err());
}

#[test]
fn a_blob_replaced_by_another_stores_file_is_refused() {
    let (_tmp, store) = new_store();
    let (sha, _) = stored(&store, 2 * CHUNK_SIZE, 4, true);
    // The same plaintext stored by another device's store: a valid blob file,
    // but under another key and salt.
    let (_tmp2, other) = new_store();
    let (sha2, _) = stored(&other, 2 * CHUNK_SIZE, 4, true);
    assert_eq!(sha, sha2);
    std::fs::copy(
        other.dir().join(BLOB_DIR).join(&sha),
        store.dir().join(BLOB_DIR).join(&sha),
    )
    .expect("swap the file");
    assert!(matches!(
        store.checked_blob_reader(&sha),
        Err(StoreError::BlobCorrupt { chunk: 0, .. })
    ));
}

#[test]
fn a_removed_blob_is_missing_and_its_seal_is_gone() {
    let (_tmp, store) = new_store();
    let (sha, _) = stored(&store, CHUNK_SIZE, 5, true);
    store.remove_blob(&sha).expect("remove");
    assert!(matches!(
        store.checked_blob_reader(&sha),
        Err(StoreError::BlobMissing(_))
    ));
    // Stored again without the download path's seal: checked afresh.
    let (sha_again, _) = stored(&store, CHUNK_SIZE, 5, false);
    assert_eq!(sha_again, sha);
    assert_eq!(read_all(&store, &sha).expect("open").1, BlobCheck::Verified);
}

/// The whole-file check reads on one thread and hashes on another, several
/// megabytes apart: damage found late, with buffers still in flight, is
/// still a refusal (and the check ends), and a large intact blob passes.
#[test]
fn a_large_blob_is_checked_whole_and_damage_near_its_end_is_found() {
    let (_tmp, store) = new_store();
    let len = 6 * 1024 * 1024 + 77;
    let (sha, data) = stored(&store, len, 11, false);
    let (back, check) = read_all(&store, &sha).expect("intact");
    assert_eq!(check, BlobCheck::Verified);
    assert!(back == data, "plaintext differs");

    let (sha, _) = stored(&store, len, 12, false);
    let path = store.dir().join(BLOB_DIR).join(&sha);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .expect("open");
    let at = file.metadata().expect("len").len() - 40;
    let mut byte = [0u8; 1];
    file.seek(SeekFrom::Start(at)).expect("seek");
    file.read_exact(&mut byte).expect("read");
    file.seek(SeekFrom::Start(at)).expect("seek");
    file.write_all(&[byte[0] ^ 0x01]).expect("write");
    drop(file);
    let last = (len as u64).div_ceil(CHUNK_SIZE as u64) - 1;
    match store.checked_blob_reader(&sha) {
        Err(StoreError::BlobCorrupt { chunk, .. }) => assert_eq!(chunk, last),
        Err(e) => panic!("expected BlobCorrupt, got {e:?}"),
        Ok((_, check)) => panic!("damaged blob handed out ({check:?})"),
    }
}

/// A sealed file whose stamp moved without its content changing (its
/// permissions set again, a backup tool touching it): re-checked by every
/// chunk's tag under the sealed salt, read back whole, then sealed again.
#[test]
fn a_sealed_blob_whose_stamp_only_moved_is_rechecked_by_its_tags() {
    let (_tmp, store) = new_store();
    let (sha, data) = stored(&store, 4 * CHUNK_SIZE + 9, 21, true);
    let path = store.dir().join(BLOB_DIR).join(&sha);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let perms = std::fs::metadata(&path).expect("stat").permissions();
    std::fs::set_permissions(&path, perms).expect("chmod");
    let (back, check) = read_all(&store, &sha).expect("open");
    assert_eq!(check, BlobCheck::TagsVerified);
    assert!(back == data, "plaintext differs");
    assert_eq!(read_all(&store, &sha).expect("again").1, BlobCheck::Sealed);
}

/// Tags alone would pass a partial download whose content never matched
/// the blob's hash (it was written under the same blob id, with valid
/// tags): moved into place by someone with access to the disk, it has
/// another salt than the sealed file, so the whole check runs and refuses
/// it by its SHA-256.
#[test]
fn a_partial_download_moved_over_a_sealed_blob_gets_the_whole_check() {
    let (_tmp, store) = new_store();
    let len = 3 * CHUNK_SIZE;
    let (sha, _) = stored(&store, len, 22, true);
    let wrong = testing::pattern(len, 23);
    let mut w = store.blob_writer(&sha, len as u64).expect("writer");
    w.append(&wrong).expect("append");
    w.sync().expect("sync");
    let partial = store
        .dir()
        .join(BLOB_DIR)
        .join(ecabinet_store::PARTIAL_DIR)
        .join(format!("{sha}.part"));
    std::fs::copy(&partial, store.dir().join(BLOB_DIR).join(&sha)).expect("move into place");
    drop(w);
    match store.checked_blob_reader(&sha) {
        Err(StoreError::BlobHashMismatch { expected, .. }) => assert_eq!(expected, sha),
        Err(e) => panic!("expected BlobHashMismatch, got {e:?}"),
        Ok((_, check)) => panic!("a file that never matched its hash handed out ({check:?})"),
    }
}
