// What the dashboard draws and lists, derived from one Dashboard answer. uPlot takes columns:
// x values (unix seconds, which uPlot reads as time) then one array per series, null for a gap.
import type { Dashboard } from "./ipc";
import { formatUsd } from "./money";

export type Columns = [number[], ...(number | null)[][]];

export function requestColumns(d: Dashboard): Columns {
  return [d.buckets.map((b) => b.start), d.buckets.map((b) => b.requests)];
}

export function tokenColumns(d: Dashboard): Columns {
  return [
    d.buckets.map((b) => b.start),
    d.buckets.map((b) => b.tokens_reported),
    d.buckets.map((b) => b.tokens_estimated),
  ];
}

/** Money per bucket: spent through API keys, and what the plan (or the hosted ClawBox) covered. */
export function costColumns(d: Dashboard): Columns {
  return [
    d.buckets.map((b) => b.start),
    d.buckets.map((b) => b.api_usd),
    d.buckets.map((b) => b.plan_usd + b.hosted_usd),
  ];
}

/** Buckets without requests have no latency: a gap, not a zero that would look fast. */
export function latencyColumns(d: Dashboard): Columns {
  return [d.buckets.map((b) => b.start), d.buckets.map((b) => b.p50_ms), d.buckets.map((b) => b.p95_ms)];
}

export type StatusRow = { label: string; meaning: string; count: number };

export function statusRows(d: Dashboard): StatusRow[] {
  const s = d.statuses;
  return [
    { label: "2xx", meaning: "answered", count: s.ok },
    { label: "4xx", meaning: "refused by the provider (bad request, wrong key, unknown model)", count: s.client_error },
    { label: "429", meaning: "over the rate limit", count: s.rate_limited },
    { label: "402", meaning: "over the monthly cap", count: s.over_cap },
    { label: "5xx", meaning: "the provider or the hosted ClawBox failed", count: s.server_error },
  ];
}

export type MonthSummary = { text: string; fraction: number | null };

export function monthSummary(d: Dashboard, format: (n: number) => string): MonthSummary {
  const { requests, cap, user_id } = d.month;
  // The cap is per user: name whose month this is (the configured user, else the busiest).
  const who = user_id ? `This month, ${user_id}` : "This month";
  if (cap === null || cap === 0) {
    return { text: `${who}: ${format(requests)} requests, no cap`, fraction: null };
  }
  return {
    text: `${who}: ${format(requests)} requests of ${format(cap)}`,
    fraction: Math.min(1, requests / cap),
  };
}

/** This month's API spend against the budget; null when there is no budget. */
export function budgetSummary(d: Dashboard): MonthSummary | null {
  const { spent_usd, budget_usd, user_id } = d.month;
  if (budget_usd === null || budget_usd <= 0) return null;
  const who = user_id ? `This month, ${user_id}` : "This month";
  return {
    text: `${who}: ${formatUsd(spent_usd)} of the ${formatUsd(budget_usd)} budget spent through API keys`,
    fraction: Math.min(1, spent_usd / budget_usd),
  };
}
