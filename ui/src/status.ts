import type { GatewayStatus } from "./ipc";

/** The one-line status a person reads first. */
export function describe(status: GatewayStatus): { state: "running" | "error"; text: string } {
  if (!status.running) {
    return { state: "error", text: `The gateway is not running: ${status.error ?? "unknown reason"}` };
  }
  const mode = status.mode === "hosted" ? "hosted mode" : "local mode";
  return { state: "running", text: `Gateway running on ${status.url} (${mode})` };
}
