import { describe, expect, it } from "vitest";
import { checkSummary, connectionLabel, TOOLS } from "./tools";

describe("tools", () => {
  it("names each kind of connected file", () => {
    expect(["env", "codex", "claude", "openclaw"].map(connectionLabel)).toEqual([
      ".env",
      "Codex CLI",
      "Claude Code",
      "OpenClaw",
    ]);
    expect(connectionLabel("zed")).toBe("zed");
    expect(TOOLS.map((t) => t.kind)).toEqual(["codex", "claude", "openclaw"]);
  });

  it("sums a check up in one line", () => {
    const step = (ok: boolean) => ({ ok, title: "t", detail: "", fix: null });
    expect(checkSummary({ ready: true, steps: [step(true)] })).toBe("All is well");
    expect(checkSummary({ ready: false, steps: [step(true), step(false)] })).toBe("1 check failed");
    expect(checkSummary({ ready: false, steps: [step(false), step(false), step(false)] })).toBe("3 checks failed");
    expect(checkSummary({ ready: false, steps: [] })).toBe("Not all checks passed");
  });
});
