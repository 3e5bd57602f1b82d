// A running (or just ended) agent session: which agent, in which folder, who runs its commands,
// how full its context is; the conversation; the composer; and after each turn what it cost.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ErrorNote } from "../../components/ErrorNote";
import { useAction } from "../../hooks";
import {
  agentAnswer,
  agentCancel,
  agentPrompt,
  closeAgent,
  startAgent,
  type AgentInfo,
  type Answer,
  type SessionRecord,
} from "../../ipc";
import type { LiveFeed } from "../../liveFeed";
import type { SessionFilter } from "../Requests";
import { Composer } from "./Composer";
import { ContextMeter } from "./ContextMeter";
import { Conversation } from "./Conversation";
import { waiting } from "./conversation";
import { agentTitle, commandsSentence } from "./names";
import type { AgentStore } from "./store";
import { TurnUsage } from "./TurnUsage";

type Props = {
  store: AgentStore;
  record: SessionRecord;
  agents: AgentInfo[] | undefined;
  live: LiveFeed;
  onSeeRequests: (session: SessionFilter) => void;
  /** The session was closed: back to choosing one. */
  onClosed: () => void;
};

export function Session({ store, record, agents, live, onSeeRequests, onClosed }: Props) {
  const id = record.id;
  const conversation = store.conversation(id);
  const { busy, started, exited } = conversation;
  const title = agentTitle(agents, record.agent);
  const [draft, setDraftState] = useState(() => store.draft(id));
  const input = useRef<HTMLTextAreaElement>(null);
  const sending = useAction();
  const stopping = useAction();
  const closing = useAction();
  const reopening = useAction();

  const setDraft = (text: string) => {
    setDraftState(text);
    store.setDraft(id, text);
  };

  const send = () => {
    const text = draft.trim();
    if (!text || busy || exited || sending.pending) return;
    // Shown at once, before the backend answers: the agent's reply can arrive first.
    store.note(id, { type: "prompted", text });
    setDraft("");
    void sending.run(() => agentPrompt(id, text)).then((sent) => {
      if (sent) return;
      // Not sent: taken back out of the conversation and into the box, to try again.
      store.note(id, { type: "prompt_failed" });
      setDraft(text);
    });
  };

  const stop = () => void stopping.run(() => agentCancel(id));

  // Stable, so the conversation's items need not be drawn again for it.
  const answer = useCallback((request: number, choice: Answer) => agentAnswer(id, request, choice), [id]);

  const close = () =>
    closing.run(async () => {
      await closeAgent(id);
      store.forget(id);
      store.show(null);
      onClosed();
    });

  const resumable = record.resumable || (started?.resumable ?? false);
  const reopen = () =>
    reopening.run(async () => {
      // Reopening replays the conversation through the agent: what was collected would repeat.
      store.forget(id);
      store.show(await startAgent(record.agent, record.project, id));
    });

  // Starting, or coming back to the screen: ready to write.
  useEffect(() => {
    input.current?.focus();
  }, []);

  // A new question from the agent takes the focus, so it is answered from the keyboard at once.
  const asking = waiting(conversation).at(-1)?.request ?? null;
  const focusedAsk = useRef<number | null>(null);
  useEffect(() => {
    if (asking === null || asking === focusedAsk.current) return;
    focusedAsk.current = asking;
    document.querySelector<HTMLButtonElement>(`.permission-card[data-request="${asking}"] button`)?.focus();
  }, [asking]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape" && busy) {
      e.preventDefault();
      stop();
    }
  };

  return (
    <div class="agent-session" onKeyDown={onKeyDown}>
      <div class="agent-head">
        <div class="agent-head-text">
          <h3 id="agent-session-title">
            {title} <span class="muted">in</span> <code>{record.project}</code>
          </h3>
          {started && (
            <p id="agent-runs" class="hint">
              {commandsSentence(title, started.commands)}
              {started.resumed && " Reopened from an earlier session."}
            </p>
          )}
        </div>
        <button type="button" id="agent-close" disabled={closing.pending} onClick={() => void close()}>
          Close session
        </button>
      </div>
      <ErrorNote message={closing.error} />
      {conversation.usage && <ContextMeter used={conversation.usage.used} size={conversation.usage.size} />}

      <Conversation conversation={conversation} agentTitle={title} project={record.project} onAnswer={answer} />

      <TurnUsage
        session={id}
        turns={conversation.turns}
        live={live}
        onSee={() => onSeeRequests({ id, title: record.title })}
      />
      <ErrorNote message={sending.error ?? stopping.error} />
      {exited && resumable && (
        <div class="actions start">
          <button type="button" id="agent-reopen" disabled={reopening.pending} onClick={() => void reopen()}>
            Reopen this session
          </button>
        </div>
      )}
      <ErrorNote message={reopening.error} />
      <Composer
        value={draft}
        onInput={setDraft}
        onSend={send}
        onStop={stop}
        busy={busy}
        ended={exited !== null}
        stopping={stopping.pending}
        agentTitle={title}
        input={input}
      />
    </div>
  );
}
