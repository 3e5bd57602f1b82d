// The one module that talks to the backend. Components call these functions, never `invoke`.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { GatewayStatus } from "./bindings/GatewayStatus";

export type { GatewayStatus };

export function gatewayStatus(): Promise<GatewayStatus> {
  return invoke<GatewayStatus>("gateway_status");
}

export function setMode(mode: "local" | "hosted"): Promise<GatewayStatus> {
  return invoke<GatewayStatus>("set_mode", { mode });
}

/** Calls `onRequest` for every request the gateway finishes. */
export function onRequest(onRequest: (event: unknown) => void): Promise<UnlistenFn> {
  return listen("request", (e) => onRequest(e.payload));
}
