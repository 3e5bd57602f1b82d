// The agent asks before doing something: what, where, the command or the change, and one button
// per answer it offered. Nothing is answered for the person here; once answered (by the person,
// their setting, or ClawBox refusing a path outside the project) the card says how, without buttons.
import { useState } from "preact/hooks";
import { ErrorNote } from "../../components/ErrorNote";
import { useAction } from "../../hooks";
import type { Answer, PermissionAsk } from "../../ipc";
import type { Answered } from "./conversation";
import { FileChange } from "./FileChange";
import { shortPath } from "./paths";
import { answerButtons, outcomeText } from "./permission";

type Props = {
  ask: PermissionAsk;
  answered: Answered | null;
  agentTitle: string;
  project: string;
  /** Resolves false when the agent no longer waits for this answer. */
  onAnswer: (request: number, answer: Answer) => Promise<boolean>;
};

export function PermissionCard({ ask, answered, agentTitle, project, onAnswer }: Props) {
  const sending = useAction();
  const [late, setLate] = useState(false);
  const [sent, setSent] = useState(false);
  const titleId = `permission-${ask.request}-title`;
  return (
    <div
      class={`permission-card${answered ? " answered" : ""}`}
      data-request={ask.request}
      role="group"
      aria-labelledby={titleId}
    >
      <p class="permission-title" id={titleId}>
        <strong>{answered ? `${agentTitle} asked: ` : `${agentTitle} asks: `}</strong>
        {ask.title}
      </p>
      {ask.paths.length > 0 && (
        <p class="paths">
          {ask.paths.length === 1 ? "File: " : "Files: "}
          {ask.paths.map((p) => (
            <code key={p}>{shortPath(p, project)}</code>
          ))}
        </p>
      )}
      {ask.command && (
        <>
          <p class="permission-label">Command:</p>
          <pre class="output command">{ask.command}</pre>
        </>
      )}
      {ask.diff && <FileChange path={shortPath(ask.paths[0] ?? "", project) || "The change"} diff={ask.diff} />}
      {answered ? (
        <p class="permission-outcome" role="status">
          {outcomeText(answered)}
        </p>
      ) : late ? (
        <p class="hint" role="status">
          The agent no longer waits for this answer.
        </p>
      ) : (
        <div class="actions start">
          {answerButtons(ask.options).map((b) => (
            <button
              type="button"
              key={b.answer}
              data-answer={b.answer}
              class={b.answer === "reject" ? "danger" : undefined}
              disabled={sending.pending || sent}
              onClick={() =>
                sending.run(async () => {
                  const taken = await onAnswer(ask.request, b.answer);
                  // The outcome comes as its own event; until then the buttons stay disabled.
                  if (taken) setSent(true);
                  else setLate(true);
                })
              }
            >
              {b.label}
            </button>
          ))}
        </div>
      )}
      <ErrorNote message={sending.error} />
    </div>
  );
}
