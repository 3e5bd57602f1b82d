// The window's agent sessions, owned by App like the live request feed: App feeds it every
// `agent-events` batch from the moment the window opens, so a session keeps running (and its
// conversation keeps growing) while another screen is shown, and events that arrive before
// `start_agent` has even answered are not lost.
import { useEffect, useReducer } from "preact/hooks";
import type { AgentBatch, SessionRecord } from "../../ipc";
import { EMPTY, reduceAll, type Conversation, type Local } from "./conversation";

export type AgentStore = {
  /** A batch from the backend, for any session. */
  receive(batch: AgentBatch): void;
  /** Something the window did itself in `session` (a message sent, or not). */
  note(session: string, action: Local): void;
  conversation(session: string): Conversation;
  /** Drops what was collected of a session (closed, or about to be reopened and replayed). */
  forget(session: string): void;
  /** The session the Agent screen shows, if any. */
  shown(): SessionRecord | null;
  show(record: SessionRecord | null): void;
  /** The message being written in a session, kept while the person looks elsewhere. */
  draft(session: string): string;
  setDraft(session: string, text: string): void;
  subscribe(listener: () => void): () => void;
};

export function createAgentStore(): AgentStore {
  const conversations = new Map<string, Conversation>();
  const drafts = new Map<string, string>();
  const listeners = new Set<() => void>();
  let shown: SessionRecord | null = null;
  const changed = () => {
    for (const listener of [...listeners]) listener();
  };
  const update = (session: string, events: Parameters<typeof reduceAll>[1]) => {
    conversations.set(session, reduceAll(conversations.get(session) ?? EMPTY, events));
    changed();
  };
  return {
    receive: (batch) => update(batch.session, batch.events),
    note: (session, action) => update(session, [action]),
    conversation: (session) => conversations.get(session) ?? EMPTY,
    forget(session) {
      conversations.delete(session);
      drafts.delete(session);
      changed();
    },
    shown: () => shown,
    show(record) {
      shown = record;
      changed();
    },
    draft: (session) => drafts.get(session) ?? "",
    setDraft: (session, text) => void drafts.set(session, text),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Renders the calling component again whenever the store changes. */
export function useAgentStore(store: AgentStore): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => store.subscribe(() => bump(undefined)), [store]);
}
