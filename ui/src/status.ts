import type { GatewayStatus } from "./ipc";

/** The one-line status a person reads first. */
export function describe(status: GatewayStatus): {
  state: "running" | "starting" | "error";
  text: string;
} {
  if (status.starting) {
    return { state: "starting", text: "Starting the gateway…" };
  }
  if (!status.running) {
    return { state: "error", text: `The gateway is not running: ${status.error ?? "unknown reason"}` };
  }
  const mode = status.mode === "hosted" ? "hosted mode" : "local mode";
  return { state: "running", text: `Gateway running on ${status.url} (${mode})` };
}
