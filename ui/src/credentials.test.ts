import { describe, expect, it } from "vitest";
import { credentialSummary, hasCredentials } from "./credentials";
import { accounts } from "./test/fixtures";

describe("credentials", () => {
  it("counts a saved key or a working ChatGPT sign-in", () => {
    expect(hasCredentials(accounts())).toBe(false);
    expect(hasCredentials(accounts({ api_keys: [{ provider: "anthropic", name: "Anthropic" }] }))).toBe(true);
    const chatgpt = { email: "ada@example.org", plan: "plus", needs_sign_in: false, expires: null };
    expect(hasCredentials(accounts({ chatgpt }))).toBe(true);
    expect(hasCredentials(accounts({ chatgpt: { ...chatgpt, needs_sign_in: true } }))).toBe(false);
  });

  it("says what is there in words", () => {
    const chatgpt = { email: "ada@example.org", plan: "plus", needs_sign_in: false, expires: null };
    expect(credentialSummary(accounts({ chatgpt, api_keys: [{ provider: "openai", name: "OpenAI" }] }))).toEqual([
      "Signed in with ChatGPT as ada@example.org (plus).",
      "An OpenAI key is saved in the keychain.",
    ]);
    expect(credentialSummary(accounts({ chatgpt: { ...chatgpt, needs_sign_in: true } }))).toEqual([
      "Your ChatGPT sign-in has expired: sign in again.",
    ]);
  });
});
