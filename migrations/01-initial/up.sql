-- The request log. Mirrors the hosted gateway's D1 `requests` table (id, user_id, endpoint,
-- status, latency_ms, tokens_est, ip_hash, created_at) so the two can be compared row for row;
-- the columns after created_at are ClawBox's own additions.
CREATE TABLE requests (
    id                TEXT PRIMARY KEY NOT NULL,  -- the request id, also the x-request-id header
    user_id           TEXT NOT NULL,
    endpoint          TEXT NOT NULL,              -- path without query
    status            INTEGER NOT NULL,
    latency_ms        INTEGER NOT NULL,           -- until the last byte of the response
    tokens_est        INTEGER NOT NULL,           -- provider's total when reported, else estimate
    ip_hash           TEXT,                       -- 8 hex chars of HMAC-SHA-256, never a raw IP
    created_at        TEXT NOT NULL,              -- ISO-8601 UTC with milliseconds
    tokens_source     TEXT NOT NULL CHECK (tokens_source IN ('reported', 'estimated')),
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    method            TEXT NOT NULL,
    model             TEXT,
    mode              TEXT NOT NULL CHECK (mode IN ('local', 'hosted')),
    upstream          TEXT,                       -- which upstream served it (openai, anthropic, hosted…)
    stream            INTEGER NOT NULL DEFAULT 0, -- 1 when the response was an event stream
    ttfb_ms           INTEGER,                    -- until the upstream's response headers
    error             TEXT                        -- a stable error code, never a message or a secret
) STRICT;

CREATE INDEX idx_requests_user_id ON requests(user_id);
CREATE INDEX idx_requests_created_at ON requests(created_at);

CREATE VIEW user_summary AS
SELECT user_id,
       COUNT(*)        AS total_requests,
       SUM(tokens_est) AS total_tokens,
       AVG(latency_ms) AS avg_latency,
       MAX(created_at) AS last_seen
FROM requests
GROUP BY user_id;

-- Admitted requests per user per UTC month (429s and 402s are logged in `requests` but not
-- counted here). The monthly cap is enforced against this table's counts.
CREATE TABLE monthly_usage (
    user_id  TEXT NOT NULL,
    month    TEXT NOT NULL,                       -- 'YYYY-MM', UTC
    requests INTEGER NOT NULL DEFAULT 0,
    tokens   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, month)
) STRICT, WITHOUT ROWID;
