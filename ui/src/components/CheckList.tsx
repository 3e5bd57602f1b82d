// The steps of a check, each marked passed or failed (in words for screen readers, not by the
// mark's colour alone), with what to do about the failed ones.
import type { CheckStep } from "../bindings/CheckStep";

export function CheckList({ id, steps }: { id: string; steps: CheckStep[] }) {
  return (
    <ol id={id} class="checks">
      {steps.map((step, i) => (
        <li key={i} class={step.ok ? "passed" : "failed"}>
          <span class="mark" aria-hidden="true">
            {step.ok ? "✓" : "✗"}
          </span>
          <div>
            <strong>
              <span class="visually-hidden">{step.ok ? "Passed: " : "Failed: "}</span>
              {step.title}
            </strong>
            {step.detail && <p>{step.detail}</p>}
            {!step.ok && step.fix && <p class="fix">How to fix: {step.fix}</p>}
          </div>
        </li>
      ))}
    </ol>
  );
}
