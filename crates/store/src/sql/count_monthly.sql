INSERT INTO monthly_usage (user_id, month, requests, tokens, spent_usd) VALUES (?1, ?2, 1, ?3, ?4)
ON CONFLICT (user_id, month) DO UPDATE SET
    requests = requests + 1,
    -- Saturate rather than overflow (SQLite would turn the sum into a REAL and refuse it).
    tokens = CASE WHEN tokens > 9223372036854775807 - excluded.tokens
                  THEN 9223372036854775807
                  ELSE tokens + excluded.tokens END,
    spent_usd = spent_usd + excluded.spent_usd
