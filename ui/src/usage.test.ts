import { describe, expect, it } from "vitest";
import { formatCount } from "./format";
import { dashboard } from "./test/fixtures";
import { latencyColumns, monthSummary, requestColumns, statusRows, tokenColumns } from "./usage";

describe("what the dashboard draws", () => {
  const d = dashboard();
  const xs = d.buckets.map((b) => b.start);

  it("plots requests per bucket against the bucket start (unix seconds)", () => {
    expect(requestColumns(d)).toEqual([xs, [3, 0, 5, 4]]);
  });

  it("plots reported and estimated tokens as two series", () => {
    expect(tokenColumns(d)).toEqual([xs, [300, 0, 200, 100], [0, 0, 50, 0]]);
  });

  it("leaves a gap in latency where a bucket had no requests", () => {
    expect(latencyColumns(d)).toEqual([xs, [400, null, 350, 500], [900, null, 1200, 800]]);
  });

  it("lists outcomes by status class", () => {
    expect(statusRows(d).map((r) => [r.label, r.count])).toEqual([
      ["2xx", 9],
      ["4xx", 1],
      ["429", 1],
      ["402", 0],
      ["5xx", 1],
    ]);
  });

  it("says the month's usage against the cap, or that there is none", () => {
    expect(monthSummary(d, formatCount)).toEqual({ text: "This month: 40 requests, no cap", fraction: null });
    const capped = dashboard({ month: { month: "2023-11", user_id: "ada", requests: 1500, tokens: 0, cap: 1000, spent_usd: 0, budget_usd: null } });
    expect(monthSummary(capped, formatCount)).toEqual({ text: "This month, ada: 1,500 requests of 1,000", fraction: 1 });
  });
});
