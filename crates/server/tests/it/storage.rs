//! Storage: migrations apply once and re-opening keeps the data.

use axum::http::StatusCode;
use ecabinet_server::db::Db;
use serde_json::json;

use crate::both;
use crate::common::*;

both!(
    migrations_apply_once_and_data_survives_reopening,
    |kind| async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = database_url(kind, dir.path()).await;
        for round in 0..2 {
            let u = url.clone();
            let (versions, committees) = tokio::task::spawn_blocking(move || {
                let db = Db::open(&u).expect("open");
                let rt = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("rt");
                rt.block_on(db.write(move |tx| {
                    if round == 0 {
                        ecabinet_server::routes::accounts::insert_committee(
                            tx,
                            "UBND tỉnh Bền vững",
                            T0,
                        )?;
                    }
                    let v: Vec<i64> = tx
                        .conn
                        .query(
                            "SELECT version FROM schema_migrations ORDER BY version",
                            &[],
                        )?
                        .iter()
                        .map(|r| r.int(0))
                        .collect::<Result<_, _>>()?;
                    let c = tx.conn.query("SELECT name FROM committees", &[])?.len();
                    Ok::<_, ecabinet_server::AppError>((v, c))
                }))
                .expect("query")
            })
            .await
            .expect("join");
            assert_eq!(versions, shipped_migrations(), "round {round}");
            assert_eq!(committees, 1, "round {round}");
        }
    }
);

/// The version numbers of the migrations shipped in the crate (every one of
/// them must be applied, each once, on both backends).
fn shipped_migrations() -> Vec<i64> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut v: Vec<i64> = std::fs::read_dir(&dir)
        .expect("migrations folder")
        .map(|e| {
            let name = e
                .expect("entry")
                .file_name()
                .into_string()
                .expect("utf-8 name");
            name.split('_')
                .next()
                .expect("NNNN_ prefix")
                .parse()
                .expect("number")
        })
        .collect();
    v.sort();
    assert!(v.len() >= 8, "migrations found: {v:?}");
    v
}

// Driver text names tables, constraints and SQL: a map for an attacker.
// Database failures answer a generic sentence with a reference instead.
both!(
    database_errors_reach_the_client_without_driver_text,
    |kind| async move {
        let w = World::new(kind).await;
        let leaks = |body: &serde_json::Value| {
            let text = body.to_string().to_lowercase();
            [
                "sqlite",
                "postgres",
                "constraint",
                "unique",
                "duplicate key",
                "no such table",
                "relation",
                "select",
                "memberships",
                "users",
            ]
            .into_iter()
            .filter(|w| text.contains(w))
            .map(str::to_owned)
            .collect::<Vec<_>>()
        };

        // A unique violation: the username is taken.
        let new_user =
            json!({"username": "trung", "display_name": "Trùng", "password": "mật khẩu đủ dài"});
        let (s, b) = w
            .env
            .call(
                "POST",
                "/v1/admin/users",
                Some(&w.admin),
                Some(new_user.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let (s, b) = w
            .env
            .call("POST", "/v1/admin/users", Some(&w.admin), Some(new_user))
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("conflict")),
            "{b}"
        );
        assert_eq!(leaks(&b), Vec::<String>::new(), "{b}");

        // A broken database: a table is gone.
        let sql = match kind {
            Kind::Sqlite => "DROP TABLE memberships",
            Kind::Postgres => "DROP TABLE memberships CASCADE",
        };
        w.env
            .state
            .db
            .write(move |tx| tx.conn.execute(sql, &[]).map(|_| ()))
            .await
            .expect("drop");
        let (s, b) = w.env.call("GET", "/v1/me", Some(&w.member), None).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::INTERNAL_SERVER_ERROR, Some("internal")),
            "{b}"
        );
        assert_eq!(leaks(&b), Vec::<String>::new(), "{b}");
        let message = b["message"].as_str().expect("message");
        assert!(
            message.contains("reference "),
            "an operator can find the log line: {message}"
        );
    }
);
