// Step 3: prove it works end to end (health, then one real test request), and for anything that
// failed, say what to do about it.
import { useState } from "preact/hooks";
import { CheckList } from "../../components/CheckList";
import { ErrorNote } from "../../components/ErrorNote";
import { useAction } from "../../hooks";
import { checkAgent, type AgentCheck } from "../../ipc";

export function CheckStep({ onBack, onDone }: { onBack: () => void; onDone: () => void }) {
  const [result, setResult] = useState<AgentCheck | null>(null);
  const check = useAction();

  const run = () =>
    check.run(async () => {
      setResult(null);
      setResult(await checkAgent());
    });

  return (
    <div>
      <p>ClawBox checks that it is running and sends one small test request, just as your agent would.</p>
      <button type="button" id="wizard-check" class={result ? "" : "primary"} disabled={check.pending} onClick={run}>
        {result ? "Check again" : "Check"}
      </button>
      {check.pending && (
        <p class="loading" role="status">
          Checking…
        </p>
      )}
      <ErrorNote message={check.error} />

      {result && (
        <>
          <CheckList id="wizard-steps" steps={result.steps} />
          <p id="wizard-result" class={result.ready ? "ok" : "error"} role="status">
            {result.ready ? "Agent ready" : "Not ready yet: fix the step marked ✗, then check again."}
          </p>
        </>
      )}

      <div class="actions">
        <button type="button" id="wizard-back" onClick={onBack}>
          Back
        </button>
        <button type="button" id="wizard-next" class={result?.ready ? "primary" : ""} onClick={onDone}>
          Next
        </button>
      </div>
    </div>
  );
}
