// A known agent that is not installed yet: why it cannot run, and installing it from npm with
// npm's own progress lines shown as they come (it takes a minute; the lines show it is moving).
import { useState } from "preact/hooks";
import { ErrorNote } from "../../components/ErrorNote";
import { useAction } from "../../hooks";
import { installAgent, onAgentInstall, type AgentInfo } from "../../ipc";

/** Enough to see what npm is doing without the page growing without end. */
const KEEP_LINES = 200;

type Props = { agent: AgentInfo; onInstalled: (agents: AgentInfo[]) => void };

export function InstallAgent({ agent, onInstalled }: Props) {
  const installing = useAction();
  const [lines, setLines] = useState<string[]>([]);

  const install = () =>
    installing.run(async () => {
      setLines([]);
      // Listening before asking, so no early line is missed.
      const stop = await onAgentInstall((p) => {
        if (p.agent === agent.name) setLines((l) => [...l, p.line].slice(-KEEP_LINES));
      });
      try {
        onInstalled(await installAgent(agent.name));
      } finally {
        stop();
      }
    });

  return (
    <div class="install">
      {agent.problem && (
        <p id="agent-problem" class="notice">
          {agent.problem}
        </p>
      )}
      {agent.known && (
        <div class="actions start">
          <button type="button" id="agent-install" disabled={installing.pending} onClick={() => void install()}>
            {installing.pending ? `Installing ${agent.title}…` : `Install ${agent.title}`}
          </button>
        </div>
      )}
      {installing.pending && (
        <p class="loading" role="status">
          Installing {agent.title}. This can take a minute.
        </p>
      )}
      {(installing.pending || lines.length > 0) && (
        <pre id="agent-install-log" class="output" aria-live="polite" aria-label="Installation progress" tabIndex={0}>
          {lines.join("\n")}
        </pre>
      )}
      <ErrorNote message={installing.error} />
    </div>
  );
}
