//! A wipe never silently drops queued ballots (issue 15): the last wrong PIN
//! erases a ballot the server never got, the member enrols again, and the
//! new device tells the real server, where the chair sees the lost ballot.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ecabinet_store::{Clock, Store, StoreError};
use ecabinet_sync::{Session, Syncer};
use ecabinet_tests::TestServer;

/// A clock whose waits pass at once, so ten wrong PINs take no real time.
struct Hurried {
    start: Instant,
    offset: Mutex<Duration>,
}

impl Clock for Hurried {
    fn now(&self) -> Instant {
        self.start + *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn sleep(&self, d: Duration) {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) += d;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ballot_erased_by_wrong_pins_is_reported_to_the_server_at_the_next_enrolment(
) -> Result<()> {
    let server = TestServer::start().await?;
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("member");

    let store = server.enrol("member", &dir).await?;
    Syncer::new(store.clone())?.sync_once(&()).await?;
    // A ballot queued offline, never pushed.
    let lost_op =
        ecabinet_sync::cast_ballot(&store, &server.seed.live_motion_id, 0, 1_796_000_000_000)?;
    drop(store);

    // Someone tries PINs until the store wipes itself.
    let config = ecabinet_store::testing::test_config();
    let clock = Hurried {
        start: Instant::now(),
        offset: Mutex::new(Duration::ZERO),
    };
    let mut wiped = false;
    for _ in 0..config.pin.max_failed_attempts {
        match Store::open(&dir, "000000", &config, &clock) {
            Err(StoreError::Wiped) => {
                wiped = true;
                break;
            }
            Err(StoreError::WrongPin { .. }) => {}
            other => bail!("unexpected answer to a wrong PIN: {:?}", other.err()),
        }
    }
    assert!(wiped, "the last wrong PIN wipes the store");
    assert_eq!(
        ecabinet_store::lost_ops(&dir).map(|l| l.op_ids),
        Some(vec![lost_op.clone()])
    );

    // The member enrols again in the same folder: the new device reports it.
    let store = server.enrol("member", &dir).await?;
    assert_eq!(
        ecabinet_store::lost_ops(&dir),
        None,
        "reported, not pending"
    );
    assert_eq!(
        ecabinet_store::reported_lost_ops(&dir).map(|l| l.op_ids),
        Some(vec![lost_op.clone()]),
        "kept so the member can still be told"
    );

    // The chair sees the lost ballot, which the server never received.
    let chair = server.client("chair").await?;
    let seen = chair
        .get(&format!(
            "/v1/committees/{}/lost-ops",
            server.seed.committee_id
        ))
        .await?;
    let lost = seen["lost"].as_array().context("lost")?;
    assert_eq!(lost.len(), 1, "{seen}");
    assert_eq!(lost[0]["op_id"], lost_op.as_str());
    assert_eq!(lost[0]["server_status"], serde_json::Value::Null);
    let session = Session::load(&store)?.context("session")?;
    assert_eq!(lost[0]["member_id"], session.user_id.as_str());
    assert_eq!(lost[0]["reported_by_device"], session.device_id.as_str());

    // Enrolling once more does not report it again.
    drop(store);
    ecabinet_store::wipe_dir(&dir)?;
    drop(server.enrol("member", &dir).await?);
    let again = chair
        .get(&format!(
            "/v1/committees/{}/lost-ops",
            server.seed.committee_id
        ))
        .await?;
    assert_eq!(again["lost"], seen["lost"], "reported once");
    Ok(())
}
