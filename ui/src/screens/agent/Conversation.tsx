// The conversation: the person's messages, the agent's answers as they stream in, its thinking
// (folded away), tool calls, plan, permission requests and what ClawBox noticed along the way.
// It scrolls inside itself and follows new output, unless the reader has scrolled up to read.
import { Fragment } from "preact";
import { memo } from "preact/compat";
import { useLayoutEffect, useRef } from "preact/hooks";
import type { Answer } from "../../ipc";
import type { Conversation as Model, Item } from "./conversation";
import { FileChange } from "./FileChange";
import { shortPath } from "./paths";
import { PermissionCard } from "./PermissionCard";
import { Plan } from "./Plan";
import { ToolCard } from "./ToolCard";

type Props = {
  conversation: Model;
  agentTitle: string;
  project: string;
  onAnswer: (request: number, answer: Answer) => Promise<boolean>;
};

export function Conversation({ conversation, agentTitle, project, onAnswer }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const following = useRef(true);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  });

  const onScroll = () => {
    const el = box.current;
    if (el) following.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  };

  const items = conversation.items;
  return (
    <div
      id="agent-conversation"
      class="conversation"
      role="log"
      aria-live="polite"
      aria-label={`Conversation with ${agentTitle}`}
      // Scrollable with the keyboard too.
      tabIndex={0}
      ref={box}
      onScroll={onScroll}
    >
      {items.length === 0 && (
        <p class="hint">
          {conversation.started
            ? `${agentTitle} is ready. Write what you would like it to do below.`
            : `Waiting for ${agentTitle} to be ready…`}
        </p>
      )}
      {items.map((item) => (
        <ItemView key={item.key} item={item} agentTitle={agentTitle} project={project} onAnswer={onAnswer} />
      ))}
      {conversation.busy && (
        <p class="hint working" role="status">
          {agentTitle} is working…
        </p>
      )}
    </div>
  );
}

const STOPS: Record<string, string> = {
  cancelled: "Stopped.",
  max_tokens: "The agent stopped: its answer reached the length limit.",
  max_turn_requests: "The agent stopped: it reached its limit of steps for one message.",
  refusal: "The agent declined to go on with this.",
};

// Events come up to 60 times a second while the agent streams: only the items that changed (the
// reducer keeps the others as they were) are drawn again.
type ItemProps = { item: Item } & Omit<Props, "conversation">;

const ItemView = memo(function ItemView({ item, agentTitle, project, onAnswer }: ItemProps) {
  switch (item.kind) {
    case "you":
      return (
        <div class="agent-you">
          <p class="agent-label">You</p>
          <p class="agent-text">{item.text}</p>
        </div>
      );
    case "message":
      return (
        <div class="agent-message">
          <p class="agent-label">{agentTitle}</p>
          <p class="agent-text">{item.text}</p>
        </div>
      );
    case "thought":
      return (
        <details class="agent-thought">
          <summary>Thinking…</summary>
          <p class="agent-text">{item.text}</p>
        </details>
      );
    case "tool":
      return <ToolCard call={item.call} project={project} />;
    case "plan":
      return <Plan entries={item.entries} />;
    case "permission":
      return (
        <PermissionCard
          ask={item.ask}
          answered={item.answered}
          agentTitle={agentTitle}
          project={project}
          onAnswer={onAnswer}
        />
      );
    case "read":
      return (
        <p class="agent-note agent-read">
          Read{" "}
          {item.paths.map((p, i) => (
            <Fragment key={p}>
              {i > 0 && ", "}
              <code>{shortPath(p, project)}</code>
            </Fragment>
          ))}
        </p>
      );
    case "written":
      return (
        <div class="agent-written">
          <FileChange verb="Changed" path={shortPath(item.path, project)} diff={item.diff} />
        </div>
      );
    case "refused":
      return (
        <p class="agent-refused notice">
          <strong>Refused: </strong>
          ClawBox stopped the agent from {refusedWhat(item.what, item.path !== null)}
          {item.path && (
            <>
              {" "}
              <code>{item.path}</code>
            </>
          )}
          : {item.reason}
        </p>
      );
    case "notice":
      return <p class="agent-note">{item.message}</p>;
    case "error":
      return <p class="agent-error error">{item.message}</p>;
    case "turn_ended":
      return <p class="agent-note agent-stopped">{STOPS[item.reason] ?? `The turn ended (${item.reason}).`}</p>;
    case "exited":
      if (item.closed) return <p class="agent-note agent-ended">The session has ended.</p>;
      return (
        <div class="agent-error error agent-exited" role="alert">
          <p>
            The agent stopped unexpectedly{item.code !== null ? ` (exit code ${item.code})` : ""}.
          </p>
          {item.stderr && (
            <>
              <p>Its last words:</p>
              <pre class="output" tabIndex={0}>
                {item.stderr}
              </pre>
            </>
          )}
        </div>
      );
  }
});

/** The words before the path, or in its place when there is none. */
function refusedWhat(what: string, withPath: boolean): string {
  switch (what) {
    case "read":
      return withPath ? "reading" : "reading a file";
    case "write":
      return withPath ? "changing" : "changing a file";
    case "terminal":
      return withPath ? "running a command in" : "running a command";
    case "permission":
      return withPath ? "going ahead with" : "going ahead";
    default:
      return withPath ? `${what}:` : what;
  }
}
