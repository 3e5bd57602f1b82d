// Kept conversations: how many responses ClawBox keeps for the routes whose upstream keeps none
// (never their content) and their size, and "Forget conversations", which asks first.
import { useState } from "preact/hooks";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorNote } from "../../components/ErrorNote";
import { useAction, useLoad } from "../../hooks";
import { conversationsSummary, forgetConversations } from "../../ipc";

export function Conversations() {
  const summary = useLoad(conversationsSummary, []);
  const [asking, setAsking] = useState(false);
  const forget = useAction();
  const data = summary.data;
  return (
    <section class="card" id="conversations" aria-labelledby="conversations-title">
      <h3 id="conversations-title">Conversations</h3>
      <ErrorNote message={summary.error} onRetry={summary.reload} />
      {data && (
        <>
          {data.problem ? (
            <p class="notice" id="conversations-problem">
              Nothing is kept: {data.problem}.
            </p>
          ) : (
            <p id="conversations-kept">
              {data.responses === 0
                ? "No conversations are kept."
                : `${data.responses} ${data.responses === 1 ? "response" : "responses"} kept (${size(data.bytes)}), encrypted on this computer.`}
            </p>
          )}
          <div class="actions start">
            <button
              type="button"
              id="forget-conversations"
              class="danger"
              disabled={forget.pending || data.responses + data.conversations === 0}
              onClick={() => setAsking(true)}
            >
              Forget conversations…
            </button>
          </div>
        </>
      )}
      <ErrorNote message={forget.error} />
      {asking && (
        <ConfirmDialog
          title="Forget every kept conversation?"
          confirmLabel="Forget them"
          onConfirm={() => {
            setAsking(false);
            void forget.run(async () => summary.set(await forgetConversations()));
          }}
          onCancel={() => setAsking(false)}
        >
          <p>Agents that continue one of them get "not found" and start afresh. This can't be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function size(bytes: number): string {
  const kb = bytes / 1024;
  return kb < 1024 ? `${Math.round(kb)} KB` : `${(kb / 1024).toFixed(1)} MB`;
}
