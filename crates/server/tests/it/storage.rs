//! Storage: migrations apply once and re-opening keeps the data.

use ecabinet_server::db::Db;

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
            assert_eq!(versions, [1, 2, 3, 4, 5], "round {round}");
            assert_eq!(committees, 1, "round {round}");
        }
    }
);
