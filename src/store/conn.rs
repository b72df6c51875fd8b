//! Opening connections to one database (a file, or a shared in-memory one for `:memory:`),
//! their pragmas, the check that a file is hookpit's, and the embedded migrations.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::StoreError;

/// How long a connection waits for a lock before giving up with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// `$XDG_DATA_HOME/hookpit/hookpit.db`, else `~/.local/share/hookpit/hookpit.db`.
pub fn default_db_path() -> String {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("hookpit")
        .join("hookpit.db")
        .to_string_lossy()
        .into_owned()
}

/// `PRAGMA application_id` of a hookpit database: "hook" in ASCII.
const APP_ID: i64 = 0x686f_6f6b;

/// Schema migrations in order: `(user_version after it, SQL)`.
pub(crate) const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_init.sql")),
    (2, include_str!("migrations/0002_relay.sql")),
    (3, include_str!("migrations/0003_doctor.sql")),
    (4, include_str!("migrations/0004_replay_jobs.sql")),
    (5, include_str!("migrations/0005_inline_body.sql")),
    (6, include_str!("migrations/0006_replay_runs.sql")),
    (7, include_str!("migrations/0007_schemas.sql")),
    (8, include_str!("migrations/0008_forward_rules.sql")),
    (9, include_str!("migrations/0009_search_index.sql")),
    (10, include_str!("migrations/0010_sessions.sql")),
    (11, include_str!("migrations/0011_run_index.sql")),
    (12, include_str!("migrations/0012_transformed.sql")),
    (13, include_str!("migrations/0013_relay_acks.sql")),
];

/// Numbers the in-memory databases of this process, so each `:memory:` store is its own.
static MEMORY_DBS: AtomicU64 = AtomicU64::new(0);

/// Where the database lives; every connection of a store opens the same target.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A file on disk (WAL mode).
    File(PathBuf),
    /// A `memdb` VFS URI: shared by all connections of this process that open it, freed with the
    /// last of them, never written to disk.
    Memory(String),
}

impl Target {
    /// Resolves the `--db` value; for a file, creates its parent directories.
    pub(crate) fn new(path: &str) -> Result<Target, StoreError> {
        if path == ":memory:" {
            let n = MEMORY_DBS.fetch_add(1, Ordering::Relaxed);
            let uri = format!("file:/hookpit-{}-{n}?vfs=memdb", std::process::id());
            return Ok(Target::Memory(uri));
        }
        let file = PathBuf::from(path);
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io {
                path: dir.display().to_string(),
                error: Arc::new(e),
            })?;
        }
        Ok(Target::File(file))
    }

    /// Which file the database is now, to notice later that it was deleted or replaced
    /// (`None` for memory).
    pub(crate) fn identity(&self) -> Option<FileIdentity> {
        use std::os::unix::fs::MetadataExt;
        let Target::File(path) = self else {
            return None;
        };
        let meta = std::fs::metadata(path).ok()?;
        Some(FileIdentity {
            path: path.clone(),
            device: meta.dev(),
            inode: meta.ino(),
        })
    }

    /// Opens one raw connection with the given extra flags.
    fn open(&self, create: bool) -> rusqlite::Result<Connection> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = match self {
            // No URI flag for files: a path that happens to start with `file:` stays a path.
            Target::File(path) => Connection::open_with_flags(path, flags),
            Target::Memory(uri) => {
                Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
            }
        }?;
        // Plans that do not depend on bound values: without this, SQLite prepares any statement
        // with `indexed_column = ?` again each time it is bound (the duplicate lookup on every
        // insert cost the writer thread a seventh of its time).
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        Ok(conn)
    }
}

/// The database file as opened. SQLite keeps writing to an open file that was deleted or
/// replaced, and everything written from then on is gone at the next start.
#[derive(Debug, Clone)]
pub(crate) struct FileIdentity {
    /// The path as given.
    path: PathBuf,
    /// Device and inode when opened.
    device: u64,
    inode: u64,
}

impl FileIdentity {
    /// `Err` once the path no longer names the file that was opened (one `stat`).
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        use std::os::unix::fs::MetadataExt;
        match std::fs::metadata(&self.path) {
            Ok(m) if m.dev() == self.device && m.ino() == self.inode => Ok(()),
            _ => Err(StoreError::Gone {
                path: self.path.display().to_string(),
            }),
        }
    }
}

/// How much of the database file a read connection maps into memory. The OS counts mapped
/// pages a search has touched in hookpit's RSS while it keeps them cached (they are the
/// file's page cache, shared and reclaimable).
pub(crate) const READ_MMAP_BYTES: i64 = 1 << 30;

/// Opens the writer's connection: checks the file is hookpit's, sets WAL and runs migrations.
pub(crate) fn open_writer(target: &Target, path: &str) -> Result<Connection, StoreError> {
    let not_a_db = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => corrupt(path, "the file is not an SQLite database"),
        _ => StoreError::from(e),
    };
    let conn = target.open(true).map_err(not_a_db)?;
    // SQLite falls back to read-only when it may not write, and every capture would get 503.
    if conn.is_readonly(rusqlite::MAIN_DB)? {
        return Err(StoreError::ReadOnly {
            path: path.to_owned(),
        });
    }
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Check before any pragma that would change the file (journal mode is stored in it).
    let version = check_identity(&conn, path).map_err(|e| match e {
        StoreError::Sqlite(inner) if inner.sqlite_error_code() == Some(ErrorCode::NotADatabase) => {
            corrupt(path, "the file is not an SQLite database")
        }
        other => other,
    })?;
    if matches!(target, Target::File(_)) {
        // memdb has no shared memory for WAL; it keeps its in-memory journal instead.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path, mode, "store: the file system refused WAL mode");
        }
    }
    // FULL: a 2xx means the event is on disk; group commit pays for the extra fsync.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Migrations run with foreign keys off (a migration that rebuilds `events` drops the old
    // table, which would otherwise cascade to every attempt); they are on for everything else.
    conn.pragma_update(None, "foreign_keys", false)?;
    migrate(&conn, version)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(conn)
}

/// Opens a read connection to a database the writer has already set up.
pub(crate) fn open_reader(target: &Target) -> Result<Connection, StoreError> {
    let conn = target.open(false)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "query_only", true)?;
    // A text search reads every body; through a map it skips a copy per page (a third of its time).
    conn.pragma_update(None, "mmap_size", READ_MMAP_BYTES)?;
    Ok(conn)
}

/// Refuses a database that is not hookpit's or is newer than this build; returns its version.
fn check_identity(conn: &Connection, path: &str) -> Result<i64, StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if version == 0 {
        let tables: i64 = conn.query_row(
            "SELECT COUNT(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
            [],
            |r| r.get(0),
        )?;
        if tables > 0 {
            return Err(corrupt(path, "it is an SQLite database of another program"));
        }
    } else if app_id != APP_ID {
        return Err(corrupt(path, "it is an SQLite database of another program"));
    }
    let latest = MIGRATIONS.last().map_or(0, |m| m.0);
    if version > latest {
        let why = format!("its schema version {version} is newer than this hookpit's ({latest})");
        return Err(corrupt(path, &why));
    }
    Ok(version)
}

/// Applies every migration above `version`, each in its own transaction.
fn migrate(conn: &Connection, version: i64) -> Result<(), StoreError> {
    for &(to, sql) in MIGRATIONS.iter().filter(|m| m.0 > version) {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let applied = conn
            .execute_batch(sql)
            .and_then(|()| conn.pragma_update(None, "user_version", to))
            .and_then(|()| conn.execute_batch("COMMIT"));
        if let Err(e) = applied {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            return Err(e.into());
        }
    }
    Ok(())
}

/// A damaged file found while reading it at open (`SQLITE_CORRUPT`) becomes a clear
/// [`StoreError::Corrupt`]; other errors pass through.
pub(crate) fn damaged(e: StoreError, path: &str) -> StoreError {
    match &e {
        StoreError::Sqlite(inner)
            if matches!(
                inner.sqlite_error_code(),
                Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
            ) =>
        {
            corrupt(path, &format!("its pages are damaged ({inner})"))
        }
        _ => e,
    }
}

/// The error for a database hookpit will not use.
fn corrupt(path: &str, reason: &str) -> StoreError {
    StoreError::Corrupt {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}
