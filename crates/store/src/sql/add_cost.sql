INSERT INTO cost_split (hour, dimension, key, billing, requests, tokens, cost_usd, unpriced)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT (dimension, hour, key, billing) DO UPDATE SET
    requests = requests + excluded.requests,
    tokens = CASE WHEN tokens > 9223372036854775807 - excluded.tokens
                  THEN 9223372036854775807
                  ELSE tokens + excluded.tokens END,
    cost_usd = cost_usd + excluded.cost_usd,
    unpriced = unpriced + excluded.unpriced
