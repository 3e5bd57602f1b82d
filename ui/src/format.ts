// How numbers, times and errors read on screen. The UI is in English, so numbers are too.

import { LOCALE } from "./locale";

const count = new Intl.NumberFormat("en-US");

export function formatCount(n: number): string {
  return count.format(n);
}

/** "340 ms" under a second, "1.2 s" above: people compare latencies by eye. */
export function formatLatency(ms: number | null): string {
  if (ms === null) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** Estimated counts are marked: they come from a tokenizer guess, not the provider's bill. */
export function formatTokens(n: number, source: string): string {
  return source === "estimated" ? `${formatCount(n)} est.` : formatCount(n);
}

/** The time of day for today's rows, with the date for older ones, in the viewer's time zone. */
export function formatTime(createdAt: string, now: Date = new Date()): string {
  const at = new Date(createdAt);
  if (Number.isNaN(at.getTime())) return createdAt;
  const time = at.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  if (at.toDateString() === now.toDateString()) return time;
  const date = at.toLocaleDateString(LOCALE, { month: "short", day: "numeric" });
  return `${date}, ${time}`;
}

/** "per 15 minutes", for chart captions. */
export function bucketLabel(bucketSecs: number): string {
  if (bucketSecs % 86_400 === 0) return per(bucketSecs / 86_400, "day");
  if (bucketSecs % 3_600 === 0) return per(bucketSecs / 3_600, "hour");
  if (bucketSecs % 60 === 0) return per(bucketSecs / 60, "minute");
  return per(bucketSecs, "second");
}

function per(n: number, unit: string): string {
  return n === 1 ? `per ${unit}` : `per ${n} ${unit}s`;
}

/** The status class a request counts under, as the dashboard and the log filter name them. */
export function statusClass(status: number): "2xx" | "4xx" | "429" | "402" | "5xx" {
  if (status === 429) return "429";
  if (status === 402) return "402";
  if (status === 101) return "2xx"; // a WebSocket session
  if (status >= 500 || status < 200) return "5xx";
  if (status >= 400) return "4xx";
  return "2xx";
}

/**
 * What went wrong, in the backend's own words. Commands reject with a CommandError whose message
 * is written for people; anything else (a bug, a missing command) still gets a sentence.
 */
export function errorMessage(e: unknown): string {
  if (typeof e === "string") return e;
  if (e && typeof e === "object" && "message" in e && typeof e.message === "string") {
    return e.message;
  }
  return `Something went wrong: ${String(e)}`;
}

/** Date and time in full, for tooltips. */
export function formatDateTime(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : at.toLocaleString(LOCALE);
}
