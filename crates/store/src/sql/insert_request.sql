INSERT INTO requests (
    id, user_id, endpoint, status, latency_ms, tokens_est, ip_hash, created_at,
    tokens_source, prompt_tokens, completion_tokens, method, model, mode, upstream, stream,
    ttfb_ms, error, failover, client, agent_session, cached_tokens, cache_write_tokens,
    reasoning_tokens, cost_usd, billing, upstream_request_id
) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
          ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)
