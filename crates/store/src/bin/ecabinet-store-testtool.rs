//! Helper process for the store's tests (not shipped to users): runs workloads
//! that the tests kill with SIGKILL mid-way, and generates the schema fixtures.
//!
//! - `crash-tx DIR PIN`: applies feed pages forever, printing `committed N` after each commit.
//! - `crash-blob DIR PIN SIZE SEED`: writes a blob chunk by chunk, printing `stored OFFSET`
//!   after each durable chunk, then `done`.
//! - `fixture-v1 DIR`: creates a store at schema v1 (regenerates `tests/fixtures/v1`).

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use ecabinet_store::{testing, Entity, FeedChange, FeedOp, Store, SystemClock};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().context("missing argument");
    let config = testing::test_config();
    match arg(0)?.as_str() {
        "crash-tx" => {
            let store = Store::open(&PathBuf::from(arg(1)?), &arg(2)?, &config, &SystemClock)?;
            let mut n = store.cursor()?;
            loop {
                n += 1;
                let page: Vec<FeedChange> = (0..50)
                    .map(|i| FeedChange {
                        entity: Entity::Meeting,
                        id: format!("m{i}"),
                        op: FeedOp::Upsert(serde_json::json!({
                            "id": format!("m{i}"), "committee_id": "c1",
                            "title": format!("gen-{n}"), "starts_at": n,
                        })),
                    })
                    .collect();
                store.apply_changes(&page, n)?;
                println!("committed {n}");
                std::io::stdout().flush()?;
            }
        }
        "crash-blob" => {
            let store = Store::open(&PathBuf::from(arg(1)?), &arg(2)?, &config, &SystemClock)?;
            let size: usize = arg(3)?.parse()?;
            let seed: u64 = arg(4)?.parse()?;
            let content = testing::pattern(size, seed);
            let mut w = store.blob_writer(&testing::sha256_hex(&content), size as u64)?;
            let mut at = w.resume_offset() as usize;
            while at < size {
                let end = (at + ecabinet_store::CHUNK_SIZE).min(size);
                w.append(&content[at..end])?;
                at = end;
                println!("stored {}", w.sync()?);
                std::io::stdout().flush()?;
                std::thread::sleep(Duration::from_millis(5));
            }
            w.finish()?;
            println!("done");
        }
        "fixture-v1" => {
            testing::create_v1_fixture(&PathBuf::from(arg(1)?), testing::FIXTURE_PIN, &config)?;
        }
        other => bail!("unknown command {other:?}"),
    }
    Ok(())
}
