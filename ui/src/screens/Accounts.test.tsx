import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Args } from "../test/backend";
import { clearMocks, everyday, fakeBackend, rejects } from "../test/backend";
import { $, $$, click, find, findText, mount, type, unmountAll } from "../test/dom";
import { accounts } from "../test/fixtures";
import { Accounts } from "./Accounts";

afterEach(() => {
  unmountAll();
  clearMocks();
});

const CHATGPT = { email: "ada@example.org", plan: "plus", needs_sign_in: false, expires: null };

describe("accounts", () => {
  it("shows the local key by fingerprint and copies it through the backend", async () => {
    const backend = fakeBackend({ ...everyday(), copy_local_key: () => null });
    mount(<Accounts />);
    await findText("#local-key-fingerprint", "cbx_…1a2b");
    await click("#copy-local-key");
    await findText("#accounts", "Copied");
    expect(backend.count("copy_local_key")).toBe(1);
  });

  it("makes a new local key only after confirming, then lists the rewritten .env files", async () => {
    const backend = fakeBackend({
      ...everyday(),
      rotate_local_key: () => [
        { path: "/home/ada/agent/.env", changed: true, diff: "", backup: null, message: "Updated the key." },
      ],
    });
    mount(<Accounts />);
    await click("#rotate-local-key");
    const dialog = await find("[role=alertdialog]");
    expect(dialog.textContent).toContain("The current key stops working");
    await click("#confirm-yes");
    await findText("#rotate-result", "/home/ada/agent/.env: Updated the key.");
    expect(backend.count("rotate_local_key")).toBe(1);
  });

  it("saves an API key to the keychain, clears the input and lists the key by name only", async () => {
    const backend = fakeBackend({
      ...everyday(),
      save_api_key: (a: Args) => accounts({ api_keys: [{ provider: String(a.provider), name: "Anthropic" }] }),
      remove_api_key: () => accounts(),
    });
    mount(<Accounts />);
    await find("#key-anthropic-input");
    expect($("#key-anthropic-remove")).toBeNull();
    await type("#key-anthropic-input", "sk-ant-secret");
    await click("#key-anthropic-save");
    await findText("#accounts", "Saved in the keychain");
    expect(backend.argsOf("save_api_key")).toEqual([{ provider: "anthropic", key: "sk-ant-secret" }]);
    expect(($("#key-anthropic-input") as HTMLInputElement).value).toBe("");
    expect(document.body.textContent).not.toContain("sk-ant-secret");

    await click("#key-anthropic-remove");
    await vi.waitFor(() => expect(backend.argsOf("remove_api_key")).toEqual([{ provider: "anthropic" }]));
  });

  it("offers to sign in again when the ChatGPT sign-in expired", async () => {
    const backend = fakeBackend({
      ...everyday(),
      accounts: () => accounts({ chatgpt: { ...CHATGPT, needs_sign_in: true } }),
      sign_in_chatgpt: () => accounts({ chatgpt: CHATGPT }),
      sign_out_chatgpt: () => accounts(),
    });
    mount(<Accounts />);
    await findText("#chatgpt-sign-in", "Sign in again");
    await click("#chatgpt-sign-in");
    await vi.waitFor(() => expect($("#chatgpt-sign-in")).toBeNull());
    expect($("#chatgpt-account")!.textContent).toContain("ada@example.org (plus plan)");
    await click("#chatgpt-sign-out");
    await findText("#chatgpt-sign-in", "Sign in with ChatGPT");
    expect(backend.count("sign_out_chatgpt")).toBe(1);
  });

  it("undoes a connected .env file", async () => {
    let connected = [{ kind: "openclaw", path: "/home/ada/agent/.env" }];
    const backend = fakeBackend({
      ...everyday(),
      connections: () => connected,
      undo_env: (a: Args) => {
        connected = [];
        return { path: a.path, changed: true, diff: "", backup: null, message: "Restored /home/ada/agent/.env." };
      },
    });
    mount(<Accounts />);
    await findText("#connections", "/home/ada/agent/.env");
    await click("#connections li button");
    await findText("#connections", "Restored /home/ada/agent/.env.");
    await findText("#connections", "No files connected yet.");
    expect(backend.argsOf("undo_env")).toEqual([{ path: "/home/ada/agent/.env" }]);
  });
});

const CODEX_DIFF = [
  "--- /home/ada/.codex/config.toml",
  "+++ /home/ada/.codex/config.toml",
  "@@ -1,1 +1,5 @@",
  '-model_provider = "openai"',
  '+model_provider = "clawbox"',
  "+[model_providers.clawbox]",
  '+base_url = "http://127.0.0.1:18789/v1"',
  '+experimental_bearer_token = "cbx_…1a2b"',
  "",
].join("\n");

function change(path: string, over: Record<string, unknown> = {}) {
  return { path, changed: true, diff: "", backup: null, message: "", ...over };
}

describe("connecting tools", () => {
  it("offers Codex CLI, Claude Code and OpenClaw, each saying which file it writes", async () => {
    fakeBackend(everyday());
    mount(<Accounts />);
    const card = await findText("#tools", "Connect your tools");
    expect(card).toContain("~/.codex/config.toml");
    expect(card).toContain("~/.claude/settings.json");
    expect(card).toContain("~/.openclaw/openclaw.json");
    for (const kind of ["codex", "claude", "openclaw"]) {
      expect($(`#tool-${kind}-preview`)!.tagName).toBe("BUTTON");
      expect($(`#tool-${kind}-connect`)!.tagName).toBe("BUTTON");
    }
    expect($("#tool-claude-connect")!.getAttribute("aria-label")).toBe("Connect Claude Code");
  });

  it("previews a change as a diff, with a dry run that writes nothing", async () => {
    const backend = fakeBackend({
      ...everyday(),
      connect_tool: () =>
        change("/home/ada/.codex/config.toml", { diff: CODEX_DIFF, message: "Would add the clawbox provider." }),
    });
    mount(<Accounts />);
    await click("#tool-codex-preview");
    const diff = await find("#tool-codex-diff");
    expect(diff.textContent).toContain('+model_provider = "clawbox"');
    expect(diff.querySelector(".diff-add")!.textContent).toContain("clawbox");
    expect(diff.querySelector(".diff-del")!.textContent).toContain('"openai"');
    expect($("#tools")!.textContent).toContain("Would add the clawbox provider.");
    expect(backend.argsOf("connect_tool")).toEqual([{ kind: "codex", dryRun: true }]);
    expect($("#tool-codex-result")).toBeNull();
    expect(backend.count("connections")).toBe(1);
  });

  it("says so when a preview finds nothing to change", async () => {
    fakeBackend({
      ...everyday(),
      connect_tool: () => change("/home/ada/.claude/settings.json", { changed: false, message: "Already connected." }),
    });
    mount(<Accounts />);
    await click("#tool-claude-preview");
    await findText("#tools", "Nothing to change: /home/ada/.claude/settings.json already points at ClawBox.");
    expect($("#tool-claude-diff")).toBeNull();
  });

  it("connects for real, shows what happened and refreshes the connected files", async () => {
    let connected: { kind: string; path: string }[] = [];
    const message =
      "Connected /home/ada/.openclaw/openclaw.json. OpenClaw's own gateway was on ClawBox's port: it now uses 18790.";
    const backend = fakeBackend({
      ...everyday(),
      connections: () => connected,
      connect_tool: (a: Args) => {
        connected = [{ kind: String(a.kind), path: "/home/ada/.openclaw/openclaw.json" }];
        return change("/home/ada/.openclaw/openclaw.json", {
          message,
          backup: "/data/backups/openclaw.json.1",
        });
      },
    });
    mount(<Accounts />);
    await findText("#connections", "No files connected yet.");
    await click("#tool-openclaw-preview");
    await find("#tool-openclaw-diff");
    await click("#tool-openclaw-connect");
    const result = await findText("#tool-openclaw-result", message);
    expect(result).toContain("Backup of the old file: /data/backups/openclaw.json.1");
    expect($("#tool-openclaw-diff")).toBeNull();
    expect(backend.argsOf("connect_tool")).toEqual([
      { kind: "openclaw", dryRun: true },
      { kind: "openclaw", dryRun: false },
    ]);
    await findText("#connections", "OpenClaw /home/ada/.openclaw/openclaw.json");
    expect(backend.count("connections")).toBe(2);
    expect($("#tool-openclaw-title")!.textContent).toContain("connected");
    expect($("#tool-codex-title")!.textContent).not.toContain("connected");
  });

  it("shows the backend's words when a tool's file cannot be changed", async () => {
    const backend = fakeBackend({
      ...everyday(),
      connect_tool: rejects(
        "bad_config",
        "/home/ada/.codex/config.toml is not valid TOML (line 3): fix it or move it away, then try again.",
      ),
    });
    mount(<Accounts />);
    await click("#tool-codex-connect");
    const error = await find("#tool-codex-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toBe(
      "/home/ada/.codex/config.toml is not valid TOML (line 3): fix it or move it away, then try again.",
    );
    expect($("#tool-codex-result")).toBeNull();
    expect($("#tool-claude-error")).toBeNull();
    expect(backend.count("connections")).toBe(1);
  });

  it("labels each connected file with its kind and undoes tool files by path", async () => {
    let connected = [
      { kind: "env", path: "/home/ada/agent/.env" },
      { kind: "codex", path: "/home/ada/.codex/config.toml" },
      { kind: "claude", path: "/home/ada/.claude/settings.json" },
      { kind: "openclaw", path: "/home/ada/.openclaw/openclaw.json" },
    ];
    const backend = fakeBackend({
      ...everyday(),
      connections: () => connected,
      undo_env: (a: Args) => {
        connected = connected.filter((c) => c.path !== a.path);
        return change(String(a.path), { message: `Restored ${String(a.path)}.` });
      },
    });
    mount(<Accounts />);
    await findText("#connections-title", "Connected files");
    await vi.waitFor(() => expect($$("#connections li")).toHaveLength(4));
    expect($$("#connections li .kind").map((el) => el.textContent)).toEqual([
      ".env",
      "Codex CLI",
      "Claude Code",
      "OpenClaw",
    ]);
    expect($("#tool-codex-title")!.textContent).toContain("connected");

    await click('#connections button[aria-label="Undo the changes to /home/ada/.codex/config.toml"]');
    await findText("#connections", "Restored /home/ada/.codex/config.toml.");
    await vi.waitFor(() => expect($$("#connections li")).toHaveLength(3));
    expect(backend.argsOf("undo_env")).toEqual([{ path: "/home/ada/.codex/config.toml" }]);
    expect($("#tool-codex-title")!.textContent).not.toContain("connected");
  });
});

describe("compatibility check", () => {
  it("says it is checking, then lists each step with how to fix the failed ones", async () => {
    let answer: (check: unknown) => void = () => {};
    const backend = fakeBackend({
      ...everyday(),
      run_doctor: () => new Promise((resolve) => (answer = resolve)),
    });
    mount(<Accounts />);
    await click("#run-doctor");
    await findText("#run-doctor", "Checking…");
    expect($("#run-doctor")!.getAttribute("aria-disabled")).toBe("true");
    act(() => $("#run-doctor")!.click());
    expect(backend.count("run_doctor")).toBe(1);

    answer({
      ready: false,
      steps: [
        { ok: true, title: "Chat completions", detail: "gpt-4o-mini answered in 412 ms", fix: null },
        { ok: true, title: "Streamed usage", detail: "the stream ended with usage", fix: null },
        {
          ok: false,
          title: "Anthropic Messages",
          detail: "no Anthropic key",
          fix: "Save an Anthropic key in Accounts.",
        },
        {
          ok: false,
          title: "/home/ada/.codex/config.toml (codex)",
          detail: "does not point at ClawBox any more",
          fix: "Connect Codex CLI again.",
        },
      ],
    });
    await findText("#doctor-result", "2 checks failed");
    expect($("#run-doctor")!.textContent).toBe("Check compatibility");
    expect($("#run-doctor")!.getAttribute("aria-disabled")).toBeNull();
    const steps = $$("#doctor-steps li");
    expect(steps).toHaveLength(4);
    expect(steps[0].className).toBe("passed");
    expect(steps[0].textContent).toContain("Chat completions");
    expect(steps[0].textContent).toContain("gpt-4o-mini answered in 412 ms");
    expect(steps[0].textContent).not.toContain("How to fix");
    expect(steps[2].className).toBe("failed");
    expect(steps[2].textContent).toContain("Failed: Anthropic Messages");
    expect(steps[2].textContent).toContain("How to fix: Save an Anthropic key in Accounts.");
    expect(steps[3].textContent).toContain("How to fix: Connect Codex CLI again.");
  });

  it("says all is well when every check passed", async () => {
    fakeBackend({
      ...everyday(),
      run_doctor: () => ({
        ready: true,
        steps: [{ ok: true, title: "Responses API", detail: "answered", fix: null }],
      }),
    });
    mount(<Accounts />);
    await click("#run-doctor");
    await findText("#doctor-result", "All is well");
    expect($("#doctor-result")!.getAttribute("role")).toBe("status");
    expect($("#doctor-steps")!.textContent).toContain("Passed: Responses API");
  });

  it("shows why the check could not run", async () => {
    fakeBackend({ ...everyday(), run_doctor: rejects("not_running", "ClawBox is not running: start it first.") });
    mount(<Accounts />);
    await click("#run-doctor");
    await findText("#doctor [role=alert]", "ClawBox is not running: start it first.");
    expect($("#doctor-result")).toBeNull();
  });
});
