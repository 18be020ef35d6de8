use std::time::Duration;

use ecabinet_store::{testing, PinPolicy, Store, StoreConfig, StoreError, StoreState, SystemClock};

use crate::{files_under, meeting, new_store, FakeClock, PIN};

#[test]
fn wrong_pin_is_refused_and_the_next_attempt_first_waits_a_growing_delay() {
    let (tmp, store) = new_store();
    let dir = store.dir().to_path_buf();
    store
        .apply_changes(&[meeting("m1", "c1", "Họp quý IV", 1)], 1)
        .expect("apply");
    drop(store);
    let clock = FakeClock::default();
    let config = testing::test_config();

    let e = Store::open(&dir, "0000", &config, &clock).expect_err("wrong pin");
    assert!(
        matches!(e, StoreError::WrongPin { attempts_left: 9, retry_after } if retry_after == Duration::from_secs(1)),
        "{e:?}"
    );
    assert_eq!(clock.take_sleeps(), Vec::<Duration>::new());
    assert_eq!(
        Store::state(&dir, &config, &clock).expect("state"),
        StoreState::Locked {
            failed_attempts: 1,
            retry_after: Duration::from_secs(1),
            unsent_ops: 0,
        }
    );
    let e = Store::open(&dir, "1111", &config, &clock).expect_err("wrong pin");
    assert!(
        matches!(e, StoreError::WrongPin { attempts_left: 8, retry_after } if retry_after == Duration::from_secs(2)),
        "{e:?}"
    );
    assert_eq!(clock.take_sleeps(), [Duration::from_secs(1)]);

    // Time already waited in this process counts: only the rest is served.
    clock.advance(Duration::from_millis(1500));
    let store = Store::open(&dir, PIN, &config, &clock).expect("right pin after the delay");
    assert_eq!(clock.take_sleeps(), [Duration::from_millis(500)]);
    assert_eq!(
        store.meetings(None).expect("meetings")[0].title,
        "Họp quý IV"
    );
    assert_eq!(
        Store::state(&dir, &config, &clock).expect("state"),
        StoreState::Locked {
            failed_attempts: 0,
            retry_after: Duration::ZERO,
            unsent_ops: 0,
        }
    );
    drop(tmp);
}

#[test]
fn an_attempt_left_in_progress_by_a_killed_process_lengthens_the_wait_but_never_wipes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("data");
    let config = StoreConfig {
        pin: PinPolicy {
            max_failed_attempts: 3,
            ..testing::test_config().pin
        },
        ..testing::test_config()
    };
    drop(Store::create(&dir, PIN, &config).expect("create"));
    let clock = FakeClock::default();
    let path = dir.join("keys.json");
    // What twelve processes killed during Argon2 leave behind, the last one
    // not yet counted.
    let mut kf: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    assert_eq!(kf["failed_attempts"], 0);
    kf["interrupted_attempts"] = serde_json::json!(11);
    kf["attempt_in_progress"] = serde_json::json!(true);
    std::fs::write(&path, kf.to_string()).expect("write");

    let store = Store::open(&dir, PIN, &config, &clock).expect("the right PIN still unlocks");
    // 11 recorded + 1 found in progress, one base delay each.
    assert_eq!(clock.take_sleeps(), [Duration::from_secs(12)]);
    drop(store);
    let kf: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    assert_eq!(kf["interrupted_attempts"], 0);
    assert_eq!(kf["attempt_in_progress"], false);
}

#[test]
fn the_last_allowed_wrong_pin_wipes_the_store() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("data");
    let config = StoreConfig {
        pin: PinPolicy {
            max_failed_attempts: 3,
            ..testing::test_config().pin
        },
        ..testing::test_config()
    };
    let store = Store::create(&dir, PIN, &config).expect("create");
    store
        .apply_changes(&[meeting("m1", "c1", "x", 1)], 1)
        .expect("apply");
    drop(store);
    let clock = FakeClock::default();
    for left in [2, 1] {
        let e = Store::open(&dir, "9999", &config, &clock).expect_err("wrong");
        assert!(
            matches!(e, StoreError::WrongPin { attempts_left, .. } if attempts_left == left),
            "{e:?}"
        );
        clock.advance(Duration::from_secs(3600));
    }
    assert!(matches!(
        Store::open(&dir, "9999", &config, &clock),
        Err(StoreError::Wiped)
    ));
    assert_eq!(files_under(&dir), Vec::<std::path::PathBuf>::new());
    assert_eq!(
        Store::state(&dir, &config, &clock).expect("state"),
        StoreState::NoData
    );
    assert!(matches!(
        Store::open(&dir, PIN, &config, &clock),
        Err(StoreError::NoData)
    ));
}

#[test]
fn a_wrong_pin_wipe_warns_first_and_keeps_a_record_of_the_unsent_ballots_it_erased() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("data");
    let config = StoreConfig {
        pin: PinPolicy {
            max_failed_attempts: 2,
            ..testing::test_config().pin
        },
        ..testing::test_config()
    };
    let store = Store::create(&dir, PIN, &config).expect("create");
    store
        .enqueue("0190a0b1-ballot-1", "ballot", b"{}")
        .expect("enqueue");
    store
        .enqueue("0190a0b1-ballot-2", "ballot", b"{}")
        .expect("enqueue");
    store
        .record_results(&[("0190a0b1-ballot-1", ecabinet_store::OpResult::Accepted)])
        .expect("answered");
    drop(store);
    let clock = FakeClock::default();
    assert!(matches!(
        Store::open(&dir, "0000", &config, &clock),
        Err(StoreError::WrongPin {
            attempts_left: 1,
            ..
        })
    ));
    // What the unlock screen and the CLI show before the last attempt.
    let Ok(StoreState::Locked {
        failed_attempts: 1,
        unsent_ops: 1,
        ..
    }) = Store::state(&dir, &config, &clock)
    else {
        panic!("the locked state does not count the unsent ballot");
    };
    assert!(matches!(
        Store::open(&dir, "0000", &config, &clock),
        Err(StoreError::Wiped)
    ));
    assert_eq!(
        ecabinet_store::lost_ops(&dir),
        Some(ecabinet_store::LostOps {
            op_ids: vec!["0190a0b1-ballot-2".into()]
        }),
        "the erased ballot is on record for the server"
    );
    assert_eq!(
        files_under(&dir),
        [dir.join(ecabinet_store::LOST_FILE)],
        "nothing else survives the wipe"
    );
    // A new enrolment in the folder keeps the record.
    drop(Store::create(&dir, PIN, &config).expect("create again"));
    assert!(ecabinet_store::lost_ops(&dir).is_some());
}

#[test]
fn changing_the_pin_keeps_data_readable_and_retires_the_old_pin() {
    let (_tmp, store) = new_store();
    let dir = store.dir().to_path_buf();
    let content = testing::pattern(100_000, 3);
    let sha = testing::sha256_hex(&content);
    let mut w = store
        .blob_writer(&sha, content.len() as u64)
        .expect("writer");
    w.append(&content).expect("append");
    w.finish().expect("finish");
    store
        .apply_changes(&[meeting("m1", "c1", "Trước khi đổi PIN", 1)], 1)
        .expect("apply");
    let db_before = std::fs::read(dir.join("blobs").join(&sha)).expect("blob");

    let clock = FakeClock::default();
    assert!(matches!(
        store.change_pin("0000", "24680", &clock),
        Err(StoreError::WrongPin { .. })
    ));
    clock.advance(Duration::from_secs(10));
    store.change_pin(PIN, "24680", &clock).expect("change pin");
    drop(store);

    // The blob file was not re-encrypted.
    assert_eq!(
        std::fs::read(dir.join("blobs").join(&sha)).expect("blob"),
        db_before
    );
    let config = testing::test_config();
    assert!(matches!(
        Store::open(&dir, PIN, &config, &clock),
        Err(StoreError::WrongPin { .. })
    ));
    clock.advance(Duration::from_secs(10));
    let store = Store::open(&dir, "24680", &config, &clock).expect("new pin");
    assert_eq!(
        store.meetings(None).expect("meetings")[0].title,
        "Trước khi đổi PIN"
    );
    assert_eq!(store.read_blob(&sha).expect("blob"), content);
}

#[test]
fn wipe_leaves_nothing_and_the_directory_says_enrol_again() {
    let (_tmp, store) = new_store();
    let dir = store.dir().to_path_buf();
    store
        .apply_changes(&[meeting("m1", "c1", "x", 1)], 1)
        .expect("apply");
    let content = testing::pattern(70_000, 1);
    let mut w = store
        .blob_writer(&testing::sha256_hex(&content), 70_000)
        .expect("writer");
    w.append(&content).expect("append");
    w.finish().expect("finish");
    let mut partial = store
        .blob_writer(&testing::sha256_hex(b"other"), 5)
        .expect("writer");
    partial.append(b"oth").expect("append");
    drop(partial);
    let before: Vec<String> = files_under(&dir)
        .iter()
        .map(|p| p.strip_prefix(&dir).expect("under").display().to_string())
        .collect();
    for f in ["cache.db", "cache.db-wal", "keys.json", "keys.lock"] {
        assert!(before.iter().any(|b| b == f), "{f} missing from {before:?}");
    }
    assert!(
        before.iter().any(|b| b.starts_with("blobs/partial/")),
        "{before:?}"
    );

    store.wipe().expect("wipe");
    assert_eq!(files_under(&dir), Vec::<std::path::PathBuf>::new());
    assert_eq!(
        std::fs::read_dir(&dir).expect("dir").count(),
        0,
        "not even empty folders remain"
    );
    assert_eq!(
        Store::state(&dir, &testing::test_config(), &SystemClock).expect("state"),
        StoreState::NoData
    );
    assert!(matches!(
        Store::open(&dir, PIN, &testing::test_config(), &SystemClock),
        Err(StoreError::NoData)
    ));
}

#[test]
fn create_refuses_to_overwrite_and_weak_settings_are_refused() {
    let (_tmp, store) = new_store();
    let dir = store.dir().to_path_buf();
    drop(store);
    assert!(matches!(
        Store::create(&dir, PIN, &testing::test_config()),
        Err(StoreError::AlreadyExists(_))
    ));
    let tmp = tempfile::tempdir().expect("tmp");
    let weak = StoreConfig {
        kdf: ecabinet_store::KdfParams {
            m_kib: 8 * 1024,
            t: 1,
            p: 1,
        },
        ..testing::test_config()
    };
    assert!(matches!(
        Store::create(tmp.path(), PIN, &weak),
        Err(StoreError::WeakKdfParams(_))
    ));
    assert!(matches!(
        Store::create(tmp.path(), "12", &testing::test_config()),
        Err(StoreError::PinTooShort { min_len: 4 })
    ));
}

#[test]
fn the_default_argon2_settings_create_and_unlock_a_store() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("data");
    let config = StoreConfig {
        kdf: StoreConfig::default().kdf,
        ..testing::test_config()
    };
    assert_eq!(config.kdf, ecabinet_store::KdfParams::DEFAULT);
    let store = Store::create(&dir, PIN, &config).expect("create");
    store
        .apply_changes(&[meeting("m1", "c1", "x", 1)], 3)
        .expect("apply");
    drop(store);
    let key_file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("keys.json")).expect("key file"))
            .expect("json");
    assert_eq!(key_file["kdf"], "argon2id");
    assert_eq!(key_file["params"]["m_kib"], 64 * 1024);
    let store = Store::open(&dir, PIN, &config, &SystemClock).expect("open");
    assert_eq!(store.cursor().expect("cursor"), 3);
}

#[test]
fn an_edited_key_file_unlocks_nothing() {
    let (_tmp, store) = new_store();
    let dir = store.dir().to_path_buf();
    drop(store);
    let path = dir.join("keys.json");
    let original = std::fs::read_to_string(&path).expect("key file");
    let clock = FakeClock::default();
    let config = testing::test_config();

    // Cheaper parameters written by an attacker do not derive the same key.
    let mut kf: serde_json::Value = serde_json::from_str(&original).expect("json");
    kf["params"]["t"] = serde_json::json!(3);
    std::fs::write(&path, kf.to_string()).expect("write");
    assert!(matches!(
        Store::open(&dir, PIN, &config, &clock),
        Err(StoreError::WrongPin { .. })
    ));

    std::fs::write(&path, "{ not json").expect("write");
    assert!(matches!(
        Store::open(&dir, PIN, &config, &clock),
        Err(StoreError::KeyFileCorrupt(_))
    ));
    assert!(matches!(
        Store::state(&dir, &config, &clock),
        Err(StoreError::KeyFileCorrupt(_))
    ));

    std::fs::write(&path, &original).expect("restore");
    Store::open(&dir, PIN, &config, &clock).expect("the original file still unlocks");
}
