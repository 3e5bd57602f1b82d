// What ClawBox can sign requests with, in words: the wizard and the Accounts screen both say it.
import type { Accounts } from "./ipc";

export const PROVIDERS = [
  { id: "openai", name: "OpenAI" },
  { id: "anthropic", name: "Anthropic" },
] as const;

/** A saved API key or a ChatGPT sign-in that still works. */
export function hasCredentials(accounts: Accounts): boolean {
  return accounts.api_keys.length > 0 || (accounts.chatgpt !== null && !accounts.chatgpt.needs_sign_in);
}

export function credentialSummary(accounts: Accounts): string[] {
  const lines: string[] = [];
  const chatgpt = accounts.chatgpt;
  if (chatgpt && chatgpt.needs_sign_in) {
    lines.push("Your ChatGPT sign-in has expired: sign in again.");
  } else if (chatgpt) {
    const who = chatgpt.email ?? "your ChatGPT account";
    lines.push(`Signed in with ChatGPT as ${who}${chatgpt.plan ? ` (${chatgpt.plan})` : ""}.`);
  }
  for (const key of accounts.api_keys) lines.push(`An ${key.name} key is saved in the keychain.`);
  return lines;
}
