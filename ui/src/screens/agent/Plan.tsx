// The agent's plan as a checklist. Each step's state is in its mark and its words, not in colour
// alone.
import type { PlanItem } from "../../ipc";

const MARKS: Record<string, { mark: string; words: string }> = {
  completed: { mark: "✓", words: "done" },
  in_progress: { mark: "▸", words: "doing now" },
  pending: { mark: "○", words: "to do" },
};

export function Plan({ entries }: { entries: PlanItem[] }) {
  return (
    <div class="agent-plan">
      <p class="agent-label">Plan</p>
      <ul class="plan">
        {entries.map((e, i) => {
          const state = MARKS[e.status] ?? MARKS.pending!;
          return (
            <li key={i} class={`plan-${e.status}`}>
              <span class="mark" aria-hidden="true">
                {state.mark}
              </span>
              <span>
                {e.content}
                <span class="visually-hidden"> ({state.words})</span>
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
