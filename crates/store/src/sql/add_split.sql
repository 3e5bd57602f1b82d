INSERT INTO usage_split (hour, user_id, model, endpoint, requests, tokens)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (hour, user_id, model, endpoint) DO UPDATE SET
    requests = requests + excluded.requests,
    tokens = CASE WHEN tokens > 9223372036854775807 - excluded.tokens
                  THEN 9223372036854775807
                  ELSE tokens + excluded.tokens END
