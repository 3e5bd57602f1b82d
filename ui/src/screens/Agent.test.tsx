import { afterEach, describe, expect, it, vi } from "vitest";
import { act } from "preact/test-utils";
import { App } from "../App";
import type { AgentEvent, AgentInfo, AgentsView, LogQuery, SessionRecord } from "../ipc";
import type { Args } from "../test/backend";
import { clearMocks, emitEvent, everyday, fakeBackend, rejects } from "../test/backend";
import { $, $$, choose, click, find, findText, findValue, mount, press, type, unmountAll } from "../test/dom";
import { logRow } from "../test/fixtures";

afterEach(() => {
  unmountAll();
  clearMocks();
});

const CLAUDE: AgentInfo = {
  name: "claude",
  title: "Claude Code",
  known: true,
  installed: true,
  command: "/data/agents/claude/node_modules/.bin/claude-code-acp",
  problem: null,
};
const CODEX: AgentInfo = {
  name: "codex",
  title: "Codex",
  known: true,
  installed: false,
  command: "@zed-industries/codex-acp@0.16.0 (not installed)",
  problem: "Codex is not installed yet: install it here first.",
};
const CUSTOM: AgentInfo = {
  name: "my-agent",
  title: "my-agent",
  known: false,
  installed: false,
  command: "my-agent --acp",
  problem: "my-agent was not found on this computer",
};

const PROJECT = "/home/ada/notes";

function record(over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: "s1",
    agent: "claude",
    project: PROJECT,
    title: "Claude Code in notes",
    acp_session: "acp-1",
    resumable: true,
    created_at: 1_700_000_000,
    updated_at: 1_700_000_000,
    ...over,
  };
}

function view(over: Partial<AgentsView> = {}): AgentsView {
  return { agents: [CLAUDE, CODEX, CUSTOM], projects: [PROJECT, "/home/ada/old"], sessions: [], ...over };
}

const STARTED: AgentEvent = {
  type: "started",
  agent: "claude",
  agent_info: "claude-code-acp 0.16.2",
  acp_session: "acp-1",
  resumed: false,
  resumable: true,
  commands: "asks",
};

function backend(more: Record<string, (a: Args) => unknown> = {}) {
  return fakeBackend({
    ...everyday(),
    agents: () => view(),
    start_agent: () => record(),
    agent_prompt: () => null,
    agent_cancel: () => null,
    agent_answer: () => true,
    close_agent: () => null,
    choose_folder: () => "/home/ada/other",
    ...more,
  });
}

function events(...list: AgentEvent[]): Promise<void> {
  return emitEvent("agent-events", { session: "s1", events: list });
}

/** Opens the Agent screen and starts Claude Code in the most recent folder. */
async function started(b: ReturnType<typeof backend>): Promise<void> {
  mount(<App />);
  await click("#nav-agent");
  await findValue("#agent-folder", PROJECT);
  await click("#agent-start");
  await find("#agent-conversation");
  await events(STARTED);
  await findText("#agent-runs", "Claude Code asks you before it changes a file or runs a command.");
  expect(b.argsOf("start_agent")).toEqual([{ agent: "claude", project: PROJECT, resume: null }]);
}

async function send(text: string): Promise<void> {
  await type("#agent-prompt", text);
  press($("#agent-prompt")!, "Enter");
}

function keydown(el: Element, key: string, shiftKey = false): KeyboardEvent {
  const e = new KeyboardEvent("keydown", { key, shiftKey, bubbles: true, cancelable: true });
  act(() => {
    el.dispatchEvent(e);
  });
  return e;
}

describe("the Agent screen", () => {
  it("lists the agents, says why one cannot run, and installs it with npm's progress shown", async () => {
    let finish: ((list: AgentInfo[]) => void) | null = null;
    const b = backend({ install_agent: () => new Promise((resolve) => (finish = resolve)) });
    mount(<App />);
    await click("#nav-agent");
    await findText("#agent-pick", "Codex (not installed)");
    expect($$("#agent-pick option").map((o) => o.textContent)).toEqual([
      "Claude Code",
      "Codex (not installed)",
      "my-agent (not installed)",
    ]);
    // The first installed agent and the most recent folder, ready to start.
    expect(($("#agent-pick") as HTMLSelectElement).value).toBe("claude");
    expect($$("#agent-folders option").map((o) => (o as HTMLOptionElement).value)).toEqual([PROJECT, "/home/ada/old"]);
    expect($("#agent-problem")).toBeNull();

    // A custom agent that is not there: why, and nothing to install.
    await choose("#agent-pick", "my-agent");
    await findText("#agent-problem", "my-agent was not found on this computer");
    expect($("#agent-install")).toBeNull();
    expect(($("#agent-start") as HTMLButtonElement).disabled).toBe(true);

    await choose("#agent-pick", "codex");
    await findText("#agent-problem", "Codex is not installed yet");
    await findText("#agent-install", "Install Codex");
    await click("#agent-install");
    await vi.waitFor(() => expect(finish).not.toBeNull());
    expect(b.argsOf("install_agent")).toEqual([{ name: "codex" }]);
    const log = await find("#agent-install-log");
    expect(log.getAttribute("aria-live")).toBe("polite");
    await emitEvent("agent-install", { agent: "codex", line: "added 12 packages in 3s" });
    await emitEvent("agent-install", { agent: "claude", line: "another agent's line" });
    await emitEvent("agent-install", { agent: "codex", line: "done" });
    await findText("#agent-install-log", "done");
    expect($("#agent-install-log")!.textContent).toBe("added 12 packages in 3s\ndone");

    finish!([CLAUDE, { ...CODEX, installed: true, problem: null }, CUSTOM]);
    await vi.waitFor(() => expect($("#agent-install")).toBeNull());
    expect($("#agent-pick")!.textContent).toContain("Codex");
    expect($("#agent-pick")!.textContent).not.toContain("Codex (not installed)");
    await findText("#agent-start", "Start Codex");
    expect(($("#agent-start") as HTMLButtonElement).disabled).toBe(false);
  });

  it("says why an installation failed", async () => {
    backend({ install_agent: rejects("install", "npm is not installed: install Node.js first.") });
    mount(<App />);
    await click("#nav-agent");
    await choose("#agent-pick", "codex");
    await click("#agent-install");
    await findText("#agent [role=alert]", "npm is not installed: install Node.js first.");
  });

  it("takes a folder from the picker, and says why a session could not start", async () => {
    const b = backend({ start_agent: rejects("agent_start", "the project folder /home/ada/other: cannot open it") });
    mount(<App />);
    await click("#nav-agent");
    await click("#agent-choose-folder");
    await findValue("#agent-folder", "/home/ada/other");
    await click("#agent-start");
    await findText("#agent [role=alert]", "the project folder /home/ada/other: cannot open it");
    expect(b.argsOf("start_agent")).toEqual([{ agent: "claude", project: "/home/ada/other", resume: null }]);
    expect($("#agent-conversation")).toBeNull();
  });

  it("lists the folder's sessions and resumes one through the agent", async () => {
    const b = backend({
      agents: () =>
        view({
          sessions: [
            { record: record({ id: "s1", updated_at: 1_700_000_500 }), running: false },
            { record: record({ id: "s0", resumable: false, title: "Codex in notes", agent: "codex" }), running: false },
            { record: record({ id: "elsewhere", project: "/home/ada/old" }), running: false },
          ],
        }),
    });
    mount(<App />);
    await click("#nav-agent");
    await find("#agent-sessions");
    const rows = $$("#agent-sessions li");
    expect(rows.map((r) => r.dataset.session)).toEqual(["s1", "s0"]);
    expect(rows[0]!.textContent).toContain("Claude Code in notes");
    expect(rows[1]!.textContent).toContain("ended");
    expect(rows[1]!.querySelector("button")).toBeNull();

    await click("#agent-sessions li[data-session=s1] .agent-resume");
    await find("#agent-conversation");
    expect(b.argsOf("start_agent")).toEqual([{ agent: "claude", project: PROJECT, resume: "s1" }]);
    // The agent replays what was said before.
    await events(
      { ...STARTED, resumed: true } as AgentEvent,
      { type: "user_message", text: "Add a line" },
      { type: "message", text: "Added." },
    );
    await findText("#agent-conversation .agent-you", "Add a line");
    await findText("#agent-runs", "Reopened");
  });

  it("streams the answer into one message, and waits for the turn to end before the next", async () => {
    const b = backend();
    await started(b);
    expect(document.activeElement).toBe($("#agent-prompt"));
    await send("Add a line to notes.txt");
    await findText("#agent-conversation .agent-you", "Add a line to notes.txt");
    expect(b.argsOf("agent_prompt")).toEqual([{ session: "s1", text: "Add a line to notes.txt" }]);
    expect(($("#agent-prompt") as HTMLTextAreaElement).value).toBe("");
    await find("#agent-stop");
    expect(($("#agent-send") as HTMLButtonElement).disabled).toBe(true);

    await events({ type: "thought", text: "A small " }, { type: "thought", text: "change." });
    await events({ type: "message", text: "I'll add " }, { type: "message", text: "the line." });
    await events({ type: "message", text: " Done." }, { type: "usage", used: 50_000, size: 200_000 });
    await findText("#agent-conversation .agent-message", "I'll add the line. Done.");
    expect($$("#agent-conversation .agent-message")).toHaveLength(1);
    expect($("#agent-conversation details.agent-thought summary")!.textContent).toBe("Thinking…");
    expect($("#agent-conversation details.agent-thought")!.textContent).toContain("A small change.");
    await findText("#agent-context", "Context 25% full (50,000 of 200,000 tokens)");

    // Still working: Enter does not send another message.
    await type("#agent-prompt", "And another");
    press($("#agent-prompt")!, "Enter");
    expect(b.count("agent_prompt")).toBe(1);

    await events({ type: "turn_ended", stop_reason: "end_turn" });
    await vi.waitFor(() => expect($("#agent-stop")).toBeNull());
    expect(($("#agent-send") as HTMLButtonElement).disabled).toBe(false);
    const log = $("#agent-conversation")!;
    expect(log.getAttribute("role")).toBe("log");
    expect(log.getAttribute("aria-live")).toBe("polite");
  });

  it("sends with Enter, not Shift+Enter, never empty, and stops with Esc", async () => {
    const b = backend();
    await started(b);
    await type("#agent-prompt", "   ");
    press($("#agent-prompt")!, "Enter");
    expect(($("#agent-send") as HTMLButtonElement).disabled).toBe(true);

    await type("#agent-prompt", "First line");
    const shifted = keydown($("#agent-prompt")!, "Enter", true);
    expect(shifted.defaultPrevented).toBe(false);
    expect(b.count("agent_prompt")).toBe(0);

    press($("#agent-prompt")!, "Enter");
    await vi.waitFor(() => expect(b.argsOf("agent_prompt")).toEqual([{ session: "s1", text: "First line" }]));
    await find("#agent-stop");
    press($("#agent-prompt")!, "Escape");
    await vi.waitFor(() => expect(b.argsOf("agent_cancel")).toEqual([{ session: "s1" }]));
    await events({ type: "turn_ended", stop_reason: "cancelled" });
    await findText("#agent-conversation .agent-stopped", "Stopped.");
    // Esc with nothing running does nothing.
    press($("#agent-prompt")!, "Escape");
    expect(b.count("agent_cancel")).toBe(1);
  });

  it("stops with the Stop button, and puts back a message that could not be sent", async () => {
    const b = backend();
    await started(b);
    await send("Go");
    await click("#agent-stop");
    await vi.waitFor(() => expect(b.count("agent_cancel")).toBe(1));
    await events({ type: "turn_ended", stop_reason: "cancelled" });
    await vi.waitFor(() => expect($("#agent-stop")).toBeNull());

    b.on({ agent_prompt: rejects("agent_ended", "This session has ended: start it again to go on.") });
    await send("Again");
    await findText("#agent [role=alert]", "This session has ended: start it again to go on.");
    expect(($("#agent-prompt") as HTMLTextAreaElement).value).toBe("Again");
    expect($$("#agent-conversation .agent-you").map((e) => e.textContent)).toEqual(["YouGo"]);
  });

  it("shows each tool call as one card, updated in place", async () => {
    const b = backend();
    await started(b);
    await events({
      type: "tool_call",
      id: "t1",
      new: true,
      title: "Run the tests",
      kind: "execute",
      status: "pending",
      content: [],
      paths: [],
    });
    await findText(".tool-card", "pending");
    await events({
      type: "tool_call",
      id: "t1",
      new: false,
      title: null,
      kind: null,
      status: "completed",
      content: [{ type: "terminal", id: "term-1", output: "3 passed" }],
      paths: [],
    });
    await findText(".tool-card", "completed");
    const cards = $$(".tool-card");
    expect(cards).toHaveLength(1);
    expect(cards[0]!.textContent).toContain("Run the tests");
    expect(cards[0]!.querySelector(".tag.kind")!.textContent).toBe("command");
    expect(cards[0]!.querySelector("pre.output")!.textContent).toBe("3 passed");

    await events({
      type: "tool_call",
      id: "t2",
      new: true,
      title: "Edit notes.txt",
      kind: "edit",
      status: "failed",
      content: [
        { type: "diff", path: `${PROJECT}/notes.txt`, diff: { unified: "@@ -0,0 +1 @@\n+hello\n", added: 1, removed: 0 } },
      ],
      paths: [`${PROJECT}/notes.txt`],
    });
    await findText(".tool-card[data-tool=t2]", "failed");
    expect($(".tool-card[data-tool=t2] .diff-add")!.textContent).toContain("+hello");
    expect($(".tool-card[data-tool=t2]")!.textContent).toContain("notes.txt (+1 −0)");
  });

  it("shows the plan, changed files, refusals, notices and errors", async () => {
    const b = backend();
    await started(b);
    await events(
      {
        type: "plan",
        entries: [
          { content: "Read notes.txt", status: "completed" },
          { content: "Add the line", status: "in_progress" },
        ],
      },
      { type: "file_written", path: `${PROJECT}/notes.txt`, diff: { unified: "+hello\n", added: 1, removed: 0 } },
      { type: "refused", what: "read", path: "/etc/passwd", reason: "it is outside the project folder" },
      { type: "notice", message: "The agent wrote a line that is not ACP." },
      { type: "error", message: "The model call failed: 429" },
    );
    await findText(".agent-written", "Changed notes.txt (+1 −0)");
    expect($(".agent-written .diff-add")!.textContent).toContain("+hello");
    expect($$(".plan li").map((li) => li.textContent)).toEqual([
      "✓Read notes.txt (done)",
      "▸Add the line (doing now)",
    ]);
    await events({ type: "plan", entries: [{ content: "Add the line", status: "completed" }] });
    await vi.waitFor(() => expect($$(".plan li")).toHaveLength(1));
    expect($$(".agent-plan")).toHaveLength(1);
    expect($(".agent-refused")!.textContent).toBe(
      "Refused: ClawBox stopped the agent from reading /etc/passwd: it is outside the project folder",
    );
    expect($("#agent-conversation")!.textContent).toContain("The agent wrote a line that is not ACP.");
    expect($(".agent-error")!.textContent).toBe("The model call failed: 429");
  });

  it("asks permission with one button per offered answer, and shows how it was answered", async () => {
    const b = backend();
    await started(b);
    await events({
      type: "permission",
      request: 3,
      tool_call_id: "t1",
      title: "Write notes.txt",
      kind: "edit",
      paths: [`${PROJECT}/notes.txt`],
      command: null,
      diff: { unified: "--- a/notes.txt\n+++ b/notes.txt\n+hello\n", added: 1, removed: 0 },
      options: [
        { kind: "reject_once", name: "Reject" },
        { kind: "allow_always", name: "Always Allow" },
        { kind: "allow_once", name: "Allow" },
      ],
    });
    const card = await find(".permission-card[data-request='3']");
    expect(card.textContent).toContain("Write notes.txt");
    expect(card.querySelector(".paths")!.textContent).toContain("notes.txt");
    expect(card.querySelector(".diff-add")!.textContent).toContain("+hello");
    const buttons = [...card.querySelectorAll("button")];
    expect(buttons.map((btn) => [btn.dataset.answer, btn.textContent])).toEqual([
      ["allow_once", "Allow once"],
      ["allow_always", "Always for this session"],
      ["reject", "Reject"],
    ]);
    // The question takes the focus, so it is answered from the keyboard.
    await vi.waitFor(() => expect(document.activeElement).toBe(buttons[0]));
    // Nothing answered it by itself.
    expect(b.count("agent_answer")).toBe(0);

    await click(".permission-card[data-request='3'] [data-answer=allow_once]");
    await vi.waitFor(() =>
      expect(b.argsOf("agent_answer")).toEqual([{ session: "s1", request: 3, answer: "allow_once" }]),
    );
    await events({ type: "permission_answered", request: 3, outcome: "allow_once", by: "person" });
    await findText(".permission-card[data-request='3']", "Allowed once");
    expect($(".permission-card[data-request='3'] button")).toBeNull();
  });

  it("shows a command to allow, and ClawBox's and the setting's answers", async () => {
    const b = backend();
    await started(b);
    const ask = (request: number, extra: Partial<AgentEvent> = {}) =>
      ({
        type: "permission",
        request,
        tool_call_id: `t${request}`,
        title: "Run a command",
        kind: "execute",
        paths: [],
        command: "rm -rf build",
        diff: null,
        options: [
          { kind: "allow_once", name: "Allow" },
          { kind: "reject_always", name: "Never" },
        ],
        ...extra,
      }) as AgentEvent;
    await events(ask(4), ask(5));
    await findText(".permission-card[data-request='4'] pre.command", "rm -rf build");
    const answers = $$(".permission-card[data-request='4'] button").map((btn) => btn.dataset.answer);
    expect(answers).toEqual(["allow_once", "reject"]);
    await click(".permission-card[data-request='4'] [data-answer=reject]");
    await vi.waitFor(() => expect(b.argsOf("agent_answer")).toEqual([{ session: "s1", request: 4, answer: "reject" }]));
    await events(
      { type: "permission_answered", request: 4, outcome: "reject_once", by: "clawbox" },
      { type: "permission_answered", request: 5, outcome: "allow_once", by: "setting" },
    );
    await findText(".permission-card[data-request='4']", "Rejected by ClawBox: outside the project folder");
    await findText(".permission-card[data-request='5']", "Answered by your setting");
  });

  it("says when the agent stopped unexpectedly, with what it wrote last", async () => {
    const b = backend();
    await started(b);
    await send("Go");
    await events({ type: "exited", code: 1, closed: false, stderr: "Error: ANTHROPIC_BASE_URL refused\n    at main" });
    const exited = await findText(".agent-exited", "The agent stopped unexpectedly (exit code 1)");
    expect(exited).toBeTruthy();
    expect($(".agent-exited pre")!.textContent).toBe("Error: ANTHROPIC_BASE_URL refused\n    at main");
    expect($("#agent-stop")).toBeNull();
    expect(($("#agent-prompt") as HTMLTextAreaElement).disabled).toBe(true);
    // It can be reopened through the agent.
    await click("#agent-reopen");
    await vi.waitFor(() =>
      expect(b.argsOf("start_agent").at(-1)).toEqual({ agent: "claude", project: PROJECT, resume: "s1" }),
    );
    await vi.waitFor(() => expect($(".agent-exited")).toBeNull());
  });

  it("counts the session's model calls after each turn and shows them in Requests", async () => {
    const b = backend({
      request_log: (a: Args) =>
        (a.query as LogQuery).agent_session === "s1"
          ? {
              rows: [
                logRow("r2", { tokens: 1000, client: "claude-code-acp", agent_session: "s1" }),
                logRow("r1", { tokens: 234, client: "claude-code-acp", agent_session: "s1" }),
              ],
              next: null,
            }
          : { rows: [], next: null },
    });
    await started(b);
    expect($("#agent-turn-usage")).toBeNull();
    await send("Go");
    await events({ type: "message", text: "Done." }, { type: "turn_ended", stop_reason: "end_turn" });
    await findText("#agent-turn-usage", "This session: 2 model calls · 1,234 tokens");
    expect(b.argsOf("request_log").at(-1)!.query).toEqual({
      user_id: null,
      status: null,
      model: null,
      endpoint: null,
      agent_session: "s1",
      before: null,
      limit: 500,
    });

    await click("#agent-see-requests");
    await find("#requests-table");
    await findText("#filter-agent-session", "Agent session Claude Code in notes");
    expect((b.argsOf("request_log").at(-1)!.query as LogQuery).agent_session).toBe("s1");
    expect($("#requests-table")!.textContent).toContain("claude-code-acp");
  });

  it("keeps the session going while another screen is shown", async () => {
    const b = backend();
    await started(b);
    await send("Go");
    await click("#nav-dashboard");
    await find("#dashboard");
    await events({ type: "message", text: "Worked on it " }, { type: "message", text: "while you were away." });
    await events({ type: "turn_ended", stop_reason: "end_turn" });
    await click("#nav-agent");
    await findText("#agent-conversation .agent-message", "Worked on it while you were away.");
    expect($("#agent-conversation .agent-you")!.textContent).toContain("Go");
    expect($("#agent-stop")).toBeNull();
    expect(b.count("start_agent")).toBe(1);
  });

  it("ignores other sessions' events", async () => {
    const b = backend();
    await started(b);
    await emitEvent("agent-events", { session: "other", events: [{ type: "message", text: "Not for you" }] });
    await events({ type: "message", text: "For you" });
    await findText("#agent-conversation", "For you");
    expect($("#agent-conversation")!.textContent).not.toContain("Not for you");
  });

  it("says when a session's agent runs commands itself", async () => {
    backend({
      start_agent: () => record({ agent: "codex", title: "Codex in notes" }),
      agents: () => view({ agents: [{ ...CODEX, installed: true, problem: null }] }),
    });
    mount(<App />);
    await click("#nav-agent");
    await click("#agent-start");
    await find("#agent-conversation");
    await events({ ...STARTED, agent: "codex", commands: "itself" } as AgentEvent);
    await findText("#agent-runs", "Codex runs commands itself, in a sandbox that lets them change files only in this folder.");
    expect($("#agent-session-title")!.textContent).toBe(`Codex in ${PROJECT}`);
  });

  it("closes the session and goes back to choosing one", async () => {
    const b = backend();
    await started(b);
    const loads = b.count("agents");
    await click("#agent-close");
    await find("#agent-start");
    expect(b.argsOf("close_agent")).toEqual([{ session: "s1" }]);
    await vi.waitFor(() => expect(b.count("agents")).toBe(loads + 1));
    expect($("#agent-conversation")).toBeNull();
  });
});
