// How full the agent's context window is: when it fills up, the agent starts forgetting or
// summarising the start of the conversation, so a new session may work better.
import { formatCount } from "../../format";

export function ContextMeter({ used, size }: { used: number; size: number }) {
  const share = size > 0 ? Math.min(1, used / size) : 0;
  const percent = Math.round(share * 100);
  return (
    <div id="agent-context" class="context-meter">
      <p class="hint">
        Context {percent}% full ({formatCount(used)} of {formatCount(size)} tokens)
      </p>
      <div class={`bar${share >= 0.8 ? " warn" : ""}`} aria-hidden="true">
        <div class="bar-fill" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}
