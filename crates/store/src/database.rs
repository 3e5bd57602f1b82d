//! Opening `clawbox.db`: pragmas, then the embedded migrations, applied atomically.

use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

use include_dir::{Dir, include_dir};
use rusqlite::Connection;
use rusqlite_migration::{Migrations, SchemaVersion};

use crate::StoreError;

static MIGRATIONS_DIR: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../migrations");

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    #[expect(
        clippy::expect_used,
        reason = "the migrations are compiled in; a malformed directory is caught by every test"
    )]
    Migrations::from_directory(&MIGRATIONS_DIR).expect("embedded migrations are well formed")
});

/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens (creating if needed) the database at `path`, sets WAL mode and migrates it to the latest
/// schema. A database from a newer ClawBox is refused, never modified.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    let open_err = |source| StoreError::Open {
        path: path.to_owned(),
        source,
    };
    let mut conn = Connection::open(path).map_err(open_err)?;
    configure(&conn).map_err(open_err)?;
    refuse_newer(&conn, path)?;
    let migrate_err = |e: rusqlite_migration::Error| StoreError::Migrate {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let before = MIGRATIONS.current_version(&conn).map_err(migrate_err)?;
    MIGRATIONS.to_latest(&mut conn).map_err(migrate_err)?;
    // The rollups arrived with schema 3 and gained cost with 6: fold in the rows logged before
    // them, once.
    if version_number(before) < ROLLUPS_SCHEMA {
        crate::rollup::rebuild(&mut conn)?;
    }
    Ok(conn)
}

/// Opens a second connection to an already migrated database (readers, the writer thread).
pub fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    configure(&conn)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    // WAL lets the dashboard read while the writer writes; NORMAL is durable across application
    // crashes (the log may lose the last commits only on an OS crash or power loss).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(())
}

fn refuse_newer(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let known = schema_versions();
    match MIGRATIONS.current_version(conn) {
        Ok(SchemaVersion::Outside(found)) => Err(StoreError::TooNew {
            path: path.to_owned(),
            found: found.get(),
            known,
        }),
        Ok(_) => Ok(()),
        Err(e) => Err(StoreError::Migrate {
            path: path.to_owned(),
            message: e.to_string(),
        }),
    }
}

/// The last schema version that changed what the rollup tables hold.
const ROLLUPS_SCHEMA: usize = 6;

fn version_number(version: SchemaVersion) -> usize {
    match version {
        SchemaVersion::NoneSet => 0,
        SchemaVersion::Inside(v) | SchemaVersion::Outside(v) => v.get(),
    }
}

fn schema_versions() -> usize {
    MIGRATIONS_DIR.dirs().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(MIGRATIONS.validate().is_ok());
    }

    #[test]
    fn open_creates_the_contract_schema_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("t.db")).unwrap();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('requests')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for c in [
            "id",
            "user_id",
            "endpoint",
            "status",
            "latency_ms",
            "tokens_est",
            "ip_hash",
            "created_at",
            "tokens_source",
        ] {
            assert!(columns.iter().any(|x| x == c), "missing column {c}");
        }
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM pragma_index_list('requests')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(indexes.contains(&"idx_requests_user_id".to_owned()));
        assert!(indexes.contains(&"idx_requests_created_at".to_owned()));
        conn.prepare("SELECT user_id, total_requests, total_tokens, avg_latency, last_seen FROM user_summary")
            .unwrap();
        conn.prepare("SELECT user_id, month, requests, tokens FROM monthly_usage")
            .unwrap();
    }

    #[test]
    fn a_first_version_database_is_migrated_keeping_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut conn = Connection::open(&path).unwrap();
        MIGRATIONS.to_version(&mut conn, 1).unwrap();
        conn.execute_batch(
            "INSERT INTO requests (id, user_id, endpoint, status, latency_ms, tokens_est,
               created_at, tokens_source, method, mode)
             VALUES ('old', 'u', '/v1/models', 200, 1, 0, '2026-01-01T00:00:00.000Z',
               'estimated', 'GET', 'local')",
        )
        .unwrap();
        drop(conn);
        let conn = open(&path).unwrap();
        let failover: i64 = conn
            .query_row("SELECT failover FROM requests WHERE id = 'old'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(failover, 0);
    }

    #[test]
    fn a_database_from_before_cost_gets_its_rows_in_the_cost_rollup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut conn = Connection::open(&path).unwrap();
        MIGRATIONS.to_version(&mut conn, 5).unwrap();
        conn.execute_batch(
            "INSERT INTO requests (id, user_id, endpoint, status, latency_ms, tokens_est,
               created_at, tokens_source, method, mode, model, client)
             VALUES ('old', 'u', '/v1/responses', 200, 1, 42, '2026-01-01T00:00:00.000Z',
               'reported', 'POST', 'local', 'gpt-5', 'codex-acp')",
        )
        .unwrap();
        drop(conn);
        let conn = open(&path).unwrap();
        let (requests, tokens, billing, unpriced): (i64, i64, String, i64) = conn
            .query_row(
                "SELECT requests, tokens, billing, unpriced FROM cost_split
                 WHERE dimension = 'client' AND key = 'codex-acp'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        // Logged before prices: no billing, and its tokens count as unpriced, not as $0.
        assert_eq!(
            (requests, tokens, billing.as_str(), unpriced),
            (1, 42, "", 1)
        );
    }

    #[test]
    fn reopening_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(open(&path).unwrap());
        drop(open(&path).unwrap());
    }

    #[test]
    fn database_from_a_newer_version_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = open(&path).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("newer version of ClawBox"));
        let conn = Connection::open(&path).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 99);
    }
}
