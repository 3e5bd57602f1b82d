// Step 4 (optional): point the agent at ClawBox by editing its .env — previewed first, backed up,
// and undoable from the Accounts screen. Or, instead of an agent of their own, the person can
// try one ClawBox runs itself ("Try it now" opens the Agent screen).
import { useState } from "preact/hooks";
import { DiffView } from "../../components/DiffView";
import { ErrorNote } from "../../components/ErrorNote";
import { useAction } from "../../hooks";
import { chooseFolder, connectEnv, saveSettings, type EnvChange } from "../../ipc";

type Props = { url: string | null; onBack: () => void; onFinish: () => void; onTry: () => void };

export function ConnectStep({ url, onBack, onFinish, onTry }: Props) {
  const [path, setPath] = useState("");
  const [preview, setPreview] = useState<EnvChange | null>(null);
  const [written, setWritten] = useState<EnvChange | null>(null);
  const browse = useAction();
  const env = useAction();
  const finish = useAction();

  const choose = (p: string) => {
    setPath(p);
    setPreview(null);
    setWritten(null);
  };

  return (
    <div>
      <p>
        ClawBox can add its address{url ? ` (${url})` : ""} and its local key to your agent's .env file. You
        see the change first, and the old file is kept as a backup. You can also skip this and set the agent
        up yourself.
      </p>
      <div class="field">
        <label for="wizard-env-path">Your agent's project folder, or its .env file</label>
        <div class="row">
          <input
            id="wizard-env-path"
            type="text"
            spellcheck={false}
            value={path}
            onInput={(e) => choose(e.currentTarget.value)}
          />
          <button
            type="button"
            id="wizard-browse"
            disabled={browse.pending}
            onClick={() =>
              browse.run(async () => {
                const folder = await chooseFolder();
                if (folder !== null) choose(folder);
              })
            }
          >
            Choose folder…
          </button>
        </div>
      </div>
      <ErrorNote message={browse.error} />

      <div class="actions start">
        <button
          type="button"
          id="wizard-preview"
          disabled={!path.trim() || env.pending}
          onClick={() => env.run(async () => setPreview(await connectEnv(path.trim(), true)))}
        >
          Preview the change
        </button>
        <button
          type="button"
          id="wizard-connect"
          disabled={!path.trim() || env.pending}
          onClick={() =>
            env.run(async () => {
              setWritten(await connectEnv(path.trim(), false));
              setPreview(null);
            })
          }
        >
          Connect
        </button>
      </div>
      <ErrorNote message={env.error} />

      {preview && (
        <div class="card">
          <p>{preview.message}</p>
          {preview.changed ? (
            <DiffView id="wizard-diff" diff={preview.diff} />
          ) : (
            <p class="hint">Nothing to change: {preview.path} already points at ClawBox.</p>
          )}
        </div>
      )}
      {written && (
        <div id="wizard-env-result" class="card ok" role="status">
          <p>{written.message}</p>
          {written.backup && (
            <p>
              Backup of the old file: <code>{written.backup}</code>
            </p>
          )}
        </div>
      )}

      <p class="hint">
        No agent of your own yet? ClawBox can run Claude Code or Codex for you in a folder you choose,
        through ClawBox: "Try it now".
      </p>
      <ErrorNote message={finish.error} />
      <div class="actions">
        <button type="button" id="wizard-back" onClick={onBack}>
          Back
        </button>
        <button
          type="button"
          id="wizard-finish"
          disabled={finish.pending}
          onClick={() =>
            finish.run(async () => {
              await saveSettings({ onboarded: true });
              onFinish();
            })
          }
        >
          {written ? "Finish" : "Finish without connecting"}
        </button>
        {/* Setup counts as done either way: trying the agent is its natural last step. */}
        <button
          type="button"
          id="try-agent"
          class="primary"
          disabled={finish.pending}
          onClick={() =>
            finish.run(async () => {
              await saveSettings({ onboarded: true });
              onTry();
            })
          }
        >
          Try it now
        </button>
      </div>
    </div>
  );
}
