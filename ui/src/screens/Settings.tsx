// Every setting in one form. Saving sends only what changed; settings fixed by environment
// variables are shown but can't be edited here. The danger zone asks before deleting anything.
import { useEffect, useState } from "preact/hooks";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNote, Loading } from "../components/ErrorNote";
import { useAction, useLoad } from "../hooks";
import { clearHistory, getSettings, resetEverything, saveSettings } from "../ipc";
import { CAP_TIERS, diffSettings, FIELDS, pinnedBy, toForm, type Field, type FormValues } from "../settingsForm";
import { Conversations } from "./settings/Conversations";
import { Providers } from "./settings/Providers";
import { Updates } from "./settings/Updates";

export function Settings({ onReset }: { onReset: () => void }) {
  const settings = useLoad(getSettings, []);
  const [values, setValues] = useState<FormValues | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const [saved, setSaved] = useState<string | null>(null);
  const save = useAction();

  useEffect(() => {
    if (settings.data) setValues(toForm(settings.data));
  }, [settings.data]);

  const submit = (e: Event) => {
    e.preventDefault();
    if (!settings.data || !values) return;
    setSaved(null);
    const edit = diffSettings(settings.data, values);
    setErrors(edit.errors);
    if (edit.errors.length > 0) return;
    if (Object.keys(edit.change).length === 0) {
      setSaved("Nothing changed");
      return;
    }
    void save.run(async () => {
      settings.set(await saveSettings(edit.change));
      setSaved("Saved");
    });
  };

  const set = (key: string, value: string | boolean) => {
    setSaved(null);
    setValues((v) => ({ ...v, [key]: value }));
  };

  const problems = save.error ? [save.error, ...errors] : errors;
  return (
    <section id="settings" aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <ErrorNote message={settings.error} onRetry={settings.reload} />
      {!values && !settings.error && <Loading what="the settings" />}
      {values && settings.data && (
        <form class="settings" onSubmit={submit} noValidate>
          {FIELDS.map((field) => (
            <SettingInput
              key={field.key}
              field={field}
              value={values[field.key]}
              pinned={settings.data!.pinned.includes(field.key)}
              onChange={(v) => set(field.key, v)}
            />
          ))}
          {problems.length > 0 && (
            <div id="settings-error" class="error" role="alert">
              {problems.map((p) => (
                <p key={p}>{p}</p>
              ))}
            </div>
          )}
          <div class="actions start">
            <button type="submit" id="settings-save" class="primary" disabled={save.pending}>
              {save.pending ? "Saving…" : "Save"}
            </button>
            {saved && (
              <span id="settings-saved" class="ok" role="status">
                {saved}
              </span>
            )}
          </div>
        </form>
      )}
      <Providers />
      <Conversations />
      <Updates />
      <DangerZone onReset={onReset} />
    </section>
  );
}

type InputProps = { field: Field; value: string | boolean | undefined; pinned: boolean; onChange: (v: string | boolean) => void };

function SettingInput({ field, value, pinned, onChange }: InputProps) {
  const id = `setting-${field.key}`;
  const hintId = `${id}-hint`;
  const disabled = pinned || field.kind === "readonly";
  const hint = (
    <p class="hint" id={hintId}>
      {pinned ? `Set by ${pinnedBy(field.key)}. ` : ""}
      {field.hint}
    </p>
  );

  if (field.kind === "checkbox") {
    return (
      <div class="field check">
        <input
          id={id}
          type="checkbox"
          checked={value === true}
          disabled={disabled}
          aria-describedby={hintId}
          onChange={(e) => onChange(e.currentTarget.checked)}
        />
        <label for={id}>{field.label}</label>
        {hint}
      </div>
    );
  }
  return (
    <div class="field">
      <label for={id}>{field.label}</label>
      {field.kind === "mode" ? (
        <select
          id={id}
          value={String(value)}
          disabled={disabled}
          aria-describedby={hintId}
          onChange={(e) => onChange(e.currentTarget.value)}
        >
          <option value="local">Local</option>
          <option value="hosted">Hosted</option>
        </select>
      ) : field.kind === "number" || field.kind === "usd" ? (
        <input
          id={id}
          type="number"
          min={0}
          step={field.kind === "usd" ? 0.01 : 1}
          value={String(value ?? "")}
          disabled={disabled}
          aria-describedby={hintId}
          onInput={(e) => onChange(e.currentTarget.value)}
        />
      ) : (
        <input
          id={id}
          type="text"
          inputMode={field.kind === "url" ? "url" : undefined}
          spellcheck={false}
          value={String(value ?? "")}
          disabled={disabled}
          aria-describedby={hintId}
          onInput={(e) => onChange(e.currentTarget.value)}
        />
      )}
      {field.key === "monthly_cap" && !disabled && (
        <div class="presets" role="group" aria-label="The hosted ClawBox's tiers">
          {CAP_TIERS.map((tier) => (
            <button
              type="button"
              key={tier.cap}
              class="link"
              data-cap={tier.cap}
              aria-pressed={String(value) === String(tier.cap)}
              onClick={() => onChange(String(tier.cap))}
            >
              {tier.label}
            </button>
          ))}
        </div>
      )}
      {hint}
    </div>
  );
}

type Danger = "clear" | "reset";

function DangerZone({ onReset }: { onReset: () => void }) {
  const [asking, setAsking] = useState<Danger | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();

  const confirm = () => {
    const what = asking;
    setAsking(null);
    setDone(null);
    void action.run(async () => {
      if (what === "clear") {
        await clearHistory();
        setDone("The request history was deleted.");
      } else {
        await resetEverything();
        onReset();
      }
    });
  };

  return (
    <section class="card danger-zone" aria-labelledby="danger-title">
      <h3 id="danger-title">Danger zone</h3>
      <div class="actions start">
        <button type="button" id="clear-history" class="danger" disabled={action.pending} onClick={() => setAsking("clear")}>
          Delete request history…
        </button>
        <button
          type="button"
          id="reset-everything"
          class="danger"
          disabled={action.pending}
          onClick={() => setAsking("reset")}
        >
          Reset everything…
        </button>
      </div>
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
      <ErrorNote message={action.error} />
      {asking === "clear" && (
        <ConfirmDialog
          title="Delete the request history?"
          confirmLabel="Delete history"
          onConfirm={confirm}
          onCancel={() => setAsking(null)}
        >
          <p>Every recorded request is deleted: the dashboard and the request log start empty. This can't be undone.</p>
          <p>Your settings, keys, sign-in and connected .env files are kept.</p>
        </ConfirmDialog>
      )}
      {asking === "reset" && (
        <ConfirmDialog
          title="Reset everything?"
          confirmLabel="Reset everything"
          onConfirm={confirm}
          onCancel={() => setAsking(null)}
        >
          <p>This deletes, and can't be undone:</p>
          <ul>
            <li>all your settings,</li>
            <li>the whole request history, and every kept conversation,</li>
            <li>
              everything ClawBox keeps in the keychain: your saved API keys (your providers' too), your ChatGPT
              sign-in and the local key (connected agents stop working until you connect them again).
            </li>
          </ul>
          <p>Setup then starts over.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
