//! Benchmark of the encrypted cache (run: `cargo bench -p ecabinet-store --bench cache`).
//!
//! 1. The cache workload on SQLCipher vs plain SQLite — the same bundled
//!    library, same schema and pragmas (WAL, synchronous=FULL); "plain" is a
//!    connection without `PRAGMA key`, i.e. the codec off.
//! 2. Blob encrypt+write and read+decrypt throughput on one core.
//! 3. Unlock time (Argon2id + opening the database) at the default and floor parameters.
//!
//! Each figure is the median of several fresh runs, with min and max.

use std::path::Path;
use std::time::Instant;

use ecabinet_benchkit::{Goal, Row};
use ecabinet_store::{testing, KdfParams, Store, StoreConfig, SystemClock};
use rusqlite::{params, Connection};

/// Agenda rows and annotations per repetition: enough work (101 commits,
/// about 30 MB of pages) that one slow fsync does not decide a repetition.
const ROWS: usize = 50_000;
const MEETINGS: usize = 200;
const PAGE: usize = 500;
const REPS: usize = 9;
/// Repetitions of the comparison lines that are not the store's settings.
const COMPARISON_REPS: usize = 5;

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// Inserts agenda rows, annotations and meetings in feed-sized transactions,
/// then [`ROWS`] point reads and the meeting-list query. Returns seconds.
/// Seconds per phase: (inserts, point reads, meeting list).
type Phases = [f64; 3];

fn workload(conn: &mut Connection) -> rusqlite::Result<Phases> {
    let t = Instant::now();
    for batch in 0..MEETINGS.div_ceil(PAGE) {
        let tx = conn.transaction()?;
        for i in batch * PAGE..((batch + 1) * PAGE).min(MEETINGS) {
            let body = format!(
                r#"{{"id":"m{i}","committee_id":"c{}","title":"Phiên họp số {i}","starts_at":{i}}}"#,
                i % 4
            );
            tx.execute(
                "INSERT INTO meeting (id, committee_id, starts_at, title, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![format!("m{i}"), format!("c{}", i % 4), i as i64, format!("Phiên họp số {i}"), body],
            )?;
        }
        tx.commit()?;
    }
    for batch in 0..ROWS / PAGE {
        let tx = conn.transaction()?;
        for i in batch * PAGE..(batch + 1) * PAGE {
            let m = i % MEETINGS;
            let body = format!(
                r#"{{"id":"a{i}","meeting_id":"m{m}","parent_id":null,"position":{i},"title":"Mục {i}: báo cáo tình hình kinh tế - xã hội"}}"#
            );
            tx.execute(
                "INSERT INTO agenda_item (id, meeting_id, parent_id, position, body) VALUES (?1, ?2, NULL, ?3, ?4)",
                params![format!("a{i}"), format!("m{m}"), i as i64, body],
            )?;
            tx.execute(
                "INSERT INTO annotation (id, doc_id, version, page, kind, data, updated_at) VALUES (?1, ?2, 1, ?3, 'ink', ?4, ?5)",
                params![
                    format!("n{i}"),
                    format!("d{}", i % 500),
                    (i % 40) as i64,
                    r##"{"points":[[10.5,20.25],[11.0,21.5],[12.75,22.0],[14.0,23.5]],"color":"#ff0000","width":2}"##,
                    format!("{i:016}-dev1")
                ],
            )?;
        }
        tx.commit()?;
    }
    let inserts = t.elapsed().as_secs_f64();
    let t = Instant::now();
    {
        let mut stmt = conn.prepare_cached("SELECT body FROM agenda_item WHERE id = ?1")?;
        let mut total = 0usize;
        for k in 0..ROWS {
            let i = (k * 7919) % ROWS; // scattered, not sequential
            let body: String = stmt.query_row([format!("a{i}")], |r| r.get(0))?;
            total += body.len();
        }
        assert!(total > 0);
    }
    let reads = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut stmt = conn.prepare_cached(
        "SELECT id, committee_id, title, starts_at, body FROM meeting WHERE ?1 IS NULL OR committee_id = ?1 ORDER BY starts_at, id",
    )?;
    let n = stmt
        .query_map([None::<String>], |r| r.get::<_, String>(0))?
        .count();
    assert_eq!(n, MEETINGS);
    Ok([inserts, reads, t.elapsed().as_secs_f64()])
}

fn run_db(
    dir: &Path,
    key: Option<&[u8; 32]>,
    rep: usize,
    cache_kib: Option<u32>,
    cipher: &str,
) -> Phases {
    let path = dir.join(format!(
        "bench-{}-{rep}-{cache_kib:?}-{}.db",
        if key.is_some() { "cipher" } else { "plain" },
        cipher.len()
    ));
    let mut conn = testing::bench_connection(&path, key, cipher).expect("open");
    if let Some(kib) = cache_kib {
        conn.execute_batch(&format!("PRAGMA cache_size = -{kib};"))
            .expect("cache size");
    }
    workload(&mut conn).expect("workload")
}

const INSERTS_LABEL: &str = "  inserts (101 commits)";
const READS_LABEL: &str = "  50,000 point reads";

fn compare(
    dir: &Path,
    label: &str,
    reps: usize,
    cache_kib: Option<u32>,
    cipher_pragmas: &str,
) -> Vec<f64> {
    let key = [0x5au8; 32];
    let dir = &dir.join(format!("variant-{}", label.len()));
    std::fs::create_dir_all(dir).expect("variant dir");
    let (mut cipher, mut plain) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        // Alternate so drift in machine load hits both alike, and start each
        // run with no dirty pages of the one before waiting for the disk.
        ecabinet_benchkit::flush_disk(None).expect("sync");
        plain.push(run_db(dir, None, rep, cache_kib, ""));
        ecabinet_benchkit::flush_disk(None).expect("sync");
        cipher.push(run_db(dir, Some(&key), rep, cache_kib, cipher_pragmas));
    }
    println!("  [{label}]");
    let names = [
        "whole workload",
        INSERTS_LABEL,
        READS_LABEL,
        "  meeting list",
    ];
    for (i, name) in names.iter().enumerate() {
        let pick = |runs: &[Phases]| -> Vec<f64> {
            runs.iter()
                .map(|p| if i == 0 { p.iter().sum() } else { p[i - 1] })
                .collect()
        };
        let (pc, pmin, pmax) = stats(pick(&plain));
        let (cc, cmin, cmax) = stats(pick(&cipher));
        println!(
            "    {name:24} plain {:7.1} ms [{:.1} – {:.1}]   SQLCipher {:7.1} ms [{:.1} – {:.1}]   ratio {:.3}×",
            pc * 1e3, pmin * 1e3, pmax * 1e3, cc * 1e3, cmin * 1e3, cmax * 1e3, cc / pc
        );
    }
    let ratios: Vec<f64> = cipher
        .iter()
        .zip(&plain)
        .map(|(c, p)| c.iter().sum::<f64>() / p.iter().sum::<f64>())
        .collect();
    println!(
        "    whole-workload ratio per repetition: median {:.3}× [{:.3} – {:.3}]   (goal ≤ 1.15×)",
        stats(ratios.clone()).0,
        stats(ratios.clone()).1,
        stats(ratios.clone()).2
    );
    ratios
}

/// Ceiling: ring's AES-256-GCM open over `size` bytes in 64 KiB chunks, no IO. MB/s.
fn aes_only(size: usize) -> f64 {
    use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7; 32]).expect("key"));
    let chunk = 64 * 1024;
    let n = size / chunk;
    let mut sealed = Vec::with_capacity(n);
    for i in 0..n {
        let mut c = vec![(i % 251) as u8; chunk];
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&(i as u64).to_be_bytes());
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from([1u8; 8]),
            &mut c,
        )
        .expect("seal");
        sealed.push(c);
    }
    let t = Instant::now();
    for (i, c) in sealed.iter_mut().enumerate() {
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&(i as u64).to_be_bytes());
        let p = key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from([1u8; 8]), c)
            .expect("open");
        std::hint::black_box(p);
    }
    (n * chunk) as f64 / t.elapsed().as_secs_f64() / 1e6
}

fn main() {
    let tmp = tempfile::tempdir_in(
        std::env::var_os("BENCH_DIR").unwrap_or_else(|| std::env::temp_dir().into()),
    )
    .expect("tmp");
    println!("ecabinet-store benchmark ({REPS} repetitions, {COMPARISON_REPS} for the comparison lines; median [min – max])");
    println!("data dir: {}", tmp.path().display());

    // --- 1. cache workload -------------------------------------------------
    {
        let conn = testing::bench_connection(&tmp.path().join("probe.db"), Some(&[1; 32]), "")
            .expect("probe");
        let q = |p: &str| {
            conn.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, String>(0))
                .unwrap_or_default()
        };
        println!(
            "SQLCipher {} ({}, {}), hmac {}, page {} B, memory_security {}",
            q("cipher_version"),
            q("cipher_provider"),
            q("cipher_provider_version"),
            q("cipher_hmac_algorithm"),
            q("cipher_page_size"),
            q("cipher_memory_security")
        );
    }
    println!();
    println!(
        "cache workload: {MEETINGS} meetings + {ROWS} agenda rows + {ROWS} annotations inserted in {PAGE}-row transactions"
    );
    println!("                (WAL, synchronous=FULL), then {ROWS} scattered point reads and the meeting-list query");
    println!("                plain = same bundled library and schema, no PRAGMA key (SQLCipher codec off)");
    let ratios = compare(
        tmp.path(),
        "store settings: cache_size 8 MiB",
        REPS,
        None,
        "",
    );
    Row::repeated(
        "Store",
        "Cache workload, SQLCipher vs plain SQLite (same library, schema, pragmas)",
        &ratios,
        "× plain",
        Goal::AtMost,
        1.15,
    )
    .detail(format!(
        "{MEETINGS} meetings + {ROWS} agenda rows + {ROWS} annotations, {ROWS} point reads, meeting list; ratio per alternating repetition"
    ))
    .emit();
    let _ = compare(
        tmp.path(),
        "not used by the store, for comparison: cache 64 MiB (the whole database stays decrypted in memory)",
        COMPARISON_REPS,
        Some(65_536),
        "",
    );
    let _ = compare(
        tmp.path(),
        "not used by the store, for comparison: cache 8 MiB, HMAC_SHA256 instead of HMAC_SHA512",
        COMPARISON_REPS,
        None,
        "PRAGMA cipher_hmac_algorithm = HMAC_SHA256; PRAGMA cipher_kdf_algorithm = PBKDF2_HMAC_SHA256;",
    );

    // --- 2. blobs ----------------------------------------------------------
    let config = StoreConfig {
        kdf: KdfParams::FLOOR,
        ..testing::test_config()
    };
    let store = Store::create(&tmp.path().join("store"), "123456", &config).expect("store");
    let size = 64 * 1024 * 1024;
    let (mut wr, mut rd, mut fr, mut aes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut rd_warm, mut fr_warm) = (Vec::new(), Vec::new());
    let mut reused: Vec<u8> = Vec::new();
    let mut reused_raw: Vec<u8> = Vec::new();
    for rep in 0..REPS {
        let content = testing::pattern(size, rep as u64 + 1);
        let sha = testing::sha256_hex(&content);
        let t = Instant::now();
        let mut w = store.blob_writer(&sha, size as u64).expect("writer");
        for piece in content.chunks(256 * 1024) {
            w.append(piece).expect("append");
        }
        w.finish().expect("finish");
        wr.push(size as f64 / t.elapsed().as_secs_f64() / 1e6);
        let t = Instant::now();
        let back = store.read_blob(&sha).expect("read");
        rd.push(size as f64 / t.elapsed().as_secs_f64() / 1e6);
        assert_eq!(back.len(), size);
        let t = Instant::now();
        let raw = std::fs::read(store.dir().join("blobs").join(&sha)).expect("raw");
        fr.push(raw.len() as f64 / t.elapsed().as_secs_f64() / 1e6);
        aes.push(aes_only(size));
        for _ in 0..2 {
            // The second pass runs with the buffer's pages already mapped.
            let t = Instant::now();
            store.read_blob_into(&sha, &mut reused).expect("read into");
            let rate = size as f64 / t.elapsed().as_secs_f64() / 1e6;
            let t = Instant::now();
            reused_raw.clear();
            std::io::Read::read_to_end(
                &mut std::fs::File::open(store.dir().join("blobs").join(&sha)).expect("open"),
                &mut reused_raw,
            )
            .expect("read");
            let raw_rate = reused_raw.len() as f64 / t.elapsed().as_secs_f64() / 1e6;
            if !rd_warm.is_empty() || rep > 0 {
                rd_warm.push(rate);
                fr_warm.push(raw_rate);
            }
        }
        store.remove_blob(&sha).expect("rm");
    }
    let (wm, wmin, wmax) = stats(wr);
    let (rm, rmin, rmax) = stats(rd);
    println!();
    println!("blobs: 64 MiB, 64 KiB AES-256-GCM chunks, one thread");
    println!(
        "  encrypt + SHA-256 + write + fsync + rename  {wm:8.0} MB/s  [{wmin:.0} – {wmax:.0}]"
    );
    println!("  read (page cache) + decrypt + verify tags   {rm:8.0} MB/s  [{rmin:.0} – {rmax:.0}]   (goal ≥ 1000 MB/s)");
    let (fm, fmin, fmax) = stats(fr);
    println!(
        "  of which: plain fs::read of the file        {fm:8.0} MB/s  [{fmin:.0} – {fmax:.0}]"
    );
    let (m, lo, hi) = stats(rd_warm.clone());
    println!("  read + decrypt into a reused buffer         {m:8.0} MB/s  [{lo:.0} – {hi:.0}]   (Store::read_blob_into)");
    let plain_warm = stats(fr_warm.clone()).0;
    Row::repeated(
        "Store",
        "Blob read + decrypt + verify (64 MiB, one thread, reused buffer)",
        &rd_warm,
        "MB/s",
        Goal::AtLeast,
        1000.0,
    )
    .detail(format!(
        "plain read of the same file {plain_warm:.0} MB/s; into a fresh Vec {rm:.0} MB/s; encrypt+write+fsync {wm:.0} MB/s"
    ))
    .emit();
    let (m, lo, hi) = stats(fr_warm);
    println!("  of which: plain read into a reused buffer   {m:8.0} MB/s  [{lo:.0} – {hi:.0}]");
    let (am, amin, amax) = stats(aes);
    println!(
        "  AES-256-GCM open alone, in memory (ring)    {am:8.0} MB/s  [{amin:.0} – {amax:.0}]"
    );
    drop(store);

    // --- 3. unlock ---------------------------------------------------------
    println!();
    println!("unlock (Store::open: Argon2id + key unwrap + SQLCipher open)");
    for (name, params) in [("default", KdfParams::DEFAULT), ("floor", KdfParams::FLOOR)] {
        let dir = tmp.path().join(format!("unlock-{name}"));
        let config = StoreConfig {
            kdf: params,
            ..testing::test_config()
        };
        drop(Store::create(&dir, "123456", &config).expect("create"));
        let times: Vec<f64> = (0..5)
            .map(|_| {
                let t = Instant::now();
                drop(Store::open(&dir, "123456", &config, &SystemClock).expect("open"));
                t.elapsed().as_secs_f64()
            })
            .collect();
        let (m, lo, hi) = stats(times);
        println!(
            "  {name:7} m={} MiB t={} p={}: {:6.0} ms  [{:.0} – {:.0}]",
            params.m_kib / 1024,
            params.t,
            params.p,
            m * 1e3,
            lo * 1e3,
            hi * 1e3
        );
    }
}
