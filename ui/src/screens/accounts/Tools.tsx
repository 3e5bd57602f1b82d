// Pointing Codex CLI, Claude Code and OpenClaw at ClawBox (previewed first, backed up, undoable),
// the files ClawBox keeps connected, and a check that every API and connected file works.
import { useState } from "preact/hooks";
import { CheckList } from "../../components/CheckList";
import { DiffView } from "../../components/DiffView";
import { ErrorNote, Loading } from "../../components/ErrorNote";
import { useAction, type Loaded } from "../../hooks";
import { connectTool, runDoctor, undoEnv, type AgentCheck, type Connection, type EnvChange } from "../../ipc";
import { checkSummary, connectionLabel, TOOLS, type Tool } from "../../tools";

type ConnectProps = {
  /** The kinds connected now, to mark their rows. */
  connected: Set<string>;
  onConnected: () => void;
};

export function ConnectTools({ connected, onConnected }: ConnectProps) {
  return (
    <section class="card" aria-labelledby="tools-title" id="tools">
      <h3 id="tools-title">Connect your tools</h3>
      <p class="hint">
        Preview shows the change first, keys masked. Comments and other settings stay as they were, the old file
        is kept as a backup, and Undo under Connected files puts it back.
      </p>
      {TOOLS.map((tool) => (
        <ToolRow key={tool.kind} tool={tool} connected={connected.has(tool.kind)} onConnected={onConnected} />
      ))}
    </section>
  );
}

function ToolRow({ tool, connected, onConnected }: { tool: Tool; connected: boolean; onConnected: () => void }) {
  const [preview, setPreview] = useState<EnvChange | null>(null);
  const [written, setWritten] = useState<EnvChange | null>(null);
  const action = useAction();
  const id = `tool-${tool.kind}`;

  const doPreview = () =>
    action.run(async () => {
      setWritten(null);
      setPreview(await connectTool(tool.kind, true));
    });

  const doConnect = () =>
    action.run(async () => {
      const change = await connectTool(tool.kind, false);
      setPreview(null);
      setWritten(change);
      onConnected();
    });

  return (
    <section class="tool-row" aria-labelledby={`${id}-title`}>
      <h4 id={`${id}-title`}>
        {tool.name}
        {connected && <span class="tag ok">connected</span>}
      </h4>
      <p class="hint">
        <code>{tool.file}</code>: {tool.what}
      </p>
      <div class="actions start">
        <button
          type="button"
          id={`${id}-preview`}
          aria-label={`Preview the ${tool.name} change`}
          disabled={action.pending}
          onClick={doPreview}
        >
          Preview
        </button>
        <button
          type="button"
          id={`${id}-connect`}
          aria-label={`Connect ${tool.name}`}
          disabled={action.pending}
          onClick={doConnect}
        >
          Connect
        </button>
      </div>
      <ErrorNote id={`${id}-error`} message={action.error} />
      {preview && (
        <div class="card">
          <p role="status">{preview.message}</p>
          {preview.changed ? (
            <DiffView id={`${id}-diff`} diff={preview.diff} />
          ) : (
            <p class="hint">
              Nothing to change: <code>{preview.path}</code> already points at ClawBox.
            </p>
          )}
        </div>
      )}
      {written && (
        <div id={`${id}-result`} class="card ok" role="status">
          <p>{written.message}</p>
          {written.backup && (
            <p>
              Backup of the old file: <code>{written.backup}</code>
            </p>
          )}
        </div>
      )}
    </section>
  );
}

export function ConnectedFiles({ list }: { list: Loaded<Connection[]> }) {
  const undo = useAction();
  const [undone, setUndone] = useState<string | null>(null);
  return (
    <section class="card" aria-labelledby="connections-title" id="connections">
      <h3 id="connections-title">Connected files</h3>
      <p class="hint">ClawBox keeps these up to date when its address or key changes.</p>
      <ErrorNote message={list.error} onRetry={list.reload} />
      {!list.data && !list.error && <Loading what="connected files" />}
      {list.data && list.data.length === 0 && (
        <p>No files connected yet. Connect a tool above, or let Setup connect your agent's .env file.</p>
      )}
      {list.data && list.data.length > 0 && (
        <ul class="connections">
          {list.data.map((c) => (
            <li key={c.path}>
              <span class="connection">
                <span class="tag kind">{connectionLabel(c.kind)}</span> <code>{c.path}</code>
              </span>
              <button
                type="button"
                aria-label={`Undo the changes to ${c.path}`}
                disabled={undo.pending}
                onClick={() =>
                  undo.run(async () => {
                    setUndone((await undoEnv(c.path)).message);
                    list.reload();
                  })
                }
              >
                Undo
              </button>
            </li>
          ))}
        </ul>
      )}
      {undone && (
        <p class="ok" role="status">
          {undone}
        </p>
      )}
      <ErrorNote message={undo.error} />
    </section>
  );
}

export function Doctor() {
  const [result, setResult] = useState<AgentCheck | null>(null);
  const check = useAction();

  // aria-disabled rather than disabled while checking, so the button keeps keyboard focus.
  const run = () => {
    if (check.pending) return;
    void check.run(async () => {
      setResult(null);
      setResult(await runDoctor());
    });
  };

  return (
    <section class="card" aria-labelledby="doctor-title" id="doctor">
      <h3 id="doctor-title">Compatibility</h3>
      <p class="hint">
        Sends small requests through ClawBox the way your tools do (chat completions, streamed usage, the
        Responses API, Anthropic Messages) and checks that every connected file still points at ClawBox.
      </p>
      <div class="actions start">
        <button
          type="button"
          id="run-doctor"
          class="primary"
          aria-disabled={check.pending ? "true" : undefined}
          onClick={run}
        >
          {check.pending ? "Checking…" : "Check compatibility"}
        </button>
        {check.pending && (
          <span class="visually-hidden" role="status">
            Checking compatibility, this takes a few seconds.
          </span>
        )}
      </div>
      <ErrorNote message={check.error} />
      {result && (
        <>
          <p id="doctor-result" class={result.ready ? "ok" : "error"} role="status">
            {checkSummary(result)}
          </p>
          <CheckList id="doctor-steps" steps={result.steps} />
        </>
      )}
    </section>
  );
}
