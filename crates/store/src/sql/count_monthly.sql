INSERT INTO monthly_usage (user_id, month, requests, tokens) VALUES (?1, ?2, 1, ?3)
ON CONFLICT (user_id, month) DO UPDATE SET
    requests = requests + 1,
    tokens = tokens + excluded.tokens
