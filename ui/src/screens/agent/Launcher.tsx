// Before a session: which agent (installing it if need be), which project folder, and either a
// new session there or one of its earlier ones.
import { useState } from "preact/hooks";
import { ErrorNote, Loading } from "../../components/ErrorNote";
import type { Loaded } from "../../hooks";
import { useAction } from "../../hooks";
import { chooseFolder, startAgent, type AgentInfo, type AgentsView, type SessionRecord } from "../../ipc";
import { InstallAgent } from "./InstallAgent";
import { SessionList } from "./SessionList";
import type { AgentStore } from "./store";

type Props = { view: Loaded<AgentsView>; store: AgentStore };

export function Launcher({ view, store }: Props) {
  // Null until the person picks: then the first installed agent, and the most recent folder.
  const [picked, setPicked] = useState<string | null>(null);
  const [typed, setTyped] = useState<string | null>(null);
  const browsing = useAction();
  const opening = useAction();

  if (!view.data) {
    return view.error ? <ErrorNote message={view.error} onRetry={view.reload} /> : <Loading what="agents" />;
  }
  const { agents, projects, sessions } = view.data;
  const agent: AgentInfo | undefined =
    agents.find((a) => a.name === picked) ?? agents.find((a) => a.installed) ?? agents[0];
  const folder = typed ?? projects[0] ?? "";
  const project = folder.trim();
  const here = sessions.filter((s) => s.record.project === project);

  const open = (name: string, where: string, resume: string | null) =>
    opening.run(async () => {
      // Reopening replays the conversation through the agent: what was collected would repeat.
      if (resume) store.forget(resume);
      store.show(await startAgent(name, where, resume));
    });

  const installed = (list: AgentInfo[]) => view.set({ ...view.data!, agents: list });

  return (
    <div class="agent-launcher">
      <p>
        A coding agent works in a folder on this computer: it reads and changes files there when you ask it to.
        It reaches its model through ClawBox, so every call it makes shows up in Requests.
      </p>
      <div class="field">
        <label for="agent-pick">Agent</label>
        <select id="agent-pick" value={agent?.name ?? ""} onChange={(e) => setPicked(e.currentTarget.value)}>
          {agents.map((a) => (
            <option key={a.name} value={a.name}>
              {a.installed ? a.title : `${a.title} (not installed)`}
            </option>
          ))}
        </select>
      </div>
      {agent && !agent.installed && <InstallAgent key={agent.name} agent={agent} onInstalled={installed} />}

      <div class="field">
        <label for="agent-folder">Project folder</label>
        <div class="row">
          <input
            id="agent-folder"
            type="text"
            spellcheck={false}
            list="agent-folders"
            value={folder}
            aria-describedby="agent-folder-hint"
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
          <datalist id="agent-folders">
            {projects.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
          <button
            type="button"
            id="agent-choose-folder"
            disabled={browsing.pending}
            onClick={() =>
              browsing.run(async () => {
                const chosen = await chooseFolder();
                if (chosen !== null) setTyped(chosen);
              })
            }
          >
            Choose…
          </button>
        </div>
        <p id="agent-folder-hint" class="hint">
          The agent can read and change files only inside this folder.
        </p>
      </div>
      <ErrorNote message={browsing.error} />

      <div class="actions start">
        <button
          type="button"
          id="agent-start"
          class="primary"
          disabled={!agent?.installed || !project || opening.pending}
          onClick={() => agent && void open(agent.name, project, null)}
        >
          {opening.pending ? "Starting…" : agent ? `Start ${agent.title}` : "Start"}
        </button>
      </div>
      <ErrorNote message={opening.error} />

      <SessionList
        sessions={here}
        agents={agents}
        busy={opening.pending}
        onShow={(record: SessionRecord) => store.show(record)}
        onResume={(record) => void open(record.agent, record.project, record.id)}
      />
    </div>
  );
}
