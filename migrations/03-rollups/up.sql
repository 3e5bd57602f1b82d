-- Pre-aggregates of `requests`, kept by the log writer in the same transaction as the rows they
-- count, so the dashboard reads a few thousand small rows instead of scanning millions. Rows
-- logged before this migration are folded in by ClawBox when it opens the database.

-- Requests and tokens by outcome: per minute (ranges up to a day) and per hour (a week, a month).
CREATE TABLE usage_minute (
    minute           INTEGER NOT NULL,            -- Unix time / 60, UTC
    status_class     TEXT NOT NULL CHECK (status_class IN ('2xx', '4xx', '429', '402', '5xx')),
    requests         INTEGER NOT NULL,
    tokens_reported  INTEGER NOT NULL,
    tokens_estimated INTEGER NOT NULL,
    PRIMARY KEY (minute, status_class)
) STRICT, WITHOUT ROWID;

CREATE TABLE usage_hour (
    hour             INTEGER NOT NULL,            -- Unix time / 3600, UTC
    status_class     TEXT NOT NULL CHECK (status_class IN ('2xx', '4xx', '429', '402', '5xx')),
    requests         INTEGER NOT NULL,
    tokens_reported  INTEGER NOT NULL,
    tokens_estimated INTEGER NOT NULL,
    PRIMARY KEY (hour, status_class)
) STRICT, WITHOUT ROWID;

-- Latency histograms: `le_ms` is a bucket's upper bound (ClawBox's fixed, roughly logarithmic
-- bounds), so p50/p95 over any range are read from summed counts.
CREATE TABLE latency_minute (
    minute   INTEGER NOT NULL,
    le_ms    INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (minute, le_ms)
) STRICT, WITHOUT ROWID;

CREATE TABLE latency_hour (
    hour     INTEGER NOT NULL,
    le_ms    INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (hour, le_ms)
) STRICT, WITHOUT ROWID;

-- Who and what, per hour: the per-user and per-model splits and the log's filter values.
CREATE TABLE usage_split (
    hour     INTEGER NOT NULL,
    user_id  TEXT NOT NULL,
    model    TEXT NOT NULL,                       -- '' when the request named none
    endpoint TEXT NOT NULL,
    requests INTEGER NOT NULL,
    tokens   INTEGER NOT NULL,
    PRIMARY KEY (hour, user_id, model, endpoint)
) STRICT, WITHOUT ROWID;
