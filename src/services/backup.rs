//! Backups in one portable format that restores into SQLite or PostgreSQL, so a backup of a
//! SQLite shop restored with a PostgreSQL `DATABASE_URL` moves the shop. The file is JSON
//! lines: a header (format, version, the migrations the schema has), then per table a line
//! with its columns and one line per row, tables parents first. Values are written the same
//! way from either database (integers, booleans, text, times as RFC 3339 UTC in microseconds).
//!
//! Consistency while the bot runs: on SQLite the dump reads a `VACUUM INTO` snapshot; on
//! PostgreSQL one read-only repeatable-read transaction.
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, SecondsFormat, SubsecRound, Utc};
use sea_orm::sea_query::{Alias, Expr, Query, SimpleExpr};
use sea_orm::{
    AccessMode, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, FromQueryResult, IsolationLevel,
    JsonValue, Statement, TransactionTrait, Value,
};
use serde_json::json;

const FORMAT: &str = "ottsonly-backup";
const VERSION: u64 = 1;
/// Rows read per query and inserted per statement.
const PAGE: u64 = 500;
const MIGRATIONS_TABLE: &str = "seaql_migrations";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not an ottsonly backup: {0}")]
    Format(String),
    #[error("the database is not empty (table {0} has rows): restore only into a new database")]
    NotEmpty(String),
    #[error("the backup's schema differs from this version's ({0}): restore it with the version that made it")]
    Schema(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub tables: usize,
    pub rows: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
    Time,
    Text,
}

fn kind_of(declared: &str) -> Kind {
    let t = declared.to_ascii_lowercase();
    if t.contains("bool") {
        Kind::Bool
    } else if t.contains("int") || t == "serial" || t == "bigserial" {
        Kind::Int
    } else if t.contains("timestamp") || t.contains("date") {
        Kind::Time
    } else {
        Kind::Text
    }
}

#[derive(FromQueryResult)]
struct Named {
    name: String,
}

#[derive(FromQueryResult)]
struct ColumnRow {
    name: String,
    declared: String,
}

#[derive(FromQueryResult)]
struct Edge {
    child: String,
    parent: String,
}

async fn tables(conn: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()",
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let names: BTreeSet<String> = Named::find_by_statement(Statement::from_string(backend, sql))
        .all(conn)
        .await?
        .into_iter()
        .map(|n| n.name)
        .collect();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT tc.table_name AS child, ccu.table_name AS parent FROM information_schema.table_constraints tc \
             JOIN information_schema.constraint_column_usage ccu \
             ON tc.constraint_name = ccu.constraint_name AND tc.table_schema = ccu.table_schema \
             WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()"
        }
        _ => {
            "SELECT m.name AS child, p.\"table\" AS parent FROM sqlite_master m \
             JOIN pragma_foreign_key_list(m.name) p WHERE m.type = 'table'"
        }
    };
    let edges = Edge::find_by_statement(Statement::from_string(backend, sql)).all(conn).await?;
    // Parents first; a table's references to itself are kept in order by its ids.
    let mut parents: BTreeMap<String, BTreeSet<String>> = names.iter().map(|n| (n.clone(), BTreeSet::new())).collect();
    for edge in edges.into_iter().filter(|e| e.child != e.parent && names.contains(&e.parent)) {
        parents.entry(edge.child).or_default().insert(edge.parent);
    }
    let mut ordered = Vec::new();
    while !parents.is_empty() {
        let ready: Vec<String> =
            parents.iter().filter(|(_, ps)| ps.iter().all(|p| ordered.contains(p))).map(|(n, _)| n.clone()).collect();
        if ready.is_empty() {
            return Err(DbErr::Custom("tables reference each other in a cycle".into()));
        }
        for name in ready {
            parents.remove(&name);
            ordered.push(name);
        }
    }
    ordered.retain(|t| t != MIGRATIONS_TABLE);
    Ok(ordered)
}

async fn columns(conn: &impl ConnectionTrait, table: &str) -> Result<Vec<(String, Kind)>, DbErr> {
    let backend = conn.get_database_backend();
    let statement = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            "SELECT column_name AS name, data_type AS declared FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            [table.into()],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            "SELECT name, type AS declared FROM pragma_table_info(?) ORDER BY cid",
            [table.into()],
        ),
    };
    Ok(ColumnRow::find_by_statement(statement)
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.name, kind_of(&c.declared)))
        .collect())
}

async fn migrations(conn: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let backend = conn.get_database_backend();
    let sql = format!("SELECT version AS name FROM {MIGRATIONS_TABLE} ORDER BY version");
    Ok(Named::find_by_statement(Statement::from_string(backend, sql))
        .all(conn)
        .await?
        .into_iter()
        .map(|n| n.name)
        .collect())
}

fn quoted(backend: DbBackend, name: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    }
}

/// A time as either database hands it over (RFC 3339, or SQLite's text forms).
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f %:z", "%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f %z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").ok().map(|t| t.and_utc())
}

/// A value read from a database as the backup writes it.
fn portable(value: &JsonValue, kind: Kind) -> Result<JsonValue, BackupError> {
    if value.is_null() {
        return Ok(JsonValue::Null);
    }
    let bad = || BackupError::Format(format!("unexpected value {value}"));
    Ok(match kind {
        Kind::Int => json!(value.as_i64().ok_or_else(bad)?),
        Kind::Bool => json!(value.as_bool().or_else(|| value.as_i64().map(|n| n != 0)).ok_or_else(bad)?),
        Kind::Time => {
            let time = value.as_str().and_then(parse_time).ok_or_else(bad)?;
            json!(time.trunc_subsecs(6).to_rfc3339_opts(SecondsFormat::Micros, true))
        }
        Kind::Text => match value {
            JsonValue::String(s) => json!(s),
            other => json!(other.to_string()),
        },
    })
}

/// A backup value as the target column takes it.
fn bound(value: &JsonValue, kind: Kind) -> Result<SimpleExpr, BackupError> {
    let bad = || BackupError::Format(format!("unexpected value {value} for a {kind:?} column"));
    Ok(Expr::val(match (value, kind) {
        (JsonValue::Null, Kind::Int) => Value::BigInt(None),
        (JsonValue::Null, Kind::Bool) => Value::Bool(None),
        (JsonValue::Null, Kind::Time) => Value::ChronoDateTimeUtc(None),
        (JsonValue::Null, Kind::Text) => Value::String(None),
        (v, Kind::Int) => Value::BigInt(Some(v.as_i64().ok_or_else(bad)?)),
        (v, Kind::Bool) => Value::Bool(Some(v.as_bool().ok_or_else(bad)?)),
        (v, Kind::Time) => Value::ChronoDateTimeUtc(Some(v.as_str().and_then(parse_time).ok_or_else(bad)?)),
        (JsonValue::String(s), Kind::Text) => Value::String(Some(s.clone())),
        (v, Kind::Text) => Value::String(Some(v.to_string())),
    }))
}

/// Writes a consistent backup of `db` to `path`.
pub async fn backup(db: &DatabaseConnection, path: &Path) -> Result<Summary, BackupError> {
    let file = std::fs::File::create(path)?;
    let mut out = BufWriter::new(file);
    let summary = match db.get_database_backend() {
        DbBackend::Postgres => {
            let txn = db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?;
            let summary = dump(&txn, &mut out).await?;
            txn.commit().await?;
            summary
        }
        _ => {
            let snapshot = snapshot_path(path);
            let _ = std::fs::remove_file(&snapshot);
            let literal = snapshot.display().to_string().replace('\'', "''");
            db.execute_unprepared(&format!("VACUUM INTO '{literal}'")).await?;
            let copy = Database::connect(format!("sqlite://{}?mode=ro", snapshot.display())).await?;
            let summary = dump(&copy, &mut out).await;
            let _ = copy.close().await;
            let _ = std::fs::remove_file(&snapshot);
            summary?
        }
    };
    out.flush()?;
    Ok(summary)
}

fn snapshot_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".snapshot.sqlite");
    path.with_file_name(name)
}

async fn dump(conn: &impl ConnectionTrait, out: &mut impl Write) -> Result<Summary, BackupError> {
    let backend = conn.get_database_backend();
    let header = json!({ "format": FORMAT, "version": VERSION, "migrations": migrations(conn).await? });
    writeln!(out, "{header}")?;
    let mut summary = Summary::default();
    for table in tables(conn).await? {
        let cols = columns(conn, &table).await?;
        let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
        writeln!(out, "{}", json!({ "table": table, "columns": names }))?;
        summary.tables += 1;
        let list = names.iter().map(|n| quoted(backend, n)).collect::<Vec<_>>().join(", ");
        let mut offset = 0;
        loop {
            // Ordered by the first column (the key), so pages do not overlap.
            let sql = format!(
                "SELECT {list} FROM {} ORDER BY {} LIMIT {PAGE} OFFSET {offset}",
                quoted(backend, &table),
                quoted(backend, names[0])
            );
            let rows = JsonValue::find_by_statement(Statement::from_string(backend, sql)).all(conn).await?;
            for row in &rows {
                let values = cols
                    .iter()
                    .map(|(name, kind)| portable(&row[name.as_str()], *kind))
                    .collect::<Result<Vec<_>, _>>()?;
                writeln!(out, "{}", JsonValue::Array(values))?;
            }
            summary.rows += rows.len() as u64;
            if (rows.len() as u64) < PAGE {
                break;
            }
            offset += PAGE;
        }
    }
    Ok(summary)
}

/// Restores the backup at `path` into `db`, which must be migrated to this version and hold
/// no rows. One transaction: a failed restore leaves the database empty.
pub async fn restore(db: &DatabaseConnection, path: &Path) -> Result<Summary, BackupError> {
    let backend = db.get_database_backend();
    let mut lines = BufReader::new(std::fs::File::open(path)?).lines();
    let header: JsonValue =
        serde_json::from_str(&lines.next().ok_or_else(|| BackupError::Format("empty file".into()))??)
            .map_err(|e| BackupError::Format(e.to_string()))?;
    if header["format"] != FORMAT || header["version"] != VERSION {
        return Err(BackupError::Format("no ottsonly backup header".into()));
    }
    let txn = db.begin().await?;
    let ours = migrations(&txn).await?;
    let theirs: Vec<String> = serde_json::from_value(header["migrations"].clone()).unwrap_or_default();
    if ours != theirs {
        let differ = theirs.iter().filter(|m| !ours.contains(m)).chain(ours.iter().filter(|m| !theirs.contains(m)));
        return Err(BackupError::Schema(differ.cloned().collect::<Vec<_>>().join(", ")));
    }
    let known = tables(&txn).await?;
    for table in &known {
        let sql = format!("SELECT CAST(1 AS BIGINT) AS name FROM {} LIMIT 1", quoted(backend, table));
        #[derive(FromQueryResult)]
        struct Any {
            #[allow(dead_code)]
            name: i64,
        }
        if Any::find_by_statement(Statement::from_string(backend, sql)).one(&txn).await?.is_some() {
            return Err(BackupError::NotEmpty(table.clone()));
        }
    }
    let mut summary = Summary::default();
    let mut current: Option<(String, Vec<(String, Kind)>)> = None;
    let mut batch: Vec<Vec<SimpleExpr>> = Vec::new();
    for line in lines {
        let line = line?;
        let value: JsonValue = serde_json::from_str(&line).map_err(|e| BackupError::Format(e.to_string()))?;
        if let Some(table) = value.get("table").and_then(|t| t.as_str()) {
            flush(&txn, &current, &mut batch).await?;
            if !known.iter().any(|k| k == table) {
                return Err(BackupError::Schema(format!("table {table}")));
            }
            let names: Vec<String> = serde_json::from_value(value["columns"].clone()).unwrap_or_default();
            let target = columns(&txn, table).await?;
            let cols = names
                .into_iter()
                .map(|n| {
                    let kind = target.iter().find(|(t, _)| *t == n).map(|(_, k)| *k);
                    kind.map(|k| (n.clone(), k)).ok_or_else(|| BackupError::Schema(format!("column {table}.{n}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            current = Some((table.to_owned(), cols));
            summary.tables += 1;
            continue;
        }
        let (_, cols) = current.as_ref().ok_or_else(|| BackupError::Format("a row before its table".into()))?;
        let row =
            value.as_array().filter(|r| r.len() == cols.len()).ok_or_else(|| BackupError::Format(line.clone()))?;
        batch.push(row.iter().zip(cols).map(|(v, (_, k))| bound(v, *k)).collect::<Result<_, _>>()?);
        summary.rows += 1;
        if batch.len() as u64 >= PAGE {
            flush(&txn, &current, &mut batch).await?;
        }
    }
    flush(&txn, &current, &mut batch).await?;
    if backend == DbBackend::Postgres {
        // Ids continue after the restored ones.
        for table in &known {
            let cols = columns(&txn, table).await?;
            if cols.iter().any(|(n, k)| n == "id" && *k == Kind::Int) {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {}",
                    quoted(backend, table)
                );
                txn.execute_unprepared(&sql).await?;
            }
        }
    }
    txn.commit().await?;
    Ok(summary)
}

async fn flush(
    conn: &impl ConnectionTrait,
    current: &Option<(String, Vec<(String, Kind)>)>,
    batch: &mut Vec<Vec<SimpleExpr>>,
) -> Result<(), BackupError> {
    let Some((table, cols)) = current else { return Ok(()) };
    if batch.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert.into_table(Alias::new(table.as_str())).columns(cols.iter().map(|(n, _)| Alias::new(n.as_str())));
    for row in batch.drain(..) {
        insert.values(row).map_err(|e| BackupError::Format(e.to_string()))?;
    }
    conn.execute(&insert).await?;
    Ok(())
}

/// Telegram takes documents up to 50 MB from bots; a larger backup stays on disk only.
pub const MAX_SENT_BYTES: u64 = 45 * 1024 * 1024;
const DAY_KEY: &str = "backup.last_day";

/// The daily backup, once per IST day whatever the number of instances (the day is claimed by
/// a conditional update on a setting): written to `dir` as `ottsonly-<day>.backup`, the oldest
/// beyond `keep` removed, and the owners told (with the file, when it is small enough to send).
/// None when the day's backup was made already.
pub async fn daily(
    db: &DatabaseConnection,
    dir: &Path,
    keep: usize,
    now: DateTime<Utc>,
) -> Result<Option<PathBuf>, BackupError> {
    use crate::entities::setting;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
    let day = crate::domain::report::ist_date(now).format("%Y-%m-%d").to_string();
    setting::Entity::insert(setting::ActiveModel {
        key: Set(DAY_KEY.to_owned()),
        value: Set(String::new()),
        updated_at: Set(now),
    })
    .on_conflict_do_nothing_on([setting::Column::Key])
    .exec_without_returning(db)
    .await?;
    let claimed = setting::Entity::update_many()
        .col_expr(setting::Column::Value, Expr::value(day.clone()))
        .col_expr(setting::Column::UpdatedAt, Expr::value(now))
        .filter(setting::Column::Key.eq(DAY_KEY))
        .filter(setting::Column::Value.lt(day.clone()))
        .exec(db)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(None);
    }
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("ottsonly-{day}.backup"));
    let summary = backup(db, &path).await?;
    let mut old: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with("ottsonly-") && name.ends_with(".backup")
        })
        .collect();
    old.sort();
    let excess = old.len().saturating_sub(keep.max(1));
    for stale in &old[..excess] {
        std::fs::remove_file(stale)?;
    }
    let bytes = std::fs::metadata(&path)?.len();
    let notice = crate::services::outbox::Notice::BackupReady {
        day: day.clone(),
        path: path.display().to_string(),
        bytes,
        rows: summary.rows,
    };
    crate::services::outbox::to_owners_once(db, &notice, &format!("backup:{day}"), now).await?;
    Ok(Some(path))
}
