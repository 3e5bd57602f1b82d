// Backend answers as the Rust side sends them, with only what a test cares about overridden.
import type { Accounts, AppSettings, CostLine, Dashboard, GatewayStatus, LiveRequest, PlanLimits, PresetView, ProvidersView, ProviderView, Today } from "../ipc";
import type { LogRow } from "../bindings/LogRow";

export function status(over: Partial<GatewayStatus> = {}): GatewayStatus {
  return {
    running: true,
    starting: false,
    url: "http://127.0.0.1:18789",
    mode: "local",
    health: "ok",
    problems: [],
    error: null,
    local_key: "cbx_…1a2b",
    port: 18789,
    port_taken: false,
    onboarded: true,
    ...over,
  };
}

export function settings(over: Partial<AppSettings> = {}): AppSettings {
  return {
    mode: "local",
    port: 18789,
    hosted_url: "https://clawbox.example.org",
    openai_url: "https://api.openai.com",
    anthropic_url: "https://api.anthropic.com",
    ollama_url: "http://127.0.0.1:11434",
    user_id: "ada",
    rate_limit: 50,
    monthly_cap: 0,
    monthly_budget_usd: 0,
    usage_alerts: true,
    failover: false,
    retention_days: 90,
    keep_conversations: true,
    conversation_retention_days: 30,
    launch_at_login: false,
    auth_mode: "openai",
    pinned: [],
    ...over,
  };
}

export function accounts(over: Partial<Accounts> = {}): Accounts {
  return {
    keychain: "the system keychain",
    keychain_problem: null,
    local_key: "cbx_…1a2b",
    api_keys: [],
    chatgpt: null,
    auth_mode: "openai",
    ...over,
  };
}

/** A 24-hour dashboard: four 15-minute buckets are enough to check what is drawn. */
export function dashboard(over: Partial<Dashboard> = {}): Dashboard {
  const start = 1_700_000_000;
  return {
    range: "24h",
    bucket_secs: 900,
    from: start,
    to: start + 4 * 900,
    buckets: [
      { start, requests: 3, tokens_reported: 300, tokens_estimated: 0, p50_ms: 400, p95_ms: 900, ...usd(0.5, 0) },
      { start: start + 900, requests: 0, tokens_reported: 0, tokens_estimated: 0, p50_ms: null, p95_ms: null, ...usd(0, 0) },
      { start: start + 1800, requests: 5, tokens_reported: 200, tokens_estimated: 50, p50_ms: 350, p95_ms: 1200, ...usd(0.25, 0.75) },
      { start: start + 2700, requests: 4, tokens_reported: 100, tokens_estimated: 0, p50_ms: 500, p95_ms: 800, ...usd(0, 0) },
    ],
    statuses: { ok: 9, client_error: 1, rate_limited: 1, over_cap: 0, server_error: 1 },
    requests: 12,
    tokens_reported: 600,
    tokens_estimated: 50,
    p50_ms: 400,
    p95_ms: 1100,
    by_model: [{ name: "gpt-4o-mini", requests: 12, tokens: 650 }],
    by_user: [{ name: "ada", requests: 12, tokens: 650 }],
    cost: costLine("total", { requests: 12, tokens: 650, cost_usd: 0.75, plan_value_usd: 0.75 }),
    cost_by_model: [costLine("gpt-4o-mini", { requests: 12, tokens: 650, cost_usd: 0.75, plan_value_usd: 0.75 })],
    cost_by_user: [costLine("ada", { requests: 12, tokens: 650, cost_usd: 0.75, plan_value_usd: 0.75 })],
    cost_by_client: [],
    cost_by_day: [],
    month: { month: "2023-11", user_id: null, requests: 40, tokens: 4000, cap: null, spent_usd: 3, budget_usd: null },
    ...over,
  };
}

function usd(api_usd: number, plan_usd: number) {
  return { api_usd, plan_usd, hosted_usd: 0 };
}

export function costLine(key: string, over: Partial<CostLine> = {}): CostLine {
  return { key, requests: 0, tokens: 0, cost_usd: 0, plan_value_usd: 0, hosted_usd: 0, unpriced: 0, ...over };
}

export function logRow(id: string, over: Partial<LogRow> = {}): LogRow {
  return {
    id,
    created_at: "2023-11-14T22:13:20.000Z",
    user_id: "ada",
    method: "POST",
    endpoint: "/v1/chat/completions",
    model: "gpt-4o-mini",
    status: 200,
    latency_ms: 420,
    ttfb_ms: 120,
    tokens: 96,
    tokens_source: "reported",
    mode: "local",
    upstream: "openai",
    stream: false,
    error: null,
    failover: false,
    client: null,
    agent_session: null,
    prompt_tokens: 60,
    completion_tokens: 36,
    cached_tokens: 40,
    cache_write_tokens: null,
    reasoning_tokens: 10,
    cost_usd: 0.00051,
    billing: "api",
    upstream_request_id: "req_abc123",
    ...over,
  };
}

export function liveRequest(id: string, over: Partial<LiveRequest> = {}): LiveRequest {
  return {
    id,
    user_id: "ada",
    endpoint: "/v1/chat/completions",
    status: 200,
    latency_ms: 300,
    tokens: 20,
    tokens_source: "reported",
    model: "gpt-4o-mini",
    mode: "local",
    upstream: "openai",
    failover: false,
    created_at: "2023-11-14T22:13:20.000Z",
    agent_session: null,
    cost_usd: 0.0001,
    billing: "api",
    ...over,
  };
}

export function today(over: Partial<Today> = {}): Today {
  return { requests: 42, tokens: 12_345, api_usd: 1.2345, plan_usd: 0.5, hosted_usd: 0, ...over };
}

/** A Plus plan 22% into its 5-hour window (resetting in 4 h 29 min) and 32% into its week. */
export function plan(nowSecs: number, over: Partial<PlanLimits> = {}): PlanLimits {
  return {
    windows: [
      { used_percent: 22, window_minutes: 300, resets_at: nowSecs + 4 * 3600 + 29 * 60 },
      { used_percent: 32, window_minutes: 10_080, resets_at: nowSecs + 3 * 86_400 },
    ],
    plan: "plus",
    observed_at: nowSecs,
    ...over,
  };
}

export const PRESETS: PresetView[] = [
  { name: "openrouter", label: "OpenRouter", kind: "openai", base_url: "https://openrouter.ai/api/v1", models: [], needs_key: true, keys_at: "https://openrouter.ai/settings/keys" },
  { name: "deepseek", label: "DeepSeek", kind: "openai", base_url: "https://api.deepseek.com/v1", models: ["deepseek-*"], needs_key: true, keys_at: "https://platform.deepseek.com/api_keys" },
  { name: "lmstudio", label: "LM Studio (on this computer)", kind: "openai", base_url: "http://localhost:1234/v1", models: [], needs_key: false, keys_at: "" },
];

export function providerView(name: string, over: Partial<ProviderView> = {}): ProviderView {
  const preset = PRESETS.find((p) => p.name === name);
  return {
    name,
    label: preset?.label ?? name,
    kind: "openai",
    base_url: preset?.base_url ?? `https://${name}.example/v1`,
    models: preset?.models ?? [],
    needs_key: preset?.needs_key ?? true,
    key_saved: false,
    listed_models: 0,
    keys_at: preset?.keys_at ?? "",
    ...over,
  };
}

export function providersView(over: Partial<ProvidersView> = {}): ProvidersView {
  return { providers: [], presets: PRESETS, default_upstream: "none", default_pinned: false, ...over };
}
