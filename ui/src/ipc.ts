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

/** Calls `onRequests` with each batch of requests the gateway finished (a few times a second). */
export function onRequests(onRequests: (events: unknown[]) => void): Promise<UnlistenFn> {
  return listen<unknown[]>("requests", (e) => onRequests(e.payload));
}

/** Calls `onChange` when the status changed (the gateway started, the tray switched mode). */
export function onStatusChange(onChange: () => void): Promise<UnlistenFn> {
  return listen("status", () => onChange());
}
