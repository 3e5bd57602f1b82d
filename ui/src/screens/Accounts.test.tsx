import { afterEach, describe, expect, it, vi } from "vitest";
import type { Args } from "../test/backend";
import { clearMocks, everyday, fakeBackend } from "../test/backend";
import { $, click, find, findText, mount, type, unmountAll } from "../test/dom";
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
    await findText("#connections", "No .env files connected yet.");
    expect(backend.argsOf("undo_env")).toEqual([{ path: "/home/ada/agent/.env" }]);
  });
});
