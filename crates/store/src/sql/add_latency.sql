-- {table} and {unit} are filled in by rollup.rs (latency_minute/minute or latency_hour/hour).
INSERT INTO {table} ({unit}, le_ms, requests) VALUES (?1, ?2, ?3)
ON CONFLICT ({unit}, le_ms) DO UPDATE SET requests = requests + excluded.requests
