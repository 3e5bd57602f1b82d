import { describe, expect, it } from "vitest";
import { isFiltered, matchesFilter, NO_FILTER, toQuery } from "./logFilter";
import { liveRequest } from "./test/fixtures";

describe("the request log filter", () => {
  it("asks for everything when nothing is chosen", () => {
    expect(toQuery(NO_FILTER)).toEqual({
      user_id: null,
      status: null,
      model: null,
      endpoint: null,
      agent_session: null,
      before: null,
      limit: 50,
    });
    expect(isFiltered(NO_FILTER)).toBe(false);
  });

  it("passes the chosen values and the paging cursor", () => {
    const filter = { ...NO_FILTER, user: "ada", status: "429" };
    expect(toQuery(filter, "cursor-1")).toMatchObject({ user_id: "ada", status: "429", before: "cursor-1" });
    expect(isFiltered(filter)).toBe(true);
  });

  it("counts a new request only if the filtered list would show it", () => {
    const r = liveRequest("1", { status: 429, user_id: "ada", model: "gpt-4o" });
    expect(matchesFilter(r, NO_FILTER)).toBe(true);
    expect(matchesFilter(r, { ...NO_FILTER, status: "429", user: "ada" })).toBe(true);
    expect(matchesFilter(r, { ...NO_FILTER, status: "4xx" })).toBe(false);
    expect(matchesFilter(r, { ...NO_FILTER, model: "claude" })).toBe(false);
    expect(matchesFilter(r, { ...NO_FILTER, endpoint: "/v1/responses" })).toBe(false);
  });

  it("asks for one agent session's requests, and counts only that session's live ones", () => {
    const filter = { ...NO_FILTER, agentSession: "0190-s1" };
    expect(toQuery(filter)).toMatchObject({ agent_session: "0190-s1", user_id: null });
    expect(isFiltered(filter)).toBe(true);
    expect(matchesFilter(liveRequest("1"), filter)).toBe(false);
    expect(matchesFilter(liveRequest("2", { agent_session: "0190-s1" }), filter)).toBe(true);
    expect(matchesFilter(liveRequest("3", { agent_session: "0190-s2" }), filter)).toBe(false);
  });
});
