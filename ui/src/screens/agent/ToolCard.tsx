// One tool call the agent makes (reading, editing, running a command…), updated in place as it
// goes: its title, what kind of tool, a status badge, and what it produced.
import type { ToolContent } from "../../ipc";
import type { ToolCall } from "./conversation";
import { FileChange } from "./FileChange";
import { shortPath } from "./paths";

const STATUS: Record<string, { label: string; tone: string }> = {
  pending: { label: "pending", tone: "" },
  in_progress: { label: "in progress", tone: "warn" },
  completed: { label: "completed", tone: "ok" },
  failed: { label: "failed", tone: "bad" },
};

const KINDS: Record<string, string> = {
  read: "read",
  edit: "edit",
  delete: "delete",
  move: "move",
  search: "search",
  execute: "command",
  think: "thinking",
  fetch: "web",
  switch_mode: "mode",
  other: "tool",
};

export function ToolCard({ call, project }: { call: ToolCall; project: string }) {
  const status = call.status ? (STATUS[call.status] ?? { label: call.status, tone: "" }) : null;
  return (
    <div class="tool-card" data-tool={call.id}>
      <p class="tool-head">
        <span class="tool-title">{call.title ?? "A tool"}</span>
        {call.kind && <span class="tag kind">{KINDS[call.kind] ?? call.kind}</span>}
        {status && <span class={`tag status-badge ${status.tone}`}>{status.label}</span>}
      </p>
      {call.paths.length > 0 && (
        <p class="hint paths">
          {call.paths.map((p) => (
            <code key={p}>{shortPath(p, project)}</code>
          ))}
        </p>
      )}
      {call.content.map((c, i) => (
        <Content key={i} content={c} project={project} />
      ))}
    </div>
  );
}

function Content({ content, project }: { content: ToolContent; project: string }) {
  switch (content.type) {
    case "diff":
      return <FileChange path={shortPath(content.path, project)} diff={content.diff} />;
    case "terminal":
    case "text": {
      const text = content.type === "text" ? content.text : content.output;
      if (!text) return null;
      // Scrolls inside itself: command output has long lines and many of them.
      return (
        <pre class="output" tabIndex={0}>
          {text}
        </pre>
      );
    }
  }
}
