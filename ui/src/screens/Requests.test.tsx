import { afterEach, describe, expect, it, vi } from "vitest";
import type { LogQuery } from "../ipc";
import { createLiveFeed } from "../liveFeed";
import type { Args } from "../test/backend";
import { clearMocks, everyday, fakeBackend } from "../test/backend";
import { $, $$, choose, click, find, findText, mount, unmountAll } from "../test/dom";
import { liveRequest, logRow } from "../test/fixtures";
import type { RequestDetail } from "../ipc";
import { Requests } from "./Requests";

afterEach(() => {
  unmountAll();
  clearMocks();
});

const FACETS = { users: ["ada", "grace"], models: ["gpt-4o-mini", "claude-sonnet"], endpoints: ["/v1/chat/completions"] };

const FIRST = [
  logRow("r3", { tokens: 1200, tokens_source: "estimated" }),
  logRow("r2", { status: 429, error: "rate_limited", failover: true, mode: "hosted", upstream: "local" }),
];
const SECOND = [logRow("r1")];

function log() {
  return fakeBackend({
    ...everyday(),
    log_facets: () => FACETS,
    request_log: (a: Args) => {
      const q = a.query as LogQuery;
      return q.before === "cursor-r2" ? { rows: SECOND, next: null } : { rows: FIRST, next: "cursor-r2" };
    },
    export_log_csv: () => ({ path: "/home/ada/Downloads/clawbox-requests.csv", rows: 3 }),
  });
}

const queries = (backend: ReturnType<typeof log>) => backend.argsOf("request_log").map((a) => a.query as LogQuery);
const ids = () => $$("#requests-table tbody tr").map((tr) => tr.dataset.id);

describe("a request's detail", () => {
  const detail = (id: string): RequestDetail => ({
    row: logRow(id, {
      client: "claude-code-acp",
      agent_session: "sess-1",
      prompt_tokens: 21_100,
      cached_tokens: 20_000,
      cache_write_tokens: 1_000,
      completion_tokens: 300,
      reasoning_tokens: null,
      cost_usd: 0.01455,
      model: "claude-sonnet-4-5",
      upstream: "anthropic",
    }),
    price: {
      price: { input: 3, cached_input: 0.3, cache_write: 3.75, output: 15 },
      source: "litellm 1.104.5 (taken 2026-12-05)",
    },
  });

  it("opens beside the log on a click with everything recorded, and closes", async () => {
    const backend = log();
    backend.on({ request_detail: (a: Args) => detail(String(a.id)) });
    mount(<Requests live={createLiveFeed()} />);
    await find("#requests-table");
    // The cost column says who pays.
    expect($$("#requests-table td.cost").map((td) => td.textContent)).toEqual(["$0.0005", "$0.0005"]);
    await click('#requests-table tr[data-id="r2"]');
    await findText("#detail-cost", "$0.0146");
    expect(backend.argsOf("request_detail")).toEqual([{ id: "r2" }]);
    expect($('#requests-table tr[data-id="r2"]')!.getAttribute("aria-selected")).toBe("true");
    expect($("#detail-input")!.textContent).toBe("21,100");
    expect($("#detail-cached")!.textContent).toBe("20,000");
    expect($("#detail-cache-write")!.textContent).toBe("1,000");
    expect($("#detail-reasoning")!.textContent).toBe("—");
    expect($("#detail-billing")!.textContent).toBe("your API key (money spent)");
    expect($("#detail-price")!.textContent).toBe(
      "$3.00 in · $0.300 cached · $3.75 cache write · $15.00 out per 1M tokens, from litellm 1.104.5 (taken 2026-12-05) (today's price)",
    );
    expect($("#detail-upstream-id")!.textContent).toBe("req_abc123");
    expect($("#request-detail")!.textContent).toContain("claude-code-acp");
    await click("#request-detail-close");
    expect($("#request-detail")).toBeNull();
  });

  it("says plainly when a model has no price, and when the plan covered it", async () => {
    const backend = log();
    backend.on({
      request_log: () => ({
        rows: [
          logRow("p", { billing: "plan", cost_usd: 0.0002 }),
          logRow("n", { cost_usd: null }),
          logRow("l", { billing: "local", cost_usd: 0 }),
        ],
        next: null,
      }),
      request_detail: () => ({ row: logRow("n", { cost_usd: null, model: "mystery" }), price: null }),
    });
    mount(<Requests live={createLiveFeed()} />);
    await find("#requests-table");
    expect($$("#requests-table td.cost").map((td) => td.textContent)).toEqual([
      "$0.0002 covered by your plan",
      "no price",
      "free (local)",
    ]);
    await click('#requests-table tr[data-id="n"]');
    await findText("#detail-price", "no known price for this model");
    expect($("#detail-cost")!.textContent).toBe("no price");
  });
});

describe("the request log", () => {
  it("lists the newest requests first, one row per request", async () => {
    const backend = log();
    mount(<Requests live={createLiveFeed()} />);
    await find("#requests-table");
    expect(ids()).toEqual(["r3", "r2"]);
    expect(queries(backend)).toEqual([
      { user_id: null, status: null, model: null, endpoint: null, agent_session: null, before: null, limit: 50 },
    ]);
    const [estimated, limited] = $$("#requests-table tbody tr");
    expect(estimated!.textContent).toContain("1,200 est.");
    expect(estimated!.textContent).toContain("POST /v1/chat/completions");
    expect(limited!.textContent).toContain("429");
    expect(limited!.textContent).toContain("hosted → local");
    expect(limited!.querySelector(".tag.warn")!.textContent).toBe("failover");
  });

  it("filters through the backend, one dropdown at a time", async () => {
    const backend = log();
    mount(<Requests live={createLiveFeed()} />);
    await findText("#filter-user", "grace");
    expect($$("#filter-status option").map((o) => o.textContent)).toEqual(["All", "2xx", "4xx", "429", "402", "5xx"]);

    await choose("#filter-status", "429");
    await vi.waitFor(() => expect(queries(backend).at(-1)).toMatchObject({ status: "429", before: null }));
    await choose("#filter-user", "grace");
    await choose("#filter-model", "claude-sonnet");
    await choose("#filter-endpoint", "/v1/chat/completions");
    await vi.waitFor(() =>
      expect(queries(backend).at(-1)).toEqual({
        user_id: "grace",
        status: "429",
        model: "claude-sonnet",
        endpoint: "/v1/chat/completions",
        agent_session: null,
        before: null,
        limit: 50,
      }),
    );
    await choose("#filter-user", "");
    await vi.waitFor(() => expect(queries(backend).at(-1)).toMatchObject({ user_id: null, status: "429" }));
  });

  it("loads more with the cursor of the last page and appends", async () => {
    const backend = log();
    mount(<Requests live={createLiveFeed()} />);
    await find("#requests-table");
    await click("#requests-more");
    await vi.waitFor(() => expect(ids()).toEqual(["r3", "r2", "r1"]));
    expect(queries(backend).at(-1)).toMatchObject({ before: "cursor-r2" });
    // The last page has no cursor: nothing more to load.
    expect($("#requests-more")).toBeNull();
  });

  it("counts new requests instead of moving the list, and shows them on request", async () => {
    const backend = log();
    const live = createLiveFeed();
    mount(<Requests live={live} />);
    await find("#requests-table");
    live.publish([liveRequest("n1"), liveRequest("n2")]);
    await findText("#requests-new", "2 new requests — show");
    expect(backend.count("request_log")).toBe(1);

    await click("#requests-new");
    await vi.waitFor(() => expect(backend.count("request_log")).toBe(2));
    await vi.waitFor(() => expect($("#requests-new")).toBeNull());
  });

  it("doesn't count new requests the filter hides", async () => {
    const backend = log();
    const live = createLiveFeed();
    mount(<Requests live={live} />);
    await findText("#filter-status", "5xx");
    await choose("#filter-status", "5xx");
    await vi.waitFor(() => expect(queries(backend).at(-1)).toMatchObject({ status: "5xx" }));
    await findText("#requests-more", "Load more");
    live.publish([liveRequest("ok", { status: 200 }), liveRequest("bad", { status: 502 })]);
    await findText("#requests-new", "1 new request — show");
  });

  it("exports the current filter to CSV and says where", async () => {
    const backend = log();
    mount(<Requests live={createLiveFeed()} />);
    await findText("#filter-user", "ada");
    await choose("#filter-user", "ada");
    await click("#export-csv");
    await findText("#export-result", "Exported 3 rows to /home/ada/Downloads/clawbox-requests.csv");
    expect(backend.argsOf("export_log_csv")[0]!.query).toMatchObject({ user_id: "ada", before: null });
  });

  it("shows one agent session's requests as a chip that clears back to all", async () => {
    const backend = log();
    backend.on({
      request_log: (a: Args) =>
        (a.query as LogQuery).agent_session
          ? { rows: [logRow("a1", { client: "claude-code-acp", agent_session: "s1" })], next: null }
          : { rows: FIRST, next: null },
    });
    const cleared = vi.fn();
    const live = createLiveFeed();
    mount(
      <Requests live={live} agentSession={{ id: "s1", title: "Claude Code in notes" }} onClearAgentSession={cleared} />,
    );
    await findText("#filter-agent-session", "Agent session Claude Code in notes");
    await vi.waitFor(() => expect(ids()).toEqual(["a1"]));
    expect(queries(backend)).toEqual([
      { user_id: null, status: null, model: null, endpoint: null, agent_session: "s1", before: null, limit: 50 },
    ]);
    // Which program made the call.
    expect($("#requests-table tbody tr")!.textContent).toContain("claude-code-acp");
    // The live feed cannot tell which session a request came from: nothing is counted as new.
    live.publish([liveRequest("n1")]);
    expect($("#requests-new")).toBeNull();

    await click("#filter-agent-session-clear");
    await vi.waitFor(() => expect(ids()).toEqual(["r3", "r2"]));
    expect(queries(backend).at(-1)).toMatchObject({ agent_session: null });
    expect($("#filter-agent-session")).toBeNull();
    expect(cleared).toHaveBeenCalledTimes(1);
  });

  it("says so when nothing matches", async () => {
    fakeBackend({ ...everyday(), request_log: () => ({ rows: [], next: null }) });
    mount(<Requests live={createLiveFeed()} />);
    await findText("#requests", "No requests yet.");
    expect($("#requests-table")).toBeNull();
  });
});
