use std::process::Command;

use ecabinet_store::{testing, Annotation, Store, SystemClock};
use serde_json::json;

use crate::{files_containing, files_under, meeting, new_store, python, PIN};

const CANARY: &str = "CANARY-q7Zp-tờ-trình-mật";

#[test]
fn a_canary_in_a_title_a_note_and_a_pdf_is_in_no_file_of_the_store() {
    let (_tmp, store) = new_store();
    let dir = store.dir().to_path_buf();
    store
        .apply_changes(&[meeting("m1", "c1", &format!("Họp {CANARY}"), 1)], 1)
        .expect("apply");
    store
        .put_annotation(&Annotation {
            id: "n1".into(),
            doc_id: "d1".into(),
            version: 1,
            page: 0,
            kind: "note".into(),
            data: json!({"text": format!("ghi chú {CANARY}")}),
            updated_at: "1".into(),
            deleted: false,
        })
        .expect("note");
    let mut pdf = b"%PDF-1.7\n".to_vec();
    for i in 0..5000 {
        pdf.extend_from_slice(format!("BT /F1 12 Tf ({CANARY} {i}) Tj ET\n").as_bytes());
    }
    let sha = testing::sha256_hex(&pdf);
    let mut w = store.blob_writer(&sha, pdf.len() as u64).expect("writer");
    w.append(&pdf).expect("append");
    w.finish().expect("finish");
    // A download in progress holds canary bytes too.
    let mut partial = store
        .blob_writer(&testing::sha256_hex(b"x"), pdf.len() as u64)
        .expect("writer");
    partial
        .append(&pdf[..3 * ecabinet_store::CHUNK_SIZE])
        .expect("append");
    partial.sync().expect("sync");
    drop(partial);

    // Sanity: the search finds the canary where it is in clear.
    assert!(pdf.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()));
    let names: Vec<String> = files_under(&dir)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with("cache.db-wal")),
        "WAL present while open: {names:?}"
    );
    assert!(names.iter().any(|n| n.ends_with(".part")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with("keys.json")), "{names:?}");
    assert_eq!(
        files_containing(&dir, CANARY.as_bytes()),
        Vec::<std::path::PathBuf>::new()
    );
    assert_eq!(
        files_containing(&dir, "Họp ".as_bytes()),
        Vec::<std::path::PathBuf>::new()
    );
    // The same check with grep itself, calibrated on a file that has the canary.
    let control = dir.parent().expect("parent").join("control.txt");
    std::fs::write(&control, format!("x {CANARY} y")).expect("control");
    let grep = |path: &std::path::Path| {
        std::process::Command::new("grep")
            .args(["-r", "-l", "-a", CANARY])
            .arg(path)
            .output()
            .expect("grep")
    };
    assert!(
        grep(&control).status.success(),
        "grep finds the canary in clear text"
    );
    let out = grep(&dir);
    assert_eq!(
        out.status.code(),
        Some(1),
        "grep -r found the canary in: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        files_containing(&dir, PIN.as_bytes()),
        Vec::<std::path::PathBuf>::new()
    );

    // And after a clean close, when the WAL is folded into the database.
    drop(store);
    assert_eq!(
        files_containing(&dir, CANARY.as_bytes()),
        Vec::<std::path::PathBuf>::new()
    );
    let store = Store::open(&dir, PIN, &testing::test_config(), &SystemClock).expect("reopen");
    assert!(store.meetings(None).expect("list")[0]
        .title
        .contains(CANARY));
    assert_eq!(store.read_blob(&sha).expect("blob"), pdf);
}

#[test]
fn the_database_is_not_sqlite_to_plain_readers_but_opens_in_an_independent_sqlcipher_4() {
    let (_tmp, store) = new_store();
    let dir = store.dir().to_path_buf();
    store
        .apply_changes(
            &[
                meeting("m1", "c1", "Họp thường kỳ", 1),
                meeting("m2", "c1", "Họp chuyên đề", 2),
            ],
            7,
        )
        .expect("apply");
    let key = store.raw_db_key_hex();
    drop(store);
    let db = dir.join("cache.db");

    let header = std::fs::read(&db).expect("db");
    assert_ne!(&header[..16], b"SQLite format 3\0");

    // The same SQLite library without a key: plain SQLite.
    let plain = rusqlite::Connection::open(&db).expect("open lazily");
    let e = plain
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .expect_err("plain");
    assert_eq!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase)
    );
    drop(plain);

    // Python's own sqlite3 module (a separate, unencrypted SQLite) and
    // sqlcipher3 (SQLCipher 4) with the raw key.
    let script = r#"
import json, sqlite3, sys
import sqlcipher3
path, key = sys.argv[1], sys.argv[2]
try:
    sqlite3.connect(path).execute("select count(*) from sqlite_master").fetchall()
    plain = "readable"
except sqlite3.DatabaseError as e:
    plain = str(e)
con = sqlcipher3.connect(path)
con.execute(f"PRAGMA key = \"x'{key}'\"")
titles = [r[0] for r in con.execute("select title from meeting order by starts_at")]
cursor = con.execute("select value from sync_state where name = 'cursor'").fetchone()[0]
version = con.execute("pragma cipher_version").fetchone()[0]
print(json.dumps({"plain": plain, "titles": titles, "cursor": cursor, "cipher": version}))
"#;
    let out = Command::new(python()).arg("-c").arg(script).arg(&db).arg(key.as_str()).output().expect(
        "run the venv python (scripts/setup installs sqlcipher3-binary into .tools/py; ECABINET_PYTHON overrides)",
    );
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["plain"], "file is not a database");
    assert_eq!(v["titles"], json!(["Họp thường kỳ", "Họp chuyên đề"]));
    assert_eq!(v["cursor"], 7);
    assert!(
        v["cipher"].as_str().expect("version").starts_with('4'),
        "{v}"
    );

    // A wrong raw key reads nothing.
    let wrong = "00".repeat(32);
    let out = Command::new(python())
        .arg("-c")
        .arg("import sqlcipher3,sys\nc=sqlcipher3.connect(sys.argv[1])\nc.execute(f\"PRAGMA key = \\\"x'{sys.argv[2]}'\\\"\")\nc.execute('select * from meeting').fetchall()")
        .arg(&db)
        .arg(&wrong)
        .output()
        .expect("python");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("file is not a database"));
}
