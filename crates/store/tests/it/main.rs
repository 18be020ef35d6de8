//! Integration tests of the encrypted cache, one module per topic.
#![allow(clippy::unwrap_used)]

mod blobs;
mod cache;
mod confidentiality;
mod crash;
mod keys;
mod keystore;
mod seal;
mod tamper;
mod upgrade;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ecabinet_store::{testing, Clock, Store};

pub const PIN: &str = "1357";

/// A clock the test moves by hand; waiting on it moves it and is recorded.
pub struct FakeClock {
    start: Instant,
    offset: Mutex<Duration>,
    slept: Mutex<Vec<Duration>>,
}

impl Default for FakeClock {
    fn default() -> Self {
        FakeClock {
            start: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
            slept: Mutex::new(Vec::new()),
        }
    }
}

impl FakeClock {
    pub fn advance(&self, d: Duration) {
        *self.offset.lock().expect("clock") += d;
    }

    /// The waits served since the last call.
    pub fn take_sleeps(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.slept.lock().expect("clock"))
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Instant {
        self.start + *self.offset.lock().expect("clock")
    }
    fn sleep(&self, d: Duration) {
        self.slept.lock().expect("clock").push(d);
        self.advance(d);
    }
}

/// A fresh store in a temp dir (kept alive by the returned guard).
pub fn new_store() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store =
        Store::create(&tmp.path().join("data"), PIN, &testing::test_config()).expect("create");
    (tmp, store)
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Files under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| {
            let bytes = std::fs::read(p).expect("read");
            bytes.windows(needle.len()).any(|w| w == needle)
        })
        .collect()
}

pub fn meeting(
    id: &str,
    committee: &str,
    title: &str,
    starts_at: i64,
) -> ecabinet_store::FeedChange {
    ecabinet_store::FeedChange {
        entity: ecabinet_store::Entity::Meeting,
        id: id.into(),
        op: ecabinet_store::FeedOp::Upsert(serde_json::json!({
            "id": id, "committee_id": committee, "title": title, "starts_at": starts_at,
            "location": "Hội trường A", "status": "published",
        })),
    }
}

pub fn python() -> PathBuf {
    std::env::var_os("ECABINET_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/py/bin/python"))
}
