-- What a request cost. The token parts are inside the counts recorded before them:
-- cached_tokens and cache_write_tokens inside prompt_tokens (Anthropic's cache reads and writes
-- are added to it when ClawBox reads the usage), reasoning_tokens inside completion_tokens.
ALTER TABLE requests ADD COLUMN cached_tokens INTEGER;
ALTER TABLE requests ADD COLUMN cache_write_tokens INTEGER;
ALTER TABLE requests ADD COLUMN reasoning_tokens INTEGER;
-- US dollars at the price ClawBox knew when it logged the request; NULL when it knew no price
-- for the model or the provider reported no usage (never 0 standing in for "unknown").
ALTER TABLE requests ADD COLUMN cost_usd REAL;
-- Who pays: 'api' (an API key: real money), 'plan' (the ChatGPT sign-in: cost_usd is what the
-- tokens would cost at API prices), 'local' (a local model: 0), 'hosted' (relayed: the hosted
-- gateway's to bill). NULL when the request reached no provider.
ALTER TABLE requests ADD COLUMN billing TEXT CHECK (billing IN ('api', 'plan', 'local', 'hosted'));
-- The provider's own id for the request (its x-request-id or request-id), for its support.
ALTER TABLE requests ADD COLUMN upstream_request_id TEXT;

-- This month's 'api' spend per user: the budget is enforced against it.
ALTER TABLE monthly_usage ADD COLUMN spent_usd REAL NOT NULL DEFAULT 0;

-- Cost over time for the dashboard's chart, by who pays.
ALTER TABLE usage_minute ADD COLUMN api_usd REAL NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN plan_usd REAL NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN hosted_usd REAL NOT NULL DEFAULT 0;
ALTER TABLE usage_hour ADD COLUMN api_usd REAL NOT NULL DEFAULT 0;
ALTER TABLE usage_hour ADD COLUMN plan_usd REAL NOT NULL DEFAULT 0;
ALTER TABLE usage_hour ADD COLUMN hosted_usd REAL NOT NULL DEFAULT 0;

-- Requests, tokens and cost per hour by model, by user and by client (each a `dimension`), and
-- by who pays: the dashboard's cost splits and `clawbox-gateway usage` read this, never the
-- requests table. One narrow row per value rather than one per combination: a month of a busy
-- log is tens of thousands of rows, not hundreds of thousands.
CREATE TABLE cost_split (
    hour      INTEGER NOT NULL,                   -- Unix time / 3600, UTC
    dimension TEXT NOT NULL CHECK (dimension IN ('model', 'user', 'client')),
    key       TEXT NOT NULL,                      -- '' when the request named no model, or came
                                                  -- from outside ClawBox's agents
    billing   TEXT NOT NULL,                      -- '' when the request reached no provider
    requests  INTEGER NOT NULL,
    tokens    INTEGER NOT NULL,
    cost_usd  REAL NOT NULL,                      -- of the priced requests
    unpriced  INTEGER NOT NULL,                   -- requests with tokens but no known price
    PRIMARY KEY (dimension, hour, key, billing)
) STRICT, WITHOUT ROWID;
