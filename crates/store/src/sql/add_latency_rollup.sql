INSERT INTO latency_rollup (minute, le_ms, requests) VALUES (?1, ?2, ?3)
ON CONFLICT (minute, le_ms) DO UPDATE SET requests = requests + excluded.requests
