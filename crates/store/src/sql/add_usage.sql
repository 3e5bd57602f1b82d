-- {table} and {unit} are filled in by rollup.rs (usage_minute/minute or usage_hour/hour).
INSERT INTO {table} (
    {unit}, status_class, requests, tokens_reported, tokens_estimated, api_usd, plan_usd, hosted_usd
) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT ({unit}, status_class) DO UPDATE SET
    requests = requests + excluded.requests,
    -- Saturate rather than overflow (SQLite would turn the sum into a REAL and refuse it).
    tokens_reported = CASE WHEN tokens_reported > 9223372036854775807 - excluded.tokens_reported
                           THEN 9223372036854775807
                           ELSE tokens_reported + excluded.tokens_reported END,
    tokens_estimated = CASE WHEN tokens_estimated > 9223372036854775807 - excluded.tokens_estimated
                            THEN 9223372036854775807
                            ELSE tokens_estimated + excluded.tokens_estimated END,
    api_usd = api_usd + excluded.api_usd,
    plan_usd = plan_usd + excluded.plan_usd,
    hosted_usd = hosted_usd + excluded.hosted_usd
