import { describe as suite, expect, it } from "vitest";
import { describe } from "./status";
import type { GatewayStatus } from "./ipc";

const running: GatewayStatus = {
  running: true,
  starting: false,
  url: "http://127.0.0.1:18789",
  mode: "local",
  health: "ok",
  problems: [],
  error: null,
  local_key: "cbx_…1a2b3c4d",
  port: 18789,
  port_taken: false,
  onboarded: true,
};

suite("the status line", () => {
  it("says where agents reach the gateway and in which mode", () => {
    expect(describe(running)).toEqual({
      state: "running",
      text: "Gateway running on http://127.0.0.1:18789 (local mode)",
    });
    expect(describe({ ...running, mode: "hosted" }).text).toContain("hosted mode");
  });

  it("says it is starting while the database and keychain open", () => {
    const starting = { ...running, running: false, starting: true, url: null };
    expect(describe(starting)).toEqual({ state: "starting", text: "Starting the gateway…" });
  });

  it("says why the gateway is not running", () => {
    const failed = { ...running, running: false, url: null, error: "127.0.0.1:18789 is already in use" };
    expect(describe(failed)).toEqual({
      state: "error",
      text: "The gateway is not running: 127.0.0.1:18789 is already in use",
    });
  });
});
