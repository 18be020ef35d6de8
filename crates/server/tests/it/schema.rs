//! The SQLite and PostgreSQL migrations are written twice, by design (each
//! in its own dialect). This test keeps the twins from drifting: both
//! backends, migrated from empty, end at the same tables, columns (type and
//! nullability), primary keys, unique constraints and indexes.

use std::collections::BTreeSet;

use ecabinet_server::db::{Conn, Db, DbError};

use crate::common::*;

/// One fact of a schema, comparable across the backends.
type Fact = (String, String, String);

/// The schema of a database, as a set of facts:
/// - `("column", "table.column", "type not null?")`;
/// - `("primary key", table, columns)`;
/// - `("unique", table, columns)`;
/// - `("index", "table.name", "columns unique?")`.
fn sqlite_schema(conn: &mut dyn Conn) -> Result<BTreeSet<Fact>, DbError> {
    let mut facts = BTreeSet::new();
    let tables: Vec<String> = conn
        .query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            &[],
        )?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<_, _>>()?;
    for t in &tables {
        let mut pk: Vec<(i64, String)> = Vec::new();
        for r in conn.query(
            "SELECT name, lower(type), \"notnull\", pk FROM pragma_table_info(?)",
            ecabinet_server::params![t.as_str()],
        )? {
            let (name, pk_at) = (r.text(0)?, r.int(3)?);
            // PostgreSQL makes every primary-key column NOT NULL.
            let not_null = r.int(2)? != 0 || pk_at > 0;
            facts.insert(column(t, &name, &r.text(1)?, not_null));
            if pk_at > 0 {
                pk.push((pk_at, name));
            }
        }
        pk.sort();
        if !pk.is_empty() {
            let cols: Vec<String> = pk.into_iter().map(|(_, n)| n).collect();
            facts.insert(("primary key".into(), t.clone(), cols.join(",")));
        }
        for r in conn.query(
            "SELECT name, \"unique\", origin FROM pragma_index_list(?)",
            ecabinet_server::params![t.as_str()],
        )? {
            let (index, unique, origin) = (r.text(0)?, r.int(1)? != 0, r.text(2)?);
            let cols: Vec<String> = conn
                .query(
                    "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
                    ecabinet_server::params![index.as_str()],
                )?
                .iter()
                .map(|r| r.text(0))
                .collect::<Result<_, _>>()?;
            match origin.as_str() {
                "c" => {
                    facts.insert(index_fact(t, &index, &cols.join(","), unique));
                }
                "u" => {
                    facts.insert(("unique".into(), t.clone(), cols.join(",")));
                }
                // "pk": the primary key, already recorded.
                _ => {}
            }
        }
    }
    Ok(facts)
}

/// [`sqlite_schema`] for PostgreSQL, from its catalogs.
fn postgres_schema(conn: &mut dyn Conn) -> Result<BTreeSet<Fact>, DbError> {
    let mut facts = BTreeSet::new();
    for r in conn.query(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, \
                (CASE WHEN c.is_nullable = 'NO' THEN 1 ELSE 0 END)::bigint \
         FROM information_schema.columns c \
         JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'",
        &[],
    )? {
        facts.insert(column(
            &r.text(0)?,
            &r.text(1)?,
            &r.text(2)?,
            r.int(3)? != 0,
        ));
    }
    for r in conn.query(
        "SELECT t.relname::text, c.contype::text, \
                array_to_string(ARRAY(SELECT a.attname::text \
                    FROM unnest(c.conkey) WITH ORDINALITY k(n, o) \
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n \
                    ORDER BY k.o), ',') \
         FROM pg_constraint c \
         JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_namespace s ON s.oid = t.relnamespace \
         WHERE s.nspname = current_schema() AND c.contype IN ('p', 'u')",
        &[],
    )? {
        let kind = if r.text(1)? == "p" {
            "primary key"
        } else {
            "unique"
        };
        facts.insert((kind.into(), r.text(0)?, r.text(2)?));
    }
    for r in conn.query(
        "SELECT t.relname::text, i.relname::text, \
                (CASE WHEN x.indisunique THEN 1 ELSE 0 END)::bigint, \
                array_to_string(ARRAY(SELECT a.attname::text \
                    FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o) \
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n \
                    ORDER BY k.o), ',') \
         FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace s ON s.oid = t.relnamespace \
         WHERE s.nspname = current_schema() \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        &[],
    )? {
        facts.insert(index_fact(
            &r.text(0)?,
            &r.text(1)?,
            &r.text(3)?,
            r.int(2)? != 0,
        ));
    }
    Ok(facts)
}

fn column(table: &str, name: &str, ty: &str, not_null: bool) -> Fact {
    let null = if not_null { " not null" } else { "" };
    (
        "column".into(),
        format!("{table}.{name}"),
        format!("{}{null}", ty.to_lowercase()),
    )
}

fn index_fact(table: &str, name: &str, cols: &str, unique: bool) -> Fact {
    let unique = if unique { " unique" } else { "" };
    (
        "index".into(),
        format!("{table}.{name}"),
        format!("{cols}{unique}"),
    )
}

async fn schema_of(url: String, postgres: bool) -> BTreeSet<Fact> {
    let db = tokio::task::spawn_blocking(move || Db::open(&url).expect("open and migrate"))
        .await
        .expect("join");
    db.read(move |conn| {
        if postgres {
            postgres_schema(conn)
        } else {
            sqlite_schema(conn)
        }
    })
    .await
    .expect("read the schema")
}

#[tokio::test]
async fn both_backends_end_at_the_same_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = schema_of(database_url(Kind::Sqlite, dir.path()).await, false).await;
    let postgres = schema_of(database_url(Kind::Postgres, dir.path()).await, true).await;

    // The comparison means something only if both sides read a real schema.
    for (name, facts) in [("sqlite", &sqlite), ("postgres", &postgres)] {
        for kind in ["column", "primary key", "index"] {
            assert!(
                facts.iter().filter(|f| f.0 == kind).count() > 5,
                "{name}: too few {kind} facts read: {facts:#?}"
            );
        }
        assert!(
            facts.contains(&column("ops", "op_id", "text", true)),
            "{name}: ops.op_id not read as text not null"
        );
    }
    let only_sqlite: Vec<&Fact> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<&Fact> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migration twins differ:\nonly in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_postgres:#?}"
    );
}
