//! `sync_state`, the one table of small named values: the feed cursor, the
//! clocks and keys of `cache`, and the client's settings (`settings`). These
//! two functions are its only reader and writer.

use rusqlite::types::FromSql;
use rusqlite::{params, OptionalExtension, ToSql, Transaction};

use crate::error::Result;

/// The value named `name` in `sync_state`, the one table of small named
/// values (the cursor, clocks and keys of `cache`, and the settings below);
/// `None` if never set.
pub(crate) fn get_state<T: FromSql>(tx: &Transaction<'_>, name: &str) -> Result<Option<T>> {
    Ok(tx
        .query_row(
            "SELECT value FROM sync_state WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?)
}

/// Sets the value named `name` in `sync_state`.
pub(crate) fn set_state(tx: &Transaction<'_>, name: &str, value: &dyn ToSql) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO sync_state (name, value) VALUES (?1, ?2)",
        params![name, value],
    )?;
    Ok(())
}
