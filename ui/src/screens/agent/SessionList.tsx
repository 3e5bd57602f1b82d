// The sessions ClawBox remembers in the chosen folder, newest first: one still running is shown
// again, one the agent can reopen is resumed, the others have ended for good.
import { formatDateTime, formatTime } from "../../format";
import type { AgentInfo, SessionRecord, SessionView } from "../../ipc";
import { agentTitle } from "./names";

type Props = {
  sessions: SessionView[];
  agents: AgentInfo[];
  busy: boolean;
  onShow: (record: SessionRecord) => void;
  onResume: (record: SessionRecord) => void;
};

export function SessionList({ sessions, agents, busy, onShow, onResume }: Props) {
  if (sessions.length === 0) return null;
  return (
    <div class="agent-sessions">
      <h3 id="agent-sessions-title">Sessions in this folder</h3>
      <ul id="agent-sessions" class="session-list" aria-labelledby="agent-sessions-title">
        {sessions.map(({ record, running }) => {
          const at = new Date(record.updated_at * 1000).toISOString();
          return (
            <li key={record.id} data-session={record.id}>
              <div class="session-text">
                <span class="session-title">{record.title}</span>
                <span class="hint block">
                  {agentTitle(agents, record.agent)} ·{" "}
                  <time dateTime={at} title={formatDateTime(at)}>
                    {formatTime(at)}
                  </time>
                </span>
              </div>
              {running ? (
                <button type="button" class="agent-show" disabled={busy} onClick={() => onShow(record)}>
                  Show <span class="visually-hidden">{record.title}</span>
                </button>
              ) : record.resumable ? (
                <button type="button" class="agent-resume" disabled={busy} onClick={() => onResume(record)}>
                  Resume <span class="visually-hidden">{record.title}</span>
                </button>
              ) : (
                <span class="tag">ended</span>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
