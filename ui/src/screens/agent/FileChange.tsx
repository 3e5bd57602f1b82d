// A file an agent changed or wants to change: its path, how many lines come and go, and the diff
// (long diffs scroll inside their own box).
import { DiffView } from "../../components/DiffView";
import type { FileDiff } from "../../ipc";

export function changeCounts(diff: FileDiff): string {
  return `+${diff.added} −${diff.removed}`;
}

export function FileChange({ path, diff, verb }: { path: string; diff: FileDiff; verb?: string }) {
  return (
    <div class="file-change">
      <p class="file-change-head">
        {verb && `${verb} `}
        <code>{path}</code> <span class="hint">({changeCounts(diff)})</span>
      </p>
      {diff.unified && <DiffView diff={diff.unified} />}
    </div>
  );
}
