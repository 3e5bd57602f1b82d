// The ChatGPT plan's usage windows, each with what is left and when it resets.
import type { PlanLimits } from "../../ipc";
import { percentLeft, windowText } from "../../money";

export function PlanCard({ plan }: { plan: PlanLimits | null }) {
  if (!plan || plan.windows.length === 0) return null;
  return (
    <div id="plan-limits" class="plan">
      <h3>
        ChatGPT plan{plan.plan ? ` (${plan.plan})` : ""}
      </h3>
      {plan.windows.map((w) => {
        const left = percentLeft(w);
        return (
          <div key={w.window_minutes} class="plan-window" data-minutes={w.window_minutes}>
            <p>{windowText(w)}</p>
            <div
              class={left <= 20 ? "bar warn" : "bar"}
              role="progressbar"
              aria-label={`Share of the plan's window used`}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={Math.round(100 - left)}
            >
              <div class="bar-fill" style={{ width: `${100 - left}%` }} />
            </div>
          </div>
        );
      })}
    </div>
  );
}
