// Step 1: where requests go (this computer's keys, or a hosted ClawBox) and who is sending them.
import { useEffect, useState } from "preact/hooks";
import { ErrorNote, Loading } from "../../components/ErrorNote";
import { useAction, useLoad } from "../../hooks";
import { getSettings, saveSettings, type ChangedSettings, type Mode } from "../../ipc";
import { pinnedBy } from "../../settingsForm";

export function ModeStep({ onDone }: { onDone: (mode: Mode) => void }) {
  const settings = useLoad(getSettings, []);
  const [mode, setMode] = useState<Mode>("local");
  const [userId, setUserId] = useState("");
  const [hostedUrl, setHostedUrl] = useState("");
  const save = useAction();

  useEffect(() => {
    const s = settings.data;
    if (!s) return;
    setMode(s.mode === "hosted" ? "hosted" : "local");
    setUserId(s.user_id);
    setHostedUrl(s.hosted_url);
  }, [settings.data]);

  if (!settings.data) {
    return settings.error ? (
      <ErrorNote message={`Couldn't read the settings: ${settings.error}`} onRetry={settings.reload} />
    ) : (
      <Loading what="the settings" />
    );
  }
  const pinned = settings.data.pinned;

  const next = (e: Event) => {
    e.preventDefault();
    // Values fixed by the environment can't be saved from here; send the others.
    const change: ChangedSettings = {};
    if (!pinned.includes("mode")) change.mode = mode;
    if (!pinned.includes("user_id")) change.user_id = userId.trim();
    if (mode === "hosted" && !pinned.includes("hosted_url")) change.hosted_url = hostedUrl.trim();
    void save.run(async () => {
      await saveSettings(change);
      onDone(mode);
    });
  };

  return (
    <form onSubmit={next}>
      <fieldset disabled={pinned.includes("mode")}>
        <legend>Where should your agent's requests go?</legend>
        <label class="choice">
          <input
            type="radio"
            name="wizard-mode"
            id="wizard-mode-local"
            checked={mode === "local"}
            onChange={() => setMode("local")}
          />
          <span>
            <strong>Local</strong> — ClawBox sends them to OpenAI, Anthropic or your local models, with
            your own key or ChatGPT account.
          </span>
        </label>
        <label class="choice">
          <input
            type="radio"
            name="wizard-mode"
            id="wizard-mode-hosted"
            checked={mode === "hosted"}
            onChange={() => setMode("hosted")}
          />
          <span>
            <strong>Hosted</strong> — ClawBox passes them on to a ClawBox server run by your workshop or
            team.
          </span>
        </label>
        {pinned.includes("mode") && <p class="hint">Set by {pinnedBy("mode")}.</p>}
      </fieldset>

      {mode === "hosted" && (
        <div class="field">
          <label for="wizard-hosted-url">Hosted ClawBox address</label>
          <input
            id="wizard-hosted-url"
            type="text"
            inputMode="url"
            spellcheck={false}
            autoComplete="url"
            placeholder="https://clawbox.example.org"
            value={hostedUrl}
            disabled={pinned.includes("hosted_url")}
            onInput={(e) => setHostedUrl(e.currentTarget.value)}
          />
          <p class="hint" id="wizard-destination">
            {hostedUrl.trim()
              ? `Requests will be sent to ${hostedUrl.trim()}`
              : "Enter the address your workshop or team gave you."}
          </p>
        </div>
      )}

      <div class="field">
        <label for="wizard-user-id">Your user id</label>
        <input
          id="wizard-user-id"
          type="text"
          spellcheck={false}
          value={userId}
          disabled={pinned.includes("user_id")}
          aria-describedby="wizard-user-id-hint"
          onInput={(e) => setUserId(e.currentTarget.value)}
        />
        <p class="hint" id="wizard-user-id-hint">
          Your requests are counted under this name (for example your first name or email).
        </p>
      </div>

      <ErrorNote message={save.error} />
      <div class="actions">
        <button type="submit" id="wizard-next" class="primary" disabled={save.pending}>
          {save.pending ? "Saving…" : "Next"}
        </button>
      </div>
    </form>
  );
}
