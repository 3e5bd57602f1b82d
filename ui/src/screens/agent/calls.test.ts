import { describe, expect, it } from "vitest";
import { logRow } from "../../test/fixtures";
import { callsLine, sessionQuery } from "./calls";

describe("a session's model calls", () => {
  it("are asked for by session", () => {
    expect(sessionQuery("s1")).toEqual({
      user_id: null,
      status: null,
      model: null,
      endpoint: null,
      agent_session: "s1",
      before: null,
      limit: 500,
    });
  });

  it("are counted with their tokens", () => {
    const rows = [logRow("a", { tokens: 1000 }), logRow("b", { tokens: 200 }), logRow("c", { tokens: 34 })];
    expect(callsLine({ rows, next: null })).toBe("This session: 3 model calls · 1,234 tokens");
    expect(callsLine({ rows: rows.slice(0, 1), next: null })).toBe("This session: 1 model call · 1,000 tokens");
    expect(callsLine({ rows: [], next: null })).toBe("This session: 0 model calls · 0 tokens");
  });

  it("say when some tokens are estimated, or there are more than were counted", () => {
    const rows = [logRow("a", { tokens: 10, tokens_source: "estimated" })];
    expect(callsLine({ rows, next: null })).toBe("This session: 1 model call · 10 tokens (partly estimated)");
    expect(callsLine({ rows: [logRow("a", { tokens: 10 })], next: "cursor" })).toBe(
      "This session: 1+ model calls · 10+ tokens",
    );
  });
});
