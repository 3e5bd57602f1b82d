import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../../ipc";
import { EMPTY, reduceAll, waiting, type Item } from "./conversation";

const started: AgentEvent = {
  type: "started",
  agent: "claude",
  agent_info: "claude-code-acp 0.16.2",
  acp_session: "acp-1",
  resumed: false,
  resumable: true,
  commands: "asks",
};

const kinds = (items: Item[]) => items.map((i) => i.kind);

function tool(id: string) {
  return { type: "tool_call" as const, id, new: true, title: null, kind: null, status: null, content: [], paths: [] };
}

describe("the conversation model", () => {
  it("keeps the agent's account of itself and shows nothing for it", () => {
    const c = reduceAll(EMPTY, [started]);
    expect(c.started).toEqual(started);
    expect(c.items).toEqual([]);
  });

  it("joins consecutive chunks into one answer, and starts a new one after something else", () => {
    const c = reduceAll(EMPTY, [
      { type: "prompted", text: "Add a line" },
      { type: "thought", text: "The person " },
      { type: "thought", text: "wants a line." },
      { type: "message", text: "I'll " },
      { type: "message", text: "add it." },
      { ...tool("t1"), title: "Write notes.txt", kind: "edit", status: "pending" },
      { type: "message", text: "Done." },
    ]);
    expect(kinds(c.items)).toEqual(["you", "thought", "message", "tool", "message"]);
    expect(c.items[1]).toMatchObject({ text: "The person wants a line." });
    expect(c.items[2]).toMatchObject({ text: "I'll add it." });
    expect(c.items[4]).toMatchObject({ text: "Done." });
    // Keys stay with their items: a growing answer is the same item.
    expect(new Set(c.items.map((i) => i.key)).size).toBe(5);
  });

  it("is busy from the person's message until its turn ends", () => {
    let c = reduceAll(EMPTY, [started, { type: "prompted", text: "Hi" }]);
    expect(c.busy).toBe(true);
    c = reduceAll(c, [{ type: "message", text: "Hello" }, { type: "turn_ended", stop_reason: "end_turn" }]);
    expect(c.busy).toBe(false);
    expect(c.turns).toBe(1);
    // A normal end needs no line.
    expect(kinds(c.items)).toEqual(["you", "message"]);
  });

  it("notes a stopped turn", () => {
    const c = reduceAll(EMPTY, [{ type: "prompted", text: "Hi" }, { type: "turn_ended", stop_reason: "cancelled" }]);
    expect(c.items.at(-1)).toMatchObject({ kind: "turn_ended", reason: "cancelled" });
    expect(c.busy).toBe(false);
  });

  it("takes back a message that could not be sent", () => {
    const c = reduceAll(EMPTY, [{ type: "prompted", text: "Hi" }, { type: "prompt_failed" }]);
    expect(c.items).toEqual([]);
    expect(c.busy).toBe(false);
  });

  it("replays a reopened session's messages without making it busy", () => {
    const c = reduceAll(EMPTY, [
      { ...started, resumed: true } as AgentEvent,
      { type: "user_message", text: "Add " },
      { type: "user_message", text: "a line" },
      { type: "message", text: "Done." },
    ]);
    expect(c.items).toMatchObject([
      { kind: "you", text: "Add a line" },
      { kind: "message", text: "Done." },
    ]);
    expect(c.busy).toBe(false);
  });

  it("updates a tool call in place by its id: only fields that came replace", () => {
    const c = reduceAll(EMPTY, [
      { ...tool("t1"), title: "Run tests", kind: "execute", status: "pending", paths: ["/p/a"] },
      { ...tool("t2"), title: "Read b", kind: "read", status: "completed" },
      {
        type: "tool_call",
        id: "t1",
        new: false,
        title: null,
        kind: null,
        status: "in_progress",
        content: [{ type: "terminal", id: "term", output: "running 3 tests" }],
        paths: [],
      },
      { type: "tool_call", id: "t1", new: false, title: null, kind: null, status: "completed", content: [], paths: [] },
    ]);
    expect(kinds(c.items)).toEqual(["tool", "tool"]);
    expect(c.items[0]).toMatchObject({
      kind: "tool",
      call: {
        id: "t1",
        title: "Run tests",
        kind: "execute",
        status: "completed",
        content: [{ type: "terminal", output: "running 3 tests" }],
        paths: ["/p/a"],
      },
    });
    expect(c.items[0]!.key).toBe(0);
  });

  it("keeps one plan, replaced by each new one where it stands", () => {
    const c = reduceAll(EMPTY, [
      { type: "plan", entries: [{ content: "Read", status: "in_progress" }] },
      { type: "message", text: "Reading." },
      {
        type: "plan",
        entries: [
          { content: "Read", status: "completed" },
          { content: "Write", status: "in_progress" },
        ],
      },
    ]);
    expect(kinds(c.items)).toEqual(["plan", "message"]);
    expect(c.items[0]).toMatchObject({ entries: [{ status: "completed" }, { content: "Write" }] });
  });

  it("waits for a permission answer and records who gave it", () => {
    const ask: AgentEvent = {
      type: "permission",
      request: 7,
      tool_call_id: "t1",
      title: "Write notes.txt",
      kind: "edit",
      paths: ["/p/notes.txt"],
      command: null,
      diff: null,
      options: [{ kind: "allow_once", name: "Allow" }],
    };
    let c = reduceAll(EMPTY, [ask]);
    expect(waiting(c).map((a) => a.request)).toEqual([7]);
    c = reduceAll(c, [{ type: "permission_answered", request: 7, outcome: "allow_once", by: "person" }]);
    expect(waiting(c)).toEqual([]);
    expect(c.items[0]).toMatchObject({ kind: "permission", answered: { outcome: "allow_once", by: "person" } });
    // An answer to a request never shown changes nothing.
    expect(reduceAll(c, [{ type: "permission_answered", request: 99, outcome: "reject_once", by: "clawbox" }])).toBe(c);
  });

  it("lists files read in a row on one line, once each", () => {
    const c = reduceAll(EMPTY, [
      { type: "file_read", path: "/p/a" },
      { type: "file_read", path: "/p/b" },
      { type: "file_read", path: "/p/a" },
      { type: "file_written", path: "/p/a", diff: { unified: "+x\n", added: 1, removed: 0 } },
      { type: "file_read", path: "/p/c" },
    ]);
    expect(c.items).toMatchObject([
      { kind: "read", paths: ["/p/a", "/p/b"] },
      { kind: "written", path: "/p/a", diff: { added: 1 } },
      { kind: "read", paths: ["/p/c"] },
    ]);
  });

  it("keeps refusals, notices, errors and the context usage", () => {
    const c = reduceAll(EMPTY, [
      { type: "refused", what: "read", path: "/etc/passwd", reason: "outside the project folder" },
      { type: "notice", message: "A line that is not ACP" },
      { type: "error", message: "The model call failed" },
      { type: "usage", used: 1000, size: 200000 },
      { type: "usage", used: 3000, size: 200000 },
    ]);
    expect(kinds(c.items)).toEqual(["refused", "notice", "error"]);
    expect(c.usage).toEqual({ used: 3000, size: 200000 });
  });

  it("ends with the agent: not busy, and no question left waiting", () => {
    const c = reduceAll(EMPTY, [
      { type: "prompted", text: "Go" },
      {
        type: "permission",
        request: 1,
        tool_call_id: "t",
        title: "Run ls",
        kind: "execute",
        paths: [],
        command: "ls",
        diff: null,
        options: [],
      },
      { type: "exited", code: 1, closed: false, stderr: "boom" },
    ]);
    expect(c.busy).toBe(false);
    expect(c.exited).toMatchObject({ code: 1, stderr: "boom" });
    expect(waiting(c)).toEqual([]);
    expect(c.items.at(-1)).toMatchObject({ kind: "exited", closed: false, stderr: "boom" });
  });
});

describe("commands ClawBox ran", () => {
  it("shows a command's output in its card, whether it ends before or after the card names it", () => {
    const call = {
      type: "tool_call" as const,
      id: "t1",
      new: false,
      title: "Run the command",
      kind: "execute",
      status: "in_progress",
      content: [{ type: "terminal" as const, id: "term-1", output: "" }],
      paths: [],
    };
    const early = reduceAll(EMPTY, [
      { type: "terminal_output", id: "term-1", output: "ran-it\n", truncated: false, exit_code: 0 },
      call,
    ]);
    const late = reduceAll(EMPTY, [
      call,
      { type: "terminal_output", id: "term-1", output: "oops\n", truncated: true, exit_code: 2 },
    ]);
    const output = (c: typeof early) => {
      const item = c.items[0];
      return item?.kind === "tool" && item.call.content[0]?.type === "terminal" ? item.call.content[0].output : null;
    };
    expect(output(early)).toBe("ran-it\n");
    expect(output(late)).toBe("(earlier output cut)\noops\n\n(exit code 2)");
  });
});
