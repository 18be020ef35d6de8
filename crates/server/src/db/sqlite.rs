//! [`Conn`] on a SQLite file (rusqlite, WAL mode).

use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode};

use super::{Conn, DbError, Row, Value};

pub struct SqliteConn {
    conn: Connection,
}

pub fn connect(path: &str) -> Result<SqliteConn, DbError> {
    let conn = Connection::open(path).map_err(|e| DbError::Unavailable(format!("{path}: {e}")))?;
    // Several server tasks share the file: wait for the lock rather than fail.
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(SqliteConn { conn })
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn map_err(e: rusqlite::Error) -> DbError {
    match &e {
        rusqlite::Error::SqliteFailure(f, msg) if f.code == ErrorCode::ConstraintViolation => {
            // 2067 = SQLITE_CONSTRAINT_UNIQUE, 1555 = SQLITE_CONSTRAINT_PRIMARYKEY
            if f.extended_code == 2067 || f.extended_code == 1555 {
                DbError::Duplicate(msg.clone().unwrap_or_default())
            } else {
                DbError::Sqlite(e)
            }
        }
        _ => DbError::Sqlite(e),
    }
}

impl Conn for SqliteConn {
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(map_err)?;
        let n = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(map_err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(map_err)? {
            let mut vals = Vec::with_capacity(n);
            for i in 0..n {
                vals.push(match row.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    other => {
                        return Err(DbError::Type(format!(
                            "column {i}: unsupported type {:?}",
                            other.data_type()
                        )))
                    }
                });
            }
            out.push(Row(vals));
        }
        Ok(out)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(map_err)?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params.iter()))
            .map_err(map_err)?;
        Ok(n as u64)
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.conn.execute_batch(sql).map_err(map_err)
    }

    fn begin(&mut self, write: bool) -> Result<(), DbError> {
        // IMMEDIATE takes the write lock up front: no lock upgrade deadlocks,
        // and seq = max+1 is computed under the lock.
        self.batch(if write { "BEGIN IMMEDIATE" } else { "BEGIN" })
    }

    fn commit(&mut self) -> Result<(), DbError> {
        self.batch("COMMIT")
    }

    fn rollback(&mut self) -> Result<(), DbError> {
        self.batch("ROLLBACK")
    }

    fn notify_feed(&mut self, _committee_id: &str, _seq: i64) -> Result<(), DbError> {
        Ok(())
    }

    fn is_broken(&self) -> bool {
        // A session left inside a transaction (failed COMMIT/ROLLBACK) is not reused.
        !self.conn.is_autocommit()
    }
}
