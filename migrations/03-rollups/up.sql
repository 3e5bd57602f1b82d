-- Per-minute pre-aggregates of `requests`, kept by the log writer in the same transaction as the
-- rows they count, so the dashboard reads thousands of small rows instead of scanning millions.
-- Rows logged before this migration are folded in by ClawBox when it opens the database.
CREATE TABLE usage_rollup (
    minute           INTEGER NOT NULL,            -- Unix time / 60, UTC
    user_id          TEXT NOT NULL,
    model            TEXT NOT NULL,               -- '' when the request named none
    endpoint         TEXT NOT NULL,
    status_class     TEXT NOT NULL CHECK (status_class IN ('2xx', '4xx', '429', '402', '5xx')),
    requests         INTEGER NOT NULL,
    tokens_reported  INTEGER NOT NULL,
    tokens_estimated INTEGER NOT NULL,
    PRIMARY KEY (minute, user_id, model, endpoint, status_class)
) STRICT, WITHOUT ROWID;

-- A latency histogram per minute: `le_ms` is the bucket's upper bound (ClawBox's fixed,
-- roughly logarithmic bounds), so p50/p95 over any range are read from summed counts.
CREATE TABLE latency_rollup (
    minute   INTEGER NOT NULL,
    le_ms    INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (minute, le_ms)
) STRICT, WITHOUT ROWID;
