// One agent session as the person sees it, built from its events in the order they came. Pure,
// so the store can feed it every batch whether the Agent screen is shown or not, and tests can
// feed it events directly.
import type { AgentEvent, AnsweredBy, FileDiff, PermissionAsk, PlanItem, ToolCallView } from "../../ipc";

export type Started = Extract<AgentEvent, { type: "started" }>;
export type Exited = Extract<AgentEvent, { type: "exited" }>;

/**
 * What the window adds itself: the backend never echoes the person's own message (only replays
 * earlier ones when a session is reopened), and a message that could not be sent is taken back.
 */
export type Local = { type: "prompted"; text: string } | { type: "prompt_failed" };

export type ToolCall = Omit<ToolCallView, "new">;

export type Answered = { outcome: string; by: AnsweredBy };

/** `key` is stable for an item's life, so an item that grows is updated, not re-announced. */
export type Item =
  | { kind: "you"; key: number; text: string }
  | { kind: "message"; key: number; text: string }
  | { kind: "thought"; key: number; text: string }
  | { kind: "tool"; key: number; call: ToolCall }
  | { kind: "plan"; key: number; entries: PlanItem[] }
  | { kind: "permission"; key: number; ask: PermissionAsk; answered: Answered | null }
  | { kind: "read"; key: number; paths: string[] }
  | { kind: "written"; key: number; path: string; diff: FileDiff }
  | { kind: "refused"; key: number; what: string; path: string | null; reason: string }
  | { kind: "notice"; key: number; message: string }
  | { kind: "error"; key: number; message: string }
  | { kind: "turn_ended"; key: number; reason: string }
  | { kind: "exited"; key: number; code: number | null; closed: boolean; stderr: string | null };

export type Conversation = {
  items: Item[];
  /** The agent's own account of itself, once its session is open. */
  started: Started | null;
  /** How full the agent's context window is, as it last said. */
  usage: { used: number; size: number } | null;
  /** A message was sent and its turn has not ended. */
  busy: boolean;
  /** Turns ended so far (what the model-call count refreshes on). */
  turns: number;
  exited: Exited | null;
  /** Output of the commands ClawBox ran, by terminal id (it may come before the card names it). */
  terminals: Record<string, string>;
  nextKey: number;
};

export const EMPTY: Conversation = {
  items: [],
  started: null,
  usage: null,
  busy: false,
  turns: 0,
  exited: null,
  terminals: {},
  nextKey: 0,
};

export function reduce(c: Conversation, event: AgentEvent | Local): Conversation {
  switch (event.type) {
    case "started":
      return { ...c, started: event };
    case "prompted":
      return { ...push(c, { kind: "you", text: event.text }), busy: true };
    case "prompt_failed": {
      const last = c.items.at(-1);
      const items = last?.kind === "you" ? c.items.slice(0, -1) : c.items;
      return { ...c, items, busy: false };
    }
    case "user_message":
    case "message":
    case "thought": {
      // Chunks of one message arrive one after another: they make one item until something else
      // comes between them.
      const kind = event.type === "user_message" ? "you" : event.type;
      const last = c.items.at(-1);
      if (last && last.kind === kind) return replaceLast(c, { ...last, text: last.text + event.text });
      return push(c, { kind, text: event.text });
    }
    case "tool_call": {
      const { type: _, new: _first, ...raw } = event;
      const call = { ...raw, content: withOutput(raw.content, c.terminals) };
      const at = findLast(c.items, (i) => i.kind === "tool" && i.call.id === call.id);
      if (at < 0) return push(c, { kind: "tool", call });
      const old = c.items[at] as Extract<Item, { kind: "tool" }>;
      // Fields that did not change come as null or empty: only what is there replaces.
      const merged: ToolCall = {
        id: call.id,
        title: call.title ?? old.call.title,
        kind: call.kind ?? old.call.kind,
        status: call.status ?? old.call.status,
        content: call.content.length > 0 ? call.content : old.call.content,
        paths: call.paths.length > 0 ? call.paths : old.call.paths,
      };
      return replaceAt(c, at, { ...old, call: merged });
    }
    case "plan": {
      // Each plan replaces the last one where it stands, so the list doesn't repeat it.
      const at = findLast(c.items, (i) => i.kind === "plan");
      if (at < 0) return push(c, { kind: "plan", entries: event.entries });
      return replaceAt(c, at, { kind: "plan", key: c.items[at]!.key, entries: event.entries });
    }
    case "usage":
      return { ...c, usage: { used: event.used, size: event.size } };
    case "permission": {
      const { type: _, ...ask } = event;
      return push(c, { kind: "permission", ask, answered: null });
    }
    case "permission_answered": {
      const at = findLast(c.items, (i) => i.kind === "permission" && i.ask.request === event.request);
      if (at < 0) return c;
      const item = c.items[at] as Extract<Item, { kind: "permission" }>;
      return replaceAt(c, at, { ...item, answered: { outcome: event.outcome, by: event.by } });
    }
    case "file_read": {
      // Agents read many files in a row: one line names them all.
      const last = c.items.at(-1);
      if (last?.kind === "read") {
        return last.paths.includes(event.path) ? c : replaceLast(c, { ...last, paths: [...last.paths, event.path] });
      }
      return push(c, { kind: "read", paths: [event.path] });
    }
    case "file_written":
      return push(c, { kind: "written", path: event.path, diff: event.diff });
    case "refused":
      return push(c, { kind: "refused", what: event.what, path: event.path, reason: event.reason });
    case "notice":
      return push(c, { kind: "notice", message: event.message });
    case "error":
      return push(c, { kind: "error", message: event.message });
    case "terminal_output": {
      const note = [
        event.truncated ? "(earlier output cut)\n" : "",
        event.output,
        event.exit_code !== null && event.exit_code !== 0 ? `\n(exit code ${event.exit_code})` : "",
      ].join("");
      const terminals = { ...c.terminals, [event.id]: note };
      const items = c.items.map((i) =>
        i.kind === "tool" ? { ...i, call: { ...i.call, content: withOutput(i.call.content, terminals) } } : i,
      );
      return { ...c, items, terminals };
    }
    case "turn_ended": {
      // A turn that ended normally needs no line: the answer above says it all.
      const next = { ...c, busy: false, turns: c.turns + 1 };
      return event.stop_reason === "end_turn" ? next : push(next, { kind: "turn_ended", reason: event.stop_reason });
    }
    case "exited": {
      // Nobody can answer a question the agent no longer waits for.
      const gone: Answered = { outcome: "cancelled", by: "clawbox" };
      const items = c.items.map((i) => (i.kind === "permission" && !i.answered ? { ...i, answered: gone } : i));
      const item = { kind: "exited" as const, code: event.code, closed: event.closed, stderr: event.stderr };
      return { ...push({ ...c, items }, item), busy: false, exited: event };
    }
  }
}

export function reduceAll(c: Conversation, events: (AgentEvent | Local)[]): Conversation {
  return events.reduce(reduce, c);
}

/** Fills in the output of the commands that have ended. */
function withOutput(content: ToolCall["content"], terminals: Record<string, string>): ToolCall["content"] {
  return content.map((part) =>
    part.type === "terminal" && terminals[part.id] !== undefined ? { ...part, output: terminals[part.id]! } : part,
  );
}

/** The permission requests still waiting for the person, oldest first. */
export function waiting(c: Conversation): PermissionAsk[] {
  return c.items.flatMap((i) => (i.kind === "permission" && !i.answered ? [i.ask] : []));
}

type NewItem = Item extends infer I ? (I extends Item ? Omit<I, "key"> : never) : never;

function push(c: Conversation, item: NewItem): Conversation {
  return { ...c, items: [...c.items, { ...item, key: c.nextKey } as Item], nextKey: c.nextKey + 1 };
}

function replaceLast(c: Conversation, item: Item): Conversation {
  return replaceAt(c, c.items.length - 1, item);
}

function replaceAt(c: Conversation, at: number, item: Item): Conversation {
  const items = c.items.slice();
  items[at] = item;
  return { ...c, items };
}

function findLast(items: Item[], test: (item: Item) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i]!)) return i;
  return -1;
}
