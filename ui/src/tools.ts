// The tools ClawBox can connect, how connected files are named on screen, and how a
// compatibility check reads in one line.
import type { AgentCheck, ToolKind } from "./ipc";

export type Tool = {
  kind: ToolKind;
  name: string;
  /** The file written, as people know it (the backend honours the tools' own overrides). */
  file: string;
  /** What connecting changes in that file, in one line. */
  what: string;
};

export const TOOLS: Tool[] = [
  {
    kind: "codex",
    name: "Codex CLI",
    file: "~/.codex/config.toml",
    what: "adds a ClawBox provider and makes Codex use it.",
  },
  {
    kind: "claude",
    name: "Claude Code",
    file: "~/.claude/settings.json",
    what: "sets ClawBox's address, and its local key when ClawBox holds an Anthropic key.",
  },
  {
    kind: "openclaw",
    name: "OpenClaw",
    file: "~/.openclaw/openclaw.json",
    what: "adds a ClawBox provider for the agents' default model, and moves OpenClaw's own gateway off ClawBox's port if needed.",
  },
];

const LABELS: Record<string, string> = {
  env: ".env",
  ...Object.fromEntries(TOOLS.map((t) => [t.kind, t.name])),
};

/** ".env", "Codex CLI", "Claude Code", "OpenClaw"; a kind this window does not know, as it is. */
export function connectionLabel(kind: string): string {
  return LABELS[kind] ?? kind;
}

/** "All is well", or how many checks failed. */
export function checkSummary(check: AgentCheck): string {
  if (check.ready) return "All is well";
  const failed = check.steps.filter((s) => !s.ok).length;
  if (failed === 0) return "Not all checks passed";
  return `${failed} ${failed === 1 ? "check" : "checks"} failed`;
}
