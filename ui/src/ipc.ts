// The one module that talks to the backend. Components call these functions, never `invoke`.
// Every command rejects with a CommandError ({ code, message }); see format.ts `errorMessage`.
import { getVersion } from "@tauri-apps/api/app";
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Accounts } from "./bindings/Accounts";
import type { AgentBatch } from "./bindings/AgentBatch";
import type { AgentCheck } from "./bindings/AgentCheck";
import type { AgentEvent } from "./bindings/AgentEvent";
import type { AgentInfo } from "./bindings/AgentInfo";
import type { AgentsView } from "./bindings/AgentsView";
import type { Answer } from "./bindings/Answer";
import type { AnsweredBy } from "./bindings/AnsweredBy";
import type { AppSettings } from "./bindings/AppSettings";
import type { CommandError } from "./bindings/CommandError";
import type { Connection } from "./bindings/Connection";
import type { Dashboard } from "./bindings/Dashboard";
import type { EnvChange } from "./bindings/EnvChange";
import type { ExportResult } from "./bindings/ExportResult";
import type { FileDiff } from "./bindings/FileDiff";
import type { GatewayStatus } from "./bindings/GatewayStatus";
import type { InstallProgress } from "./bindings/InstallProgress";
import type { LiveRequest } from "./bindings/LiveRequest";
import type { LogFacets } from "./bindings/LogFacets";
import type { LogPage } from "./bindings/LogPage";
import type { LogQuery } from "./bindings/LogQuery";
import type { LogRow } from "./bindings/LogRow";
import type { PermissionAsk } from "./bindings/PermissionAsk";
import type { PermissionChoice } from "./bindings/PermissionChoice";
import type { PlanItem } from "./bindings/PlanItem";
import type { ProvisionOffer } from "./bindings/ProvisionOffer";
import type { SessionRecord } from "./bindings/SessionRecord";
import type { SessionView } from "./bindings/SessionView";
import type { SettingsChange } from "./bindings/SettingsChange";
import type { ToolCallView } from "./bindings/ToolCallView";
import type { ToolContent } from "./bindings/ToolContent";
import type { UpdateCheck } from "./bindings/UpdateCheck";
import type { CostLine } from "./bindings/CostLine";
import type { PlanLimits } from "./bindings/PlanLimits";
import type { PlanWindow } from "./bindings/PlanWindow";
import type { Price } from "./bindings/Price";
import type { RequestDetail } from "./bindings/RequestDetail";
import type { SnapshotInfo } from "./bindings/SnapshotInfo";
import type { Today } from "./bindings/Today";
import type { UsageAlert } from "./bindings/UsageAlert";
import type { ConversationsSummary } from "./bindings/ConversationsSummary";
import type { NewProvider } from "./bindings/NewProvider";
import type { PresetView } from "./bindings/PresetView";
import type { ProviderView } from "./bindings/ProviderView";
import type { ProvidersView } from "./bindings/ProvidersView";

export type {
  ConversationsSummary,
  NewProvider,
  PresetView,
  ProviderView,
  ProvidersView,
  Accounts,
  AgentBatch,
  AgentCheck,
  AgentEvent,
  AgentInfo,
  AgentsView,
  Answer,
  AnsweredBy,
  AppSettings,
  CommandError,
  Connection,
  Dashboard,
  EnvChange,
  ExportResult,
  FileDiff,
  GatewayStatus,
  InstallProgress,
  LiveRequest,
  LogFacets,
  LogPage,
  LogQuery,
  LogRow,
  PermissionAsk,
  PermissionChoice,
  PlanItem,
  ProvisionOffer,
  SessionRecord,
  SessionView,
  SettingsChange,
  ToolCallView,
  ToolContent,
  UpdateCheck,
  CostLine,
  PlanLimits,
  PlanWindow,
  Price,
  RequestDetail,
  SnapshotInfo,
  Today,
  UsageAlert,
};

export type Mode = "local" | "hosted";
/** The tools ClawBox can point at itself through their own configuration files. */
export type ToolKind = "codex" | "claude" | "openclaw";
export type Provider = "openai" | "anthropic";
export type Range = "1h" | "24h" | "7d" | "30d";

// Gateway

export function gatewayStatus(): Promise<GatewayStatus> {
  return invoke<GatewayStatus>("gateway_status");
}

export function setMode(mode: Mode): Promise<GatewayStatus> {
  return invoke<GatewayStatus>("set_mode", { mode });
}

/** A free port near the usual one, to offer when the usual one is taken. */
export function freePort(): Promise<number> {
  return invoke<number>("free_port");
}

// Settings

export function getSettings(): Promise<AppSettings> {
  return invoke<AppSettings>("get_settings");
}

/** The settings to change; those left out stay as they are. */
export type ChangedSettings = SettingsChange;

export function saveSettings(change: ChangedSettings): Promise<AppSettings> {
  return invoke<AppSettings>("save_settings", { change });
}

// Accounts and keys

export function accounts(): Promise<Accounts> {
  return invoke<Accounts>("accounts");
}

export function saveApiKey(provider: Provider, key: string): Promise<Accounts> {
  return invoke<Accounts>("save_api_key", { provider, key });
}

export function removeApiKey(provider: Provider): Promise<Accounts> {
  return invoke<Accounts>("remove_api_key", { provider });
}

/**
 * Opens the system browser; resolves once signed in (can take minutes). `onUrl` gets the
 * sign-in address as soon as there is one, for when no browser opens.
 */
export async function signInChatGpt(onUrl?: (url: string) => void): Promise<Accounts> {
  // Listening before asking, so the address cannot arrive before anyone listens.
  const unlisten = onUrl ? await listen<string>("sign-in", (e) => onUrl(e.payload)) : undefined;
  try {
    return await invoke<Accounts>("sign_in_chatgpt");
  } finally {
    unlisten?.();
  }
}

export function signOutChatGpt(): Promise<Accounts> {
  return invoke<Accounts>("sign_out_chatgpt");
}

/** The backend puts the key on the clipboard, so the key never enters this page. */
// ---- Kept conversations (Settings) --------------------------------------------------------------

export function conversationsSummary(): Promise<ConversationsSummary> {
  return invoke<ConversationsSummary>("conversations_summary");
}

export function forgetConversations(): Promise<ConversationsSummary> {
  return invoke<ConversationsSummary>("forget_conversations");
}

// ---- Providers (Settings) --------------------------------------------------------------------

export function providers(): Promise<ProvidersView> {
  return invoke<ProvidersView>("providers");
}

export function addProvider(provider: NewProvider): Promise<ProvidersView> {
  return invoke<ProvidersView>("add_provider", { provider });
}

export function saveProviderKey(name: string, key: string): Promise<ProvidersView> {
  return invoke<ProvidersView>("save_provider_key", { name, key });
}

export function removeProvider(name: string): Promise<ProvidersView> {
  return invoke<ProvidersView>("remove_provider", { name });
}

export function setDefaultUpstream(upstream: string): Promise<ProvidersView> {
  return invoke<ProvidersView>("set_default_upstream", { upstream });
}

export function copyLocalKey(): Promise<void> {
  return invoke<void>("copy_local_key");
}

export function rotateLocalKey(): Promise<EnvChange[]> {
  return invoke<EnvChange[]>("rotate_local_key");
}

// Connecting an agent

export function checkAgent(): Promise<AgentCheck> {
  return invoke<AgentCheck>("check_agent");
}

/** The native folder picker; null when cancelled. */
export function chooseFolder(): Promise<string | null> {
  return invoke<string | null>("choose_folder");
}

export function connectEnv(path: string, dryRun: boolean): Promise<EnvChange> {
  return invoke<EnvChange>("connect_env", { path, dryRun });
}

/** Points Codex CLI, Claude Code or OpenClaw at ClawBox; `dryRun` only describes the change. */
export function connectTool(kind: ToolKind, dryRun: boolean): Promise<EnvChange> {
  return invoke<EnvChange>("connect_tool", { kind, dryRun });
}

/** Undoes any connected file, .env or tool configuration, by its path. */
export function undoEnv(path: string): Promise<EnvChange> {
  return invoke<EnvChange>("undo_env", { path });
}

export function connections(): Promise<Connection[]> {
  return invoke<Connection[]>("connections");
}

/**
 * Every API through the running gateway (chat completions, streamed usage, Responses, Anthropic
 * Messages) and every connected file. Takes a few seconds.
 */
export function runDoctor(): Promise<AgentCheck> {
  return invoke<AgentCheck>("run_doctor");
}

// Usage and the request log

export function usageDashboard(range: Range): Promise<Dashboard> {
  return invoke<Dashboard>("usage_dashboard", { range });
}

/** Requests, tokens and cost since `from` (Unix seconds): the dashboard's "today" strip. */
export function todayUsage(from: number): Promise<Today> {
  return invoke<Today>("today_usage", { from });
}

/** The ChatGPT plan's usage windows (asked of ChatGPT when nothing fresh is known); null when not signed in. */
export function planLimits(): Promise<PlanLimits | null> {
  return invoke<PlanLimits | null>("plan_limits");
}

/** One request as logged, with the price its cost was worked out at. */
export function requestDetail(id: string): Promise<RequestDetail> {
  return invoke<RequestDetail>("request_detail", { id });
}

/** Where the shipped prices come from. */
export function priceSource(): Promise<SnapshotInfo> {
  return invoke<SnapshotInfo>("price_source");
}

export function requestLog(query: LogQuery): Promise<LogPage> {
  return invoke<LogPage>("request_log", { query });
}

export function logFacets(): Promise<LogFacets> {
  return invoke<LogFacets>("log_facets");
}

export function exportLogCsv(query: LogQuery): Promise<ExportResult> {
  return invoke<ExportResult>("export_log_csv", { query });
}

export function clearHistory(): Promise<void> {
  return invoke<void>("clear_history");
}

export function resetEverything(): Promise<void> {
  return invoke<void>("reset_everything");
}

// Coding agents (Claude Code, Codex) run by ClawBox in a project folder, over the Agent Client
// Protocol. What they do arrives as `agent-events`; see onAgentEvents.

/** The agents ClawBox can run, recent project folders and remembered sessions. */
export function agents(): Promise<AgentsView> {
  return invoke<AgentsView>("agents");
}

/** Installs a known agent (from npm; takes a minute); progress arrives through onAgentInstall. */
export function installAgent(name: string): Promise<AgentInfo[]> {
  return invoke<AgentInfo[]>("install_agent", { name });
}

/**
 * Starts `agent` in the folder `project`, or reopens session `resume` (a SessionRecord id).
 * Its events can arrive before this resolves: listen first (the window always does).
 */
export function startAgent(agent: string, project: string, resume: string | null): Promise<SessionRecord> {
  return invoke<SessionRecord>("start_agent", { agent, project, resume });
}

/** Sends one message; the answer streams in as events until `turn_ended`. */
export function agentPrompt(session: string, text: string): Promise<void> {
  return invoke<void>("agent_prompt", { session, text });
}

/** Stop: ends the running turn (the session stays open). */
export function agentCancel(session: string): Promise<void> {
  return invoke<void>("agent_cancel", { session });
}

/** Answers permission request `request`; false when it was no longer waiting. */
export function agentAnswer(session: string, request: number, answer: Answer): Promise<boolean> {
  return invoke<boolean>("agent_answer", { session, request, answer });
}

/** Ends the session and its agent's process. */
export function closeAgent(session: string): Promise<void> {
  return invoke<void>("close_agent", { session });
}

// Provisioning (setup links and files) and updates

/** The setup link or provisioning file waiting to fill in the wizard, if any. */
export function pendingProvision(): Promise<ProvisionOffer | null> {
  return invoke<ProvisionOffer | null>("pending_provision");
}

/** The wizard used or declined offer `id`: it is not offered again. */
export function dismissProvision(id: number): Promise<void> {
  return invoke<void>("dismiss_provision", { id });
}

/** This ClawBox's version. */
export function appVersion(): Promise<string> {
  return getVersion();
}

export function checkUpdate(): Promise<UpdateCheck> {
  return invoke<UpdateCheck>("check_update");
}

/** Downloads, verifies and installs the update the last check found, then restarts ClawBox. */
export function installUpdate(): Promise<void> {
  return invoke<void>("install_update");
}

// Events

/** Calls `onBatch` with each batch of requests the gateway finished (a few times a second). */
export function onRequests(onBatch: (batch: LiveRequest[]) => void): Promise<UnlistenFn> {
  return listen<LiveRequest[]>("requests", (e) => onBatch(e.payload));
}

/** Calls `onChange` when the status changed (the gateway started, the tray switched mode). */
/** A usage alert (a plan window or the budget passing a threshold), also sent as a notification. */
export function onUsageAlert(onAlert: (alert: UsageAlert) => void): Promise<UnlistenFn> {
  return listen<UsageAlert>("usage-alert", (e) => onAlert(e.payload));
}

export function onStatusChange(onChange: () => void): Promise<UnlistenFn> {
  return listen("status", () => onChange());
}

/** Calls `onOffer` when a setup link is opened while ClawBox runs. */
export function onProvision(onOffer: (offer: ProvisionOffer) => void): Promise<UnlistenFn> {
  return listen<ProvisionOffer>("provision", (e) => onOffer(e.payload));
}

/** Calls `onBatch` with each batch of agent events, for every session (filter by `session`). */
export function onAgentEvents(onBatch: (batch: AgentBatch) => void): Promise<UnlistenFn> {
  return listen<AgentBatch>("agent-events", (e) => onBatch(e.payload));
}

/** Calls `onLine` with each line npm prints while an agent installs. */
export function onAgentInstall(onLine: (progress: InstallProgress) => void): Promise<UnlistenFn> {
  return listen<InstallProgress>("agent-install", (e) => onLine(e.payload));
}

/** Calls `onFound` when the check ClawBox makes shortly after start finds a newer version. */
export function onUpdateAvailable(onFound: (found: UpdateCheck) => void): Promise<UnlistenFn> {
  return listen<UpdateCheck>("update-available", (e) => onFound(e.payload));
}
