import { describe, expect, it } from "vitest";
import { costText, formatUsd, percentLeft, planText, resetsText, startOfToday, tightest, windowLabel } from "./money";
import { plan } from "./test/fixtures";

describe("money", () => {
  it("keeps the fractions of a cent a request costs", () => {
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(0.0002325)).toBe("$0.0002");
    expect(formatUsd(0.00001)).toBe("<$0.0001");
    expect(formatUsd(12.345)).toBe("$12.35");
  });

  it("says who paid, and never shows an unknown price as $0", () => {
    expect(costText(0.5, "api")).toBe("$0.5000");
    expect(costText(0.5, "plan")).toBe("$0.5000 covered by your plan");
    expect(costText(null, "api")).toBe("no price");
    expect(costText(0, "local")).toBe("free (local)");
    expect(costText(null, null)).toBe("–");
  });
});

describe("the plan's windows", () => {
  const now = new Date("2026-12-05T10:00:00Z");
  const secs = now.getTime() / 1000;

  it("are named by length, not position", () => {
    expect(windowLabel(300)).toBe("5-hour");
    expect(windowLabel(10_080)).toBe("Weekly");
    expect(windowLabel(1_440)).toBe("Daily");
    expect(windowLabel(120)).toBe("2-hour");
    const weeklyAlone = plan(secs, { windows: [{ used_percent: 40, window_minutes: 10_080, resets_at: null }] });
    expect(planText(weeklyAlone, now)).toBe("Weekly: 60% left");
  });

  it("read as a countdown within a day, else a weekday and time", () => {
    expect(resetsText(secs + 30, now)).toBe("in a minute");
    expect(resetsText(secs + 4 * 3600 + 29 * 60, now)).toBe("in 4 h 29 min");
    expect(resetsText(secs + 2 * 3600, now)).toBe("in 2 h");
    expect(resetsText(secs + 3 * 86_400, now)).toMatch(/^[A-Z][a-z]{2} \d\d:\d\d$/);
    expect(planText(plan(secs), now)).toMatch(/^5-hour: 78% left, resets in 4 h 29 min · Weekly: 68% left, resets /);
  });

  it("round what is left down and pick the tightest window", () => {
    expect(percentLeft({ used_percent: 0.4, window_minutes: 300, resets_at: null })).toBe(99);
    expect(percentLeft({ used_percent: 120, window_minutes: 300, resets_at: null })).toBe(0);
    expect(tightest(plan(secs))!.window_minutes).toBe(10_080);
  });

  it("count today from local midnight", () => {
    const start = startOfToday(now);
    expect(new Date(start * 1000).getHours()).toBe(0);
    expect(secs - start).toBeLessThan(86_400);
  });
});
