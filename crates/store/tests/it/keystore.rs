//! The device secret in the OS keystore (a real Secret Service: scripts/test
//! runs the tests in a D-Bus session with gnome-keyring), and the attempt
//! rules that the keystore and the key-file lock make hold.

use std::path::Path;
use std::time::Duration;

use ecabinet_store::{
    testing, Binding, KdfParams, Keystore, Store, StoreConfig, StoreError, StoreState,
};

use crate::{files_containing, files_under, meeting, FakeClock, PIN};

const SERVICE: &str = "E-Cabinet tests";

fn keystore_config() -> StoreConfig {
    StoreConfig {
        kdf: KdfParams::FLOOR,
        keystore: Keystore::Os {
            service: SERVICE.into(),
        },
        ..StoreConfig::default()
    }
}

fn key_file(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("keys.json")).expect("key file")).expect("json")
}

fn item(dir: &Path) -> keyring::Entry {
    let id = key_file(dir)["store_id"]
        .as_str()
        .expect("store id")
        .to_owned();
    keyring::Entry::new(SERVICE, &id).expect("entry")
}

fn copy_dir(from: &Path, to: &Path) {
    for f in files_under(from) {
        let dest = to.join(f.strip_prefix(from).expect("under"));
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&f, &dest).expect("copy");
    }
}

#[test]
fn a_copy_of_the_whole_data_folder_cannot_be_opened_with_the_right_pin_without_the_keystore() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("data");
    let config = keystore_config();
    let store = Store::create(&dir, PIN, &config).expect("create");
    assert_eq!(store.binding().expect("binding"), Binding::OsKeystore);
    store
        .apply_changes(&[meeting("m1", "c1", "Mật", 1)], 1)
        .expect("apply");
    drop(store);
    assert_eq!(key_file(&dir)["binding"], "os_keystore");

    // The device secret is in the keystore and in no file of the folder.
    let entry = item(&dir);
    let saved_item = entry.get_secret().expect("keystore item");
    let parsed: serde_json::Value = serde_json::from_slice(&saved_item).expect("item json");
    let secret_hex = parsed["device_secret"].as_str().expect("secret").to_owned();
    assert_eq!(secret_hex.len(), 64);
    let secret: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&secret_hex[2 * i..2 * i + 2], 16).expect("hex"))
        .collect();
    assert_eq!(
        files_containing(&dir, &secret),
        Vec::<std::path::PathBuf>::new()
    );
    assert_eq!(
        files_containing(&dir, secret_hex.as_bytes()),
        Vec::<std::path::PathBuf>::new()
    );

    // The attacker's machine: every file, the right PIN, no keystore item.
    let copy = tmp.path().join("copy");
    copy_dir(&dir, &copy);
    entry.delete_credential().expect("remove the item");
    let clock = FakeClock::default();
    assert!(matches!(
        Store::open(&copy, PIN, &config, &clock),
        Err(StoreError::DeviceSecretMissing)
    ));
    // Relabelling the copy as PIN-only derives another key: still nothing.
    let mut kf = key_file(&copy);
    kf["binding"] = serde_json::json!("pin_only");
    std::fs::write(copy.join("keys.json"), kf.to_string()).expect("write");
    assert!(matches!(
        Store::open(&copy, PIN, &config, &clock),
        Err(StoreError::WrongPin { .. })
    ));

    // With the keystore item back, the original opens: the secret was the missing piece.
    entry.set_secret(&saved_item).expect("restore the item");
    let store = Store::open(&dir, PIN, &config, &clock).expect("open");
    assert_eq!(store.meetings(None).expect("meetings")[0].title, "Mật");
    store.wipe().expect("wipe");
    assert!(
        matches!(entry.get_secret(), Err(keyring::Error::NoEntry)),
        "the wipe removes the keystore item"
    );
}

#[test]
fn restoring_an_older_key_file_does_not_reset_the_wrong_pin_counter() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("data");
    let config = keystore_config();
    drop(Store::create(&dir, PIN, &config).expect("create"));
    let fresh = std::fs::read(dir.join("keys.json")).expect("key file");
    let clock = FakeClock::default();
    for _ in 0..3 {
        assert!(matches!(
            Store::open(&dir, "0000", &config, &clock),
            Err(StoreError::WrongPin { .. })
        ));
    }
    clock.take_sleeps();

    std::fs::write(dir.join("keys.json"), &fresh).expect("restore the old key file");
    let e = Store::open(&dir, "0000", &config, &clock).expect_err("wrong pin");
    assert!(
        matches!(
            e,
            StoreError::WrongPin {
                attempts_left: 6,
                ..
            }
        ),
        "the counter went back: {e:?}"
    );
    assert_eq!(
        clock.take_sleeps(),
        [Duration::from_secs(4)],
        "the delay of the 4th wrong PIN was served"
    );
    let store = Store::open(&dir, PIN, &config, &clock).expect("right pin");
    store.wipe().expect("wipe");
}

#[test]
fn two_parallel_unlock_attempts_take_turns_and_each_is_counted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("data");
    let config = keystore_config();
    drop(Store::create(&dir, PIN, &config).expect("create"));
    let clock = FakeClock::default();
    let results: Vec<StoreError> = std::thread::scope(|s| {
        let a = s.spawn(|| Store::open(&dir, "0000", &config, &clock));
        let b = s.spawn(|| Store::open(&dir, "1111", &config, &clock));
        [a.join().expect("a"), b.join().expect("b")]
            .into_iter()
            .map(|r| r.expect_err("wrong pin"))
            .collect()
    });
    let mut left: Vec<u32> = results
        .iter()
        .map(|e| match e {
            StoreError::WrongPin { attempts_left, .. } => *attempts_left,
            e => panic!("{e:?}"),
        })
        .collect();
    left.sort_unstable();
    assert_eq!(left, [8, 9], "both attempts saw the same counter");
    assert_eq!(
        clock.take_sleeps(),
        [Duration::from_secs(1)],
        "the second attempt waited for the first one's delay"
    );
    assert_eq!(
        Store::state(&dir, &config, &clock).expect("state"),
        StoreState::Locked {
            failed_attempts: 2,
            retry_after: Duration::from_secs(2),
            unsent_ops: 0,
        }
    );
    let store = Store::open(&dir, PIN, &config, &clock).expect("right pin");
    store.wipe().expect("wipe");
}

#[test]
fn a_weak_pin_without_a_keystore_is_refused_with_the_passphrase_rule() {
    let tmp = tempfile::tempdir().expect("tmp");
    let no_keystore = StoreConfig {
        keystore: Keystore::None,
        ..keystore_config()
    };
    let e = Store::create(&tmp.path().join("a"), PIN, &no_keystore).expect_err("weak");
    assert!(matches!(e, StoreError::PassphraseTooWeak), "{e:?}");
    assert!(e.to_string().contains("at least 12 characters"), "{e}");
    assert!(!tmp.path().join("a/keys.json").exists());

    let strong = "Họp-quý-IV-2026";
    let store = Store::create(&tmp.path().join("b"), strong, &no_keystore).expect("strong");
    assert_eq!(store.binding().expect("binding"), Binding::PinOnly);
    drop(store);
    drop(
        Store::open(
            &tmp.path().join("b"),
            strong,
            &no_keystore,
            &FakeClock::default(),
        )
        .expect("open"),
    );

    // The product's setting where the desktop has no reachable keyring.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let e = Store::create(&tmp.path().join("c"), PIN, &keystore_config()).expect_err("weak");
    assert!(matches!(e, StoreError::PassphraseTooWeak), "{e:?}");
    let store = Store::create(&tmp.path().join("c"), strong, &keystore_config()).expect("strong");
    assert_eq!(store.binding().expect("binding"), Binding::PinOnly);

    // Tests of other components may opt out, explicitly.
    drop(Store::create(&tmp.path().join("d"), PIN, &testing::test_config()).expect("test config"));
}

#[test]
fn a_pin_only_store_is_bound_to_the_keystore_at_its_first_unlock_where_one_is_reachable() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("data");
    // As a store made before keystores (or where none was reachable) is.
    let pin_only = testing::test_config();
    let store = Store::create(&dir, PIN, &pin_only).expect("create");
    assert_eq!(store.binding().expect("binding"), Binding::PinOnly);
    store
        .apply_changes(&[meeting("m1", "c1", "Trước", 1)], 1)
        .expect("apply");
    drop(store);

    let config = keystore_config();
    let clock = FakeClock::default();
    let store = Store::open(&dir, PIN, &config, &clock).expect("open");
    assert_eq!(store.binding().expect("binding"), Binding::OsKeystore);
    drop(store);
    let store = Store::open(&dir, PIN, &config, &clock).expect("open again");
    assert_eq!(store.meetings(None).expect("meetings")[0].title, "Trước");
    drop(store);

    // From now on the folder alone is not enough.
    let entry = item(&dir);
    let saved = entry.get_secret().expect("item");
    entry.delete_credential().expect("remove");
    assert!(matches!(
        Store::open(&dir, PIN, &config, &clock),
        Err(StoreError::DeviceSecretMissing)
    ));
    entry.set_secret(&saved).expect("restore");
    Store::open(&dir, PIN, &config, &clock)
        .expect("open")
        .wipe()
        .expect("wipe");
}
