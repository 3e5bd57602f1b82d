import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { Args } from "../test/backend";
import { clearMocks, emitEvent, everyday, fakeBackend, rejects } from "../test/backend";
import { $, click, find, findText, findValue, mount, type, unmountAll } from "../test/dom";
import { accounts, settings, status } from "../test/fixtures";

afterEach(() => {
  unmountAll();
  clearMocks();
});

const READY = {
  ready: true,
  steps: [
    { ok: true, title: "ClawBox is running", detail: "/health answered in 3 ms", fix: null },
    { ok: true, title: "A test request went through", detail: "gpt-4o-mini answered", fix: null },
  ],
};

const DIFF = "--- .env\n+++ .env\n+OPENCLAW_GATEWAY_URL=http://127.0.0.1:18789\n+OPENCLAW_GATEWAY_TOKEN=cbx_…1a2b\n";

function newUser() {
  let onboarded = false;
  let saved = accounts();
  return fakeBackend({
    ...everyday(),
    gateway_status: () => status({ onboarded }),
    save_settings: (a: Args) => {
      if ((a.change as { onboarded?: boolean }).onboarded) onboarded = true;
      return settings();
    },
    accounts: () => saved,
    save_api_key: (a: Args) => {
      saved = accounts({ api_keys: [{ provider: String(a.provider), name: "OpenAI" }] });
      return saved;
    },
    check_agent: () => READY,
    choose_folder: () => "/home/ada/agent",
    connect_env: (a: Args) =>
      a.dryRun
        ? { path: "/home/ada/agent/.env", changed: true, diff: DIFF, backup: null, message: "2 lines would be added." }
        : {
            path: "/home/ada/agent/.env",
            changed: true,
            diff: DIFF,
            backup: "/home/ada/agent/.env.before-clawbox",
            message: "Connected /home/ada/agent/.env.",
          },
  });
}

describe("the setup wizard", () => {
  it("takes a new user from mode to a connected agent, then to the dashboard", async () => {
    const backend = newUser();
    mount(<App />);

    // Shown by itself: setup was never finished.
    await find("#wizard");
    const userId = (await find("#wizard-user-id")) as HTMLInputElement;
    await findText("#wizard", "Your user id");
    expect(userId.value).toBe("ada");
    expect(($("#wizard-mode-local") as HTMLInputElement).checked).toBe(true);
    expect($("#wizard-hosted-url")).toBeNull();

    await type("#wizard-user-id", "grace");
    await click("#wizard-next");
    await find("#wizard-api-key");
    expect(backend.argsOf("save_settings")).toEqual([{ change: { mode: "local", user_id: "grace" } }]);

    // Credentials: nothing saved yet, so only "skip" is offered until a key is saved.
    expect($("#wizard-next")).toBeNull();
    await type("#wizard-api-key", "sk-test-secret");
    await click("#wizard-save-key");
    await findText("#wizard", "Saved in the keychain");
    expect(backend.argsOf("save_api_key")).toEqual([{ provider: "openai", key: "sk-test-secret" }]);
    expect(($("#wizard-api-key") as HTMLInputElement).value).toBe("");
    expect(document.body.textContent).not.toContain("sk-test-secret");
    await findText("#wizard-credentials", "An OpenAI key is saved in the keychain.");

    await click("#wizard-next");
    await click("#wizard-check");
    await findText("#wizard-result", "Agent ready");
    expect($("#wizard-result")!.textContent).toBe("Agent ready");
    expect($("#wizard-steps")!.textContent).toContain("A test request went through");

    await click("#wizard-next");
    await click("#wizard-browse");
    await findValue("#wizard-env-path", "/home/ada/agent");
    await click("#wizard-preview");
    const diff = await find("#wizard-diff");
    expect(diff.tagName).toBe("PRE");
    expect(diff.textContent).toBe(DIFF);
    expect(backend.argsOf("connect_env")).toEqual([{ path: "/home/ada/agent", dryRun: true }]);

    await click("#wizard-connect");
    const result = await findText("#wizard-env-result", "Connected /home/ada/agent/.env.");
    expect(result).toContain("/home/ada/agent/.env.before-clawbox");
    expect(backend.argsOf("connect_env")[1]).toEqual({ path: "/home/ada/agent", dryRun: false });

    await click("#wizard-finish");
    await find("#dashboard");
    expect(backend.argsOf("save_settings").at(-1)).toEqual({ change: { onboarded: true } });
    expect($("#wizard")).toBeNull();
  });

  it("in hosted mode spells out the destination and skips the credentials step", async () => {
    const backend = newUser();
    mount(<App />);
    await click("#wizard-mode-hosted");
    await type("#wizard-hosted-url", "https://gw.workshop.example");
    await findText("#wizard", "Requests will be sent to https://gw.workshop.example");
    await click("#wizard-next");
    await find("#wizard-check");
    expect($("#wizard-api-key")).toBeNull();
    expect(backend.argsOf("save_settings")).toEqual([
      { change: { mode: "hosted", user_id: "ada", hosted_url: "https://gw.workshop.example" } },
    ]);
  });

  it("ends with trying a coding agent right away on the Agent screen", async () => {
    const backend = newUser();
    mount(<App />);
    await click("#wizard-mode-hosted");
    await type("#wizard-hosted-url", "https://gw.workshop.example");
    await click("#wizard-next");
    await click("#wizard-check");
    await findText("#wizard-result", "Agent ready");
    await click("#wizard-next");
    const tryIt = await find("#try-agent");
    expect(tryIt.textContent).toBe("Try it now");
    expect(tryIt.classList.contains("primary")).toBe(true);
    await click("#try-agent");
    await find("#agent");
    expect($("#wizard")).toBeNull();
    expect($("#nav-agent")!.getAttribute("aria-current")).toBe("page");
    expect(backend.argsOf("save_settings").at(-1)).toEqual({ change: { onboarded: true } });
  });

  it("shows what failed and how to fix it when the check fails", async () => {
    const backend = newUser();
    backend.on({
      check_agent: () => ({
        ready: false,
        steps: [
          { ok: true, title: "ClawBox is running", detail: "/health answered", fix: null },
          {
            ok: false,
            title: "The test request failed",
            detail: "OpenAI said the key is invalid (401).",
            fix: "Paste a working OpenAI key on the previous step.",
          },
        ],
      }),
    });
    mount(<App />);
    await click("#wizard-mode-hosted");
    await click("#wizard-next");
    await click("#wizard-check");
    const steps = await findText("#wizard-steps", "How to fix: Paste a working OpenAI key on the previous step.");
    expect(steps).toContain("OpenAI said the key is invalid (401).");
    expect($("#wizard-result")!.textContent).not.toContain("Agent ready");
    // A step that passed shows no fix.
    expect($("#wizard-steps li.passed")!.textContent).not.toContain("How to fix");
  });

  it("says plainly why a step could not be saved", async () => {
    const backend = newUser();
    backend.on({ save_settings: rejects("invalid", "The hosted address must start with https://") });
    mount(<App />);
    await click("#wizard-mode-hosted");
    await type("#wizard-hosted-url", "gw.example");
    await click("#wizard-next");
    await findText("#wizard [role=alert]", "The hosted address must start with https://");
    expect($("#wizard-check")).toBeNull();
  });

  it("says it is waiting for the browser while signing in with ChatGPT, with the address", async () => {
    const backend = newUser();
    let signedIn: ((a: unknown) => void) | null = null;
    backend.on({ sign_in_chatgpt: () => new Promise((resolve) => (signedIn = resolve)) });
    mount(<App />);
    await click("#wizard-next");
    await click("#wizard-chatgpt");
    await findText("#wizard", "Waiting for the browser…");
    await vi.waitFor(() => expect(signedIn).not.toBeNull());
    // The backend sends the sign-in address, for when no browser opened.
    await emitEvent("sign-in", "https://auth.example/oauth/authorize?state=abc");
    await vi.waitFor(() =>
      expect(($("#sign-in-url") as HTMLInputElement | null)?.value).toBe(
        "https://auth.example/oauth/authorize?state=abc",
      ),
    );
    signedIn!(accounts({ chatgpt: { email: "ada@example.org", plan: "plus", needs_sign_in: false, expires: null } }));
    await findText("#wizard-credentials", "Signed in with ChatGPT as ada@example.org (plus).");
    expect($("#wizard")!.textContent).not.toContain("Waiting for the browser");
    await find("#wizard-next");
  });
});
