use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use ecabinet_store::{testing, Store, SystemClock, CHUNK_SIZE};

use crate::{new_store, PIN};

fn helper(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ecabinet-store-testtool"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn helper")
}

/// Reads the child's `<word> N` lines until `stop(N)`, kills it with SIGKILL,
/// and returns the last N it reported.
fn run_until_killed(mut child: Child, stop: impl Fn(u64) -> bool) -> u64 {
    let stdout = child.stdout.take().expect("stdout");
    let mut last = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if let Some(n) = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()) {
            last = n;
            if stop(n) {
                break;
            }
        } else {
            panic!("helper finished before it was killed: {line}");
        }
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "killed, not exited");
    last
}

#[test]
fn killing_the_process_mid_transaction_leaves_the_old_or_the_new_page() {
    let (_tmp, store) = new_store();
    let dir = store.dir().to_path_buf();
    drop(store);
    let child = helper(&["crash-tx", dir.to_str().expect("utf8"), PIN]);
    let reported = run_until_killed(child, |n| n >= 30) as i64;

    let store = Store::open(&dir, PIN, &testing::test_config(), &SystemClock)
        .expect("reopen after SIGKILL");
    let cursor = store.cursor().expect("cursor");
    assert!(
        cursor >= reported,
        "a reported commit was lost: cursor {cursor} < {reported}"
    );
    let meetings = store.meetings(None).expect("meetings");
    assert_eq!(meetings.len(), 50);
    for m in &meetings {
        assert_eq!(
            m.title,
            format!("gen-{cursor}"),
            "a page was applied partly"
        );
    }
    let ok: String = store
        .read(|tx| Ok(tx.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
        .expect("check");
    assert_eq!(ok, "ok");
}

#[test]
fn killing_the_process_mid_blob_leaves_a_partial_file_that_resumes() {
    let (_tmp, store) = new_store();
    let dir = store.dir().to_path_buf();
    drop(store);
    let size = 40 * CHUNK_SIZE + 777;
    let seed = 77;
    let child = helper(&[
        "crash-blob",
        dir.to_str().expect("utf8"),
        PIN,
        &size.to_string(),
        &seed.to_string(),
    ]);
    let durable = run_until_killed(child, |n| n >= 6 * CHUNK_SIZE as u64);

    let content = testing::pattern(size, seed);
    let sha = testing::sha256_hex(&content);
    let store = Store::open(&dir, PIN, &testing::test_config(), &SystemClock)
        .expect("reopen after SIGKILL");
    assert!(
        !store.has_blob(&sha).expect("has"),
        "a half-written blob is not a blob"
    );
    let mut w = store.blob_writer(&sha, size as u64).expect("resume");
    let at = w.resume_offset();
    assert!(
        at >= durable,
        "durable chunks lost: resume at {at}, reported {durable}"
    );
    assert!(at < size as u64, "killed before the end");
    assert_eq!(at % CHUNK_SIZE as u64, 0);
    w.append(&content[at as usize..]).expect("rest");
    w.finish().expect("finish");
    assert_eq!(store.read_blob(&sha).expect("read"), content);
}
