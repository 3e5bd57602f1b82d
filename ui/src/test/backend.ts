// A fake backend for screen tests: answers commands from handlers, records every call, and lets
// tests emit the gateway's events through Tauri's own mock.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import { accounts, dashboard, providersView, settings, status, today } from "./fixtures";

export type Args = Record<string, unknown>;
export type Handler = (args: Args) => unknown;

export type FakeBackend = {
  calls: { cmd: string; args: Args }[];
  /** The args of every call to `cmd`, oldest first. */
  argsOf(cmd: string): Args[];
  count(cmd: string): number;
  /** Replace or add handlers mid-test. */
  on(handlers: Record<string, Handler>): void;
};

export function fakeBackend(handlers: Record<string, Handler>): FakeBackend {
  const table = { ...handlers };
  const calls: FakeBackend["calls"] = [];
  mockIPC(
    (cmd, args) => {
      const a = (args ?? {}) as Args;
      calls.push({ cmd, args: a });
      const handler = table[cmd];
      if (!handler) throw { code: "unmocked", message: `The test has no answer for ${cmd}` };
      return handler(a);
    },
    { shouldMockEvents: true },
  );
  return {
    calls,
    argsOf: (cmd) => calls.filter((c) => c.cmd === cmd).map((c) => c.args),
    count: (cmd) => calls.filter((c) => c.cmd === cmd).length,
    on: (more) => Object.assign(table, more),
  };
}

/** A command that rejects the way the backend does. */
export function rejects(code: string, message: string): Handler {
  return () => Promise.reject({ code, message });
}

export function emitEvent(event: string, payload?: unknown): Promise<void> {
  return emit(event, payload);
}

export { clearMocks };

/** What the window asks for on every screen, answered with ordinary values. */
export function everyday(): Record<string, Handler> {
  return {
    gateway_status: () => status(),
    get_settings: () => settings(),
    accounts: () => accounts(),
    connections: () => [],
    usage_dashboard: () => dashboard(),
    today_usage: () => today(),
    plan_limits: () => null,
    price_source: () => ({ source: "LiteLLM (MIT licence)", version: "litellm 1.104.5", taken: "2026-12-05", models: 373 }),
    request_log: () => ({ rows: [], next: null }),
    log_facets: () => ({ users: [], models: [], endpoints: [] }),
    free_port: () => 18790,
    pending_provision: () => null,
    agents: () => ({ agents: [], projects: [], sessions: [] }),
    providers: () => providersView(),
    conversations_summary: () => ({ responses: 3, conversations: 0, bytes: 40960, problem: null }),
  };
}
