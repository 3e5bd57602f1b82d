// A coding agent (Claude Code, Codex, or one added in settings) working in a project folder,
// run by ClawBox over the Agent Client Protocol: choose or install one, start or resume a
// session, then talk to it. The session lives in App's agent store, so it goes on while another
// screen is shown.
import { useLoad } from "../hooks";
import { agents } from "../ipc";
import type { LiveFeed } from "../liveFeed";
import type { SessionFilter } from "./Requests";
import { Launcher } from "./agent/Launcher";
import { Session } from "./agent/Session";
import { useAgentStore, type AgentStore } from "./agent/store";

type Props = {
  store: AgentStore;
  live: LiveFeed;
  /** Opens Requests on one session's model calls. */
  onSeeRequests: (session: SessionFilter) => void;
};

export function Agent({ store, live, onSeeRequests }: Props) {
  useAgentStore(store);
  const view = useLoad(agents, []);
  const shown = store.shown();
  return (
    <section id="agent" aria-labelledby="agent-title">
      <h2 id="agent-title">Agent</h2>
      {shown ? (
        <Session
          key={shown.id}
          store={store}
          record={shown}
          agents={view.data?.agents}
          live={live}
          onSeeRequests={onSeeRequests}
          onClosed={view.reload}
        />
      ) : (
        <Launcher view={view} store={store} />
      )}
    </section>
  );
}
