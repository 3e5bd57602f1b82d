import { describe, expect, it } from "vitest";
import { answerButtons, outcomeText } from "./permission";

describe("permission answers", () => {
  it("come in a fixed order, only those offered, both rejections as one Reject", () => {
    const buttons = answerButtons([
      { kind: "reject_once", name: "No" },
      { kind: "allow_always", name: "Always" },
      { kind: "reject_always", name: "Never" },
      { kind: "allow_once", name: "Yes" },
    ]);
    expect(buttons).toEqual([
      { answer: "allow_once", label: "Allow once" },
      { answer: "allow_always", label: "Always for this session" },
      { answer: "reject", label: "Reject" },
    ]);
    expect(answerButtons([{ kind: "allow_once", name: "Yes" }]).map((b) => b.answer)).toEqual(["allow_once"]);
    expect(answerButtons([])).toEqual([]);
  });

  it("say who answered and how", () => {
    expect(outcomeText({ outcome: "allow_once", by: "person" })).toBe("Allowed once");
    expect(outcomeText({ outcome: "allow_always", by: "person" })).toBe("Always allowed for this session");
    expect(outcomeText({ outcome: "reject_once", by: "person" })).toBe("Rejected");
    expect(outcomeText({ outcome: "reject_once", by: "clawbox" })).toBe(
      "Rejected by ClawBox: outside the project folder",
    );
    expect(outcomeText({ outcome: "allow_once", by: "setting" })).toBe("Answered by your setting: allowed once");
    expect(outcomeText({ outcome: "cancelled", by: "person" })).toContain("stopped waiting");
  });
});
