//! The request log as the window shows it: newest first, filtered, paged by key (the id of the
//! last row shown) so the thousandth page is as fast as the first; and the same filter as CSV.

use rusqlite::types::Value;
use rusqlite::{Connection, Row};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// The most rows one page holds.
pub const MAX_PAGE: u32 = 500;

/// Which rows to show. Every filter is exact; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LogQuery {
    pub user_id: Option<String>,
    /// `2xx`, `4xx` (other than 402 and 429), `429`, `402` or `5xx`.
    pub status: Option<String>,
    pub model: Option<String>,
    pub endpoint: Option<String>,
    /// One ClawBox agent session's requests.
    pub agent_session: Option<String>,
    /// The previous page's `next`: rows older than it.
    pub before: Option<String>,
    pub limit: u32,
}

/// One logged request (no prompt, completion, key or address: the log holds none).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LogRow {
    pub id: String,
    pub created_at: String,
    pub user_id: String,
    pub method: String,
    pub endpoint: String,
    pub model: Option<String>,
    pub status: u16,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub latency_ms: i64,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub ttfb_ms: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tokens: i64,
    pub tokens_source: String,
    pub mode: String,
    pub upstream: Option<String>,
    pub stream: bool,
    pub error: Option<String>,
    pub failover: bool,
    pub client: Option<String>,
    pub agent_session: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub prompt_tokens: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub completion_tokens: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub cached_tokens: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub cache_write_tokens: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub reasoning_tokens: Option<i64>,
    /// US dollars; `None`: no known price, or no reported usage.
    pub cost_usd: Option<f64>,
    /// `api`, `plan`, `local` or `hosted`.
    pub billing: Option<String>,
    /// The provider's own id for the request.
    pub upstream_request_id: Option<String>,
}

/// One page, and the cursor for the next (`None` on the last page).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LogPage {
    pub rows: Vec<LogRow>,
    pub next: Option<String>,
}

/// The values the filters offer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LogFacets {
    pub users: Vec<String>,
    pub models: Vec<String>,
    pub endpoints: Vec<String>,
}

const COLUMNS: &str = "id, created_at, user_id, method, endpoint, model, status, latency_ms, \
    ttfb_ms, tokens_est, tokens_source, mode, upstream, stream, error, failover, client, agent_session, \
    prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, cost_usd, \
    billing, upstream_request_id";

/// A page of the log, newest first. Request ids are UUIDv7, so their order is time order and
/// the primary key serves as the paging index.
pub fn page(conn: &Connection, query: &LogQuery) -> Result<LogPage, StoreError> {
    let limit = query.limit.clamp(1, MAX_PAGE);
    let (mut clauses, mut params) = filter(query)?;
    if let Some(before) = &query.before {
        clauses.push("id < ?".into());
        params.push(Value::Text(before.clone()));
    }
    // One more than asked tells whether there is a next page.
    let sql = format!(
        "SELECT {COLUMNS} FROM requests{} ORDER BY id DESC LIMIT {}",
        where_clause(&clauses),
        limit + 1
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows: Vec<LogRow> = stmt
        .query_map(rusqlite::params_from_iter(params), log_row)?
        .collect::<Result<_, _>>()?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    Ok(LogPage { rows, next })
}

/// One row by its id (the request log's detail panel).
pub fn row(conn: &Connection, id: &str) -> Result<Option<LogRow>, StoreError> {
    use rusqlite::OptionalExtension;
    let sql = format!("SELECT {COLUMNS} FROM requests WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], log_row)
        .optional()?)
}

/// Users, models and endpoints seen (from the rollups: cheap at any size).
pub fn facets(conn: &Connection) -> Result<LogFacets, StoreError> {
    let distinct = |column: &str| -> Result<Vec<String>, StoreError> {
        let sql = format!(
            "SELECT DISTINCT {column} FROM usage_split WHERE {column} != '' ORDER BY {column} LIMIT 500"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let values = stmt.query_map([], |r| r.get(0))?;
        Ok(values.collect::<Result<_, _>>()?)
    };
    Ok(LogFacets {
        users: distinct("user_id")?,
        models: distinct("model")?,
        endpoints: distinct("endpoint")?,
    })
}

/// Writes every row matching `query` (ignoring its paging) as CSV, newest first. Returns the
/// number of rows written.
#[cfg(feature = "export")]
pub fn export_csv(
    conn: &Connection,
    query: &LogQuery,
    out: impl std::io::Write,
) -> Result<u64, StoreError> {
    let (clauses, params) = filter(query)?;
    let sql = format!(
        "SELECT {COLUMNS} FROM requests{} ORDER BY id DESC",
        where_clause(&clauses)
    );
    let export_err = |e: csv::Error| StoreError::Export(e.to_string());
    let mut csv = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    csv.write_record(COLUMNS.split(", ").map(|c| match c {
        "tokens_est" => "tokens",
        other => other,
    }))
    .map_err(export_err)?;
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    let mut written = 0;
    while let Some(r) = rows.next()? {
        let row = log_row(r)?;
        csv.write_record(csv_record(&row)).map_err(export_err)?;
        written += 1;
    }
    csv.flush().map_err(|e| StoreError::Export(e.to_string()))?;
    Ok(written)
}

/// A row as CSV cells. Text a caller chose (user ids, models) is defused so a spreadsheet never
/// runs it as a formula.
#[cfg(feature = "export")]
fn csv_record(row: &LogRow) -> [String; 26] {
    let text = |s: &str| {
        if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{s}")
        } else {
            s.to_owned()
        }
    };
    let opt = |v: &Option<String>| v.as_deref().map(text).unwrap_or_default();
    let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    [
        row.id.clone(),
        row.created_at.clone(),
        text(&row.user_id),
        row.method.clone(),
        text(&row.endpoint),
        opt(&row.model),
        row.status.to_string(),
        row.latency_ms.to_string(),
        num(row.ttfb_ms),
        row.tokens.to_string(),
        row.tokens_source.clone(),
        row.mode.clone(),
        opt(&row.upstream),
        u8::from(row.stream).to_string(),
        opt(&row.error),
        u8::from(row.failover).to_string(),
        opt(&row.client),
        opt(&row.agent_session),
        num(row.prompt_tokens),
        num(row.completion_tokens),
        num(row.cached_tokens),
        num(row.cache_write_tokens),
        num(row.reasoning_tokens),
        // Full precision: a request often costs a fraction of a cent.
        row.cost_usd.map(|c| c.to_string()).unwrap_or_default(),
        opt(&row.billing),
        opt(&row.upstream_request_id),
    ]
}

fn filter(query: &LogQuery) -> Result<(Vec<String>, Vec<Value>), StoreError> {
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    let mut exact = |column: &str, value: &Option<String>| {
        if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
            clauses.push(format!("{column} = ?"));
            params.push(Value::Text(v.clone()));
        }
    };
    exact("user_id", &query.user_id);
    exact("model", &query.model);
    exact("endpoint", &query.endpoint);
    exact("agent_session", &query.agent_session);
    if let Some(status) = query.status.as_deref().filter(|s| !s.is_empty()) {
        clauses.push(
            match status {
                "2xx" => "(status BETWEEN 200 AND 399 OR status = 101)",
                "4xx" => "status BETWEEN 400 AND 499 AND status NOT IN (402, 429)",
                "429" => "status = 429",
                "402" => "status = 402",
                "5xx" => "(status >= 500 OR (status < 200 AND status != 101))",
                other => {
                    return Err(StoreError::BadQuery(format!(
                        "unknown status filter {other:?}: use 2xx, 4xx, 429, 402 or 5xx"
                    )));
                }
            }
            .into(),
        );
    }
    Ok((clauses, params))
}

fn where_clause(clauses: &[String]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    }
}

fn log_row(r: &Row<'_>) -> Result<LogRow, rusqlite::Error> {
    Ok(LogRow {
        id: r.get(0)?,
        created_at: r.get(1)?,
        user_id: r.get(2)?,
        method: r.get(3)?,
        endpoint: r.get(4)?,
        model: r.get(5)?,
        status: r.get(6)?,
        latency_ms: r.get(7)?,
        ttfb_ms: r.get(8)?,
        tokens: r.get(9)?,
        tokens_source: r.get(10)?,
        mode: r.get(11)?,
        upstream: r.get(12)?,
        stream: r.get(13)?,
        error: r.get(14)?,
        failover: r.get(15)?,
        client: r.get(16)?,
        agent_session: r.get(17)?,
        prompt_tokens: r.get(18)?,
        completion_tokens: r.get(19)?,
        cached_tokens: r.get(20)?,
        cache_write_tokens: r.get(21)?,
        reasoning_tokens: r.get(22)?,
        cost_usd: r.get(23)?,
        billing: r.get(24)?,
        upstream_request_id: r.get(25)?,
    })
}
