//! The dashboard and the request log: read queries on their own SQLite connection, off the
//! async workers; the log writer keeps writing meanwhile (WAL).

use std::path::PathBuf;

use clawbox_gateway::PlanLimits;
use clawbox_pricing::{Basis, Price, SnapshotInfo, snapshot_info};
use clawbox_store::dashboard::{Dashboard, MonthOf, Range, Today, dashboard, today};
use clawbox_store::log::{LogFacets, LogPage, LogQuery, LogRow};
use clawbox_store::{log, maintenance};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use ts_rs::TS;

use super::{CommandError, blocking, running};
use crate::GatewayHost;

/// Where exports go instead of the Downloads folder (managed by tests).
pub struct ExportFolder(pub PathBuf);

/// Where an export was written.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct ExportResult {
    pub path: String,
    #[ts(type = "number")]
    pub rows: u64,
}

#[tauri::command]
pub async fn usage_dashboard(
    host: State<'_, GatewayHost>,
    range: String,
) -> Result<Dashboard, CommandError> {
    let range = Range::parse(&range).map_err(|e| CommandError::new("bad_range", e.to_string()))?;
    let (gateway, _) = running(&host)?;
    let config = gateway.config();
    let db = gateway.database_path();
    blocking(move || {
        let conn = connect(&db)?;
        let now = time::OffsetDateTime::now_utc();
        let month = format!("{:04}-{:02}", now.year(), u8::from(now.month()));
        let of = MonthOf {
            user_id: config.user_id.as_deref(),
            month: &month,
            cap: config.monthly_cap,
            budget_usd: config.monthly_budget_usd,
        };
        dashboard(&conn, range, now.unix_timestamp(), &of).map_err(store_error)
    })
    .await
}

/// Requests, tokens and cost since `from` (Unix seconds: the start of the person's day).
#[tauri::command]
pub async fn today_usage(host: State<'_, GatewayHost>, from: i64) -> Result<Today, CommandError> {
    let db = database(&host)?;
    blocking(move || today(&connect(&db)?, from).map_err(store_error)).await
}

/// The ChatGPT plan's usage windows, asked of the backend when nothing fresh is known (at most
/// once a minute); `None` when not signed in or never reported.
#[tauri::command]
pub async fn plan_limits(host: State<'_, GatewayHost>) -> Result<Option<PlanLimits>, CommandError> {
    let (gateway, _) = running(&host)?;
    Ok(gateway.fresh_plan_limits().await)
}

/// One request as logged, with the price its cost was worked out at (today's prices: the
/// settings may have changed since).
#[derive(Debug, Clone, Serialize, TS, PartialEq)]
#[ts(export)]
pub struct RequestDetail {
    pub row: LogRow,
    pub price: Option<PriceBasis>,
}

/// A model's price, in US dollars per 1M tokens, and where it comes from.
#[derive(Debug, Clone, Serialize, TS, PartialEq)]
#[ts(export)]
pub struct PriceBasis {
    pub price: Price,
    /// "LiteLLM … (taken YYYY-MM-DD)", or "your setting \"gpt-*\"".
    pub source: String,
}

#[tauri::command]
pub async fn request_detail(
    host: State<'_, GatewayHost>,
    id: String,
) -> Result<RequestDetail, CommandError> {
    let (gateway, _) = running(&host)?;
    let config = gateway.config();
    let db = gateway.database_path();
    let row = blocking(move || log::row(&connect(&db)?, &id).map_err(store_error))
        .await?
        .ok_or_else(|| CommandError::new("not_found", "this request is no longer in the log"))?;
    let price = row.model.as_deref().and_then(|model| {
        let priced = config.prices.price(model)?;
        let source = match priced.basis {
            Basis::Setting(key) => format!("your setting \"{key}\""),
            Basis::Snapshot => snapshot_source(),
        };
        Some(PriceBasis {
            price: priced.price,
            source,
        })
    });
    Ok(RequestDetail { row, price })
}

/// Where the shipped prices come from.
#[tauri::command]
pub fn price_source() -> SnapshotInfo {
    snapshot_info()
}

fn snapshot_source() -> String {
    let info = snapshot_info();
    format!("{} (taken {})", info.version, info.taken)
}

#[tauri::command]
pub async fn request_log(
    host: State<'_, GatewayHost>,
    query: LogQuery,
) -> Result<LogPage, CommandError> {
    let db = database(&host)?;
    blocking(move || log::page(&connect(&db)?, &query).map_err(store_error)).await
}

#[tauri::command]
pub async fn log_facets(host: State<'_, GatewayHost>) -> Result<LogFacets, CommandError> {
    let db = database(&host)?;
    blocking(move || log::facets(&connect(&db)?).map_err(store_error)).await
}

/// Writes the whole current filter as CSV into the Downloads folder (or the home folder).
#[tauri::command]
pub async fn export_log_csv<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, GatewayHost>,
    query: LogQuery,
) -> Result<ExportResult, CommandError> {
    let db = database(&host)?;
    let folder = match app.try_state::<ExportFolder>() {
        Some(folder) => folder.0.clone(),
        None => app
            .path()
            .download_dir()
            .or_else(|_| app.path().home_dir())
            .map_err(|e| CommandError::new("export", format!("no folder to export to: {e}")))?,
    };
    blocking(move || {
        let now = time::OffsetDateTime::now_utc();
        let name = format!(
            "clawbox-requests-{:04}{:02}{:02}-{:02}{:02}{:02}.csv",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second()
        );
        std::fs::create_dir_all(&folder)
            .map_err(|e| CommandError::new("export", format!("{}: {e}", folder.display())))?;
        let path = folder.join(name);
        let file = std::fs::File::create(&path)
            .map_err(|e| CommandError::new("export", format!("{}: {e}", path.display())))?;
        let rows = log::export_csv(&connect(&db)?, &query, std::io::BufWriter::new(file))
            .map_err(store_error)?;
        Ok(ExportResult {
            path: path.display().to_string(),
            rows,
        })
    })
    .await
}

/// Deletes the request log (this month's counts for the cap are kept).
#[tauri::command]
pub async fn clear_history<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, GatewayHost>,
) -> Result<(), CommandError> {
    let db = database(&host)?;
    blocking(move || {
        maintenance::clear(&connect(&db)?)
            .map(|_| ())
            .map_err(store_error)
    })
    .await?;
    // The dashboard and the log refresh themselves on a (empty) batch of requests.
    let _ = app.emit("requests", Vec::<()>::new());
    Ok(())
}

fn database(host: &GatewayHost) -> Result<PathBuf, CommandError> {
    Ok(running(host)?.0.database_path())
}

fn connect(db: &std::path::Path) -> Result<clawbox_store::Connection, CommandError> {
    clawbox_store::database::connect(db).map_err(store_error)
}

fn store_error(e: clawbox_store::StoreError) -> CommandError {
    match e {
        clawbox_store::StoreError::BadQuery(m) => CommandError::new("bad_query", m),
        other => CommandError::new("history", other.to_string()),
    }
}
