// Money and plan allowances as people read them: dollars with the fractions of a cent a single
// request costs, who pays, and "78% left, resets in 4 h 29 min".
import type { PlanLimits, PlanWindow } from "./ipc";
import { LOCALE } from "./locale";

/** "$0.00", "$0.0023" below a dollar, "$12.35" above. */
export function formatUsd(usd: number): string {
  if (usd === 0) return "$0.00";
  if (Math.abs(usd) >= 1) return `$${usd.toFixed(2)}`;
  if (Math.abs(usd) < 0.0001) return "<$0.0001";
  return `$${usd.toFixed(4)}`;
}

/** A request's cost, saying who pays: money, the plan, nothing, or no known price. */
export function costText(cost: number | null, billing: string | null): string {
  if (billing === "local") return "free (local)";
  if (cost === null) return billing === null ? "–" : "no price";
  switch (billing) {
    case "plan":
      return `${formatUsd(cost)} covered by your plan`;
    case "hosted":
      return `${formatUsd(cost)} (hosted)`;
    default:
      return formatUsd(cost);
  }
}

/** Who pays, in words. */
export function billingText(billing: string | null): string {
  switch (billing) {
    case "api":
      return "your API key (money spent)";
    case "plan":
      return "your ChatGPT plan (at API prices)";
    case "local":
      return "nobody: a model on this computer";
    case "hosted":
      return "the hosted ClawBox (at API prices)";
    default:
      return "nobody: no provider was reached";
  }
}

/** A window's name by its length: 5-hour, Daily, Weekly, Monthly; else its hours or days. */
export function windowLabel(minutes: number): string {
  const near = (expected: number) => Math.abs(minutes - expected) * 20 <= expected;
  if (near(300)) return "5-hour";
  if (near(1_440)) return "Daily";
  if (near(10_080)) return "Weekly";
  if (near(43_200)) return "Monthly";
  return minutes < 1_440 ? `${Math.round(minutes / 60)}-hour` : `${Math.round(minutes / 1_440)}-day`;
}

/** The percentage left, rounded down: never "100% left" while anything is used. */
export function percentLeft(w: PlanWindow): number {
  return Math.floor(100 - Math.min(100, Math.max(0, w.used_percent)));
}

/** "in 4 h 29 min" within a day; else the weekday and time here ("Tue 09:00"). */
export function resetsText(resetsAt: number, now: Date = new Date()): string {
  const secs = resetsAt - Math.floor(now.getTime() / 1000);
  if (secs <= 60) return "in a minute";
  if (secs < 86_400) {
    const minutes = Math.ceil(secs / 60);
    const [h, m] = [Math.floor(minutes / 60), minutes % 60];
    if (h === 0) return `in ${m} min`;
    return m === 0 ? `in ${h} h` : `in ${h} h ${m} min`;
  }
  const at = new Date(resetsAt * 1000);
  const day = at.toLocaleDateString(LOCALE, { weekday: "short" });
  const time = at.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit", hour12: false });
  return `${day} ${time}`;
}

/** "5-hour: 78% left, resets in 4 h 29 min". */
export function windowText(w: PlanWindow, now: Date = new Date()): string {
  const base = `${windowLabel(w.window_minutes)}: ${percentLeft(w)}% left`;
  return w.resets_at === null ? base : `${base}, resets ${resetsText(w.resets_at, now)}`;
}

/** Every window, shortest first, joined as the tray and the status line show them. */
export function planText(limits: PlanLimits, now: Date = new Date()): string {
  return limits.windows.map((w) => windowText(w, now)).join(" · ");
}

/** The tightest window's share left, for a one-number summary ("78% left"). */
export function tightest(limits: PlanLimits): PlanWindow | null {
  return limits.windows.reduce<PlanWindow | null>((low, w) => (low === null || percentLeft(w) < percentLeft(low) ? w : low), null);
}

/** Unix seconds of this day's start where the person is. */
export function startOfToday(now: Date = new Date()): number {
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  return Math.floor(midnight.getTime() / 1000);
}
