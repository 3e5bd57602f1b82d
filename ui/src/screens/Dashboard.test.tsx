import { afterEach, describe, expect, it, vi } from "vitest";
import type { ChartMaker } from "../components/Chart";
import { createLiveFeed } from "../liveFeed";
import type { Args } from "../test/backend";
import { clearMocks, everyday, fakeBackend, rejects } from "../test/backend";
import { $, $$, click, find, findText, mount, unmountAll } from "../test/dom";
import { costLine, dashboard, liveRequest, plan } from "../test/fixtures";
import type { Columns } from "../usage";
import { Dashboard } from "./Dashboard";

afterEach(() => {
  unmountAll();
  clearMocks();
});

/** Records what each chart was given instead of drawing it. */
function chartRecorder() {
  const drawn: Record<string, { data: Columns; series: string[] }> = {};
  const make: ChartMaker = (el, options, data) => {
    const series = options.series.slice(1).map((s) => String(s.label));
    drawn[el.id] = { data, series };
    return {
      setData: (next) => (drawn[el.id] = { data: next, series }),
      setSize: () => {},
      destroy: () => {},
    };
  };
  return { drawn, make };
}

function show(url: string | null = "http://127.0.0.1:18789") {
  const live = createLiveFeed();
  const charts = chartRecorder();
  mount(<Dashboard live={live} url={url} onSetup={() => {}} makeChart={charts.make} />);
  return { live, drawn: charts.drawn };
}

describe("the dashboard", () => {
  it("shows the totals, the outcomes and the splits of the range", async () => {
    fakeBackend(everyday());
    show();
    await findText("#total-requests", "12");
    expect($("#total-requests")!.textContent).toBe("12");
    expect($("#total-tokens")!.textContent).toBe("650");
    const outcomes = $$("#status-breakdown tr").map((tr) => [
      tr.querySelector("th")!.textContent,
      tr.querySelector(".num")!.textContent,
    ]);
    expect(outcomes).toEqual([
      ["2xx", "9"],
      ["4xx", "1"],
      ["429", "1"],
      ["402", "0"],
      ["5xx", "1"],
    ]);
    expect($("#by-model")!.textContent).toContain("gpt-4o-mini");
    expect($("#by-user")!.textContent).toContain("ada");
    expect($("#month-usage")!.textContent).toBe("This month: 40 requests, no cap");
    expect($("#month-usage [role=progressbar]")).toBeNull();
  });

  it("hands the charts the buckets as time columns", async () => {
    fakeBackend(everyday());
    const { drawn } = show();
    await find("#chart-latency");
    await vi.waitFor(() =>
      expect(Object.keys(drawn).sort()).toEqual(["chart-cost", "chart-latency", "chart-requests", "chart-tokens"]),
    );
    const xs = dashboard().buckets.map((b) => b.start);
    expect(drawn["chart-requests"]!.data).toEqual([xs, [3, 0, 5, 4]]);
    expect(drawn["chart-tokens"]!.series).toEqual(["Reported by the provider", "Estimated"]);
    expect(drawn["chart-tokens"]!.data).toEqual([xs, [300, 0, 200, 100], [0, 0, 50, 0]]);
    expect(drawn["chart-latency"]!.data).toEqual([xs, [400, null, 350, 500], [900, null, 1200, 800]]);
    expect(drawn["chart-cost"]!.series).toEqual(["Spent (API keys)", "Covered by your plan or the hosted ClawBox"]);
    expect(drawn["chart-cost"]!.data).toEqual([xs, [0.5, 0, 0.25, 0], [0, 0, 0.75, 0]]);
  });

  it("says today's requests, tokens, money and what is left of the plan", async () => {
    const now = Math.floor(Date.now() / 1000);
    const backend = fakeBackend({ ...everyday(), plan_limits: () => plan(now) });
    show();
    await findText("#today-spent", "$1.23");
    expect($("#today-requests")!.textContent).toBe("42 requests");
    expect($("#today-tokens")!.textContent).toBe("12,345");
    expect($("#today")!.textContent).toContain("+ $0.5000 covered by your plan");
    // The tightest window: 68% left of the week beats 78% of the 5 hours.
    await findText("#today-plan", "68% left");
    expect($("#today-plan")!.nextElementSibling!.textContent).toBe("Weekly window");
    const windows = $$("#plan-limits .plan-window p").map((p) => p.textContent);
    expect(windows[0]).toBe("5-hour: 78% left, resets in 4 h 29 min");
    expect(windows[1]).toMatch(/^Weekly: 68% left, resets [A-Z][a-z]{2} \d\d:\d\d$/);
    expect($("#plan-limits h3")!.textContent).toBe("ChatGPT plan (plus)");
    // "Today" starts at the viewer's midnight.
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    expect(backend.argsOf("today_usage")[0]).toEqual({ from: midnight.getTime() / 1000 });
  });

  it("shows no plan without a sign-in, and money spent apart from what the plan covered", async () => {
    fakeBackend({
      ...everyday(),
      usage_dashboard: () =>
        dashboard({
          cost: costLine("total", { cost_usd: 2.5, plan_value_usd: 0.75, unpriced: 2 }),
          cost_by_client: [costLine("codex-acp", { requests: 3, plan_value_usd: 0.75 }), costLine("(other tools)", { cost_usd: 2.5, unpriced: 2 })],
          cost_by_day: [costLine("2023-11-13", { requests: 2, cost_usd: 1 }), costLine("2023-11-14", { requests: 1, cost_usd: 1.5 })],
          month: { month: "2023-11", user_id: "ada", requests: 40, tokens: 4000, cap: null, spent_usd: 8.5, budget_usd: 10 },
        }),
    });
    show();
    await findText("#total-cost", "$2.50");
    expect($("#plan-limits")).toBeNull();
    expect($("#today-plan")).toBeNull();
    const totals = $("#total-cost")!.parentElement!.textContent!;
    expect(totals).toContain("+ $0.7500 covered by your plan");
    expect(totals).toContain("2 requests with no price");
    const clients = $$("#cost-by-client tbody tr").map((tr) => tr.textContent);
    expect(clients[0]).toBe("codex-acp3–$0.7500");
    expect(clients[1]).toContain("2 with no price");
    expect($("#month-budget")!.textContent).toContain("This month, ada: $8.50 of the $10.00 budget spent through API keys");
    expect($("#month-budget [role=progressbar]")!.getAttribute("aria-valuenow")).toBe("85");
    expect($("#month-budget .bar")!.classList.contains("warn")).toBe(true);
    expect($("#price-source")!.textContent).toContain("litellm 1.104.5 (taken 2026-12-05)");
    expect($$("#cost-by-day tbody tr").map((tr) => tr.firstElementChild!.textContent)).toEqual(["2023-11-13", "2023-11-14"]);
  });

  it("asks for the chosen range and marks it pressed", async () => {
    const backend = fakeBackend({ ...everyday(), usage_dashboard: (a: Args) => dashboard({ range: String(a.range) }) });
    show();
    await find("#total-requests");
    expect(backend.argsOf("usage_dashboard")).toEqual([{ range: "24h" }]);
    expect($("#range-24h")!.getAttribute("aria-pressed")).toBe("true");

    await click("#range-7d");
    await vi.waitFor(() => expect(backend.argsOf("usage_dashboard").at(-1)).toEqual({ range: "7d" }));
    expect($("#range-7d")!.getAttribute("aria-pressed")).toBe("true");
    expect($("#range-24h")!.getAttribute("aria-pressed")).toBe("false");
    await click("#range-1h");
    await click("#range-30d");
    await vi.waitFor(() =>
      expect(backend.argsOf("usage_dashboard")).toEqual([{ range: "24h" }, { range: "7d" }, { range: "1h" }, { range: "30d" }]),
    );
  });

  it("shows the month against the cap with a bar", async () => {
    fakeBackend({
      ...everyday(),
      usage_dashboard: () => dashboard({ month: { month: "2023-11", user_id: "ada", requests: 95, tokens: 0, cap: 100, spent_usd: 0, budget_usd: null } }),
    });
    show();
    await findText("#month-usage", "This month, ada: 95 requests of 100");
    const bar = $("#month-usage [role=progressbar]")!;
    expect(bar.getAttribute("aria-valuenow")).toBe("95");
    expect(bar.classList.contains("warn")).toBe(true);
  });

  it("says where to point an agent when there are no requests", async () => {
    const empty = dashboard({
      requests: 0,
      tokens_reported: 0,
      tokens_estimated: 0,
      statuses: { ok: 0, client_error: 0, rate_limited: 0, over_cap: 0, server_error: 0 },
    });
    fakeBackend({ ...everyday(), usage_dashboard: () => empty });
    const { drawn } = show();
    await findText("#dashboard", "No requests yet — point an agent at http://127.0.0.1:18789");
    expect($("#chart-requests")).toBeNull();
    expect(drawn).toEqual({});
  });

  it("asks again when requests arrive, without a timer of its own", async () => {
    const backend = fakeBackend(everyday());
    const { live } = show();
    await find("#total-requests");
    expect(backend.count("usage_dashboard")).toBe(1);
    live.publish([liveRequest("1")]);
    await vi.waitFor(() => expect(backend.count("usage_dashboard")).toBe(2));
    await new Promise((r) => setTimeout(r, 50));
    expect(backend.count("usage_dashboard")).toBe(2);
  });

  it("shows the backend's error and tries again on request", async () => {
    const backend = fakeBackend({ ...everyday(), usage_dashboard: rejects("store", "The usage database can't be read.") });
    show();
    await findText("#dashboard [role=alert]", "The usage database can't be read.");
    backend.on({ usage_dashboard: () => dashboard() });
    await click("#dashboard [role=alert] button");
    await findText("#total-requests", "12");
    expect($("#dashboard [role=alert]")).toBeNull();
  });
});
