-- Requests answered by the other mode because the configured one was down (setting `failover`).
-- `mode` and `upstream` name what actually served the request; this says it was a failover.
ALTER TABLE requests ADD COLUMN failover INTEGER NOT NULL DEFAULT 0;
