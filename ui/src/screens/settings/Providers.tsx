// Providers: other OpenAI-compatible services (OpenRouter, DeepSeek, Groq, a server on this
// computer…). Each has a base URL, the models it takes, and its key in the keychain (typed here,
// never shown again). A model goes to the provider whose names match it, or that lists it; the
// default upstream catches models nothing claims.
import { useState } from "preact/hooks";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorNote, Loading } from "../../components/ErrorNote";
import { useAction, useLoad } from "../../hooks";
import {
  addProvider,
  providers as loadProviders,
  removeProvider,
  saveProviderKey,
  setDefaultUpstream,
  type ProviderView,
  type ProvidersView,
} from "../../ipc";
import { formFor, keyState, modelsText, presetsToOffer, toNewProvider, type ProviderForm } from "../../providers";

export function Providers() {
  const view = useLoad(loadProviders, []);
  const data = view.data;
  return (
    <section class="card" id="providers" aria-labelledby="providers-title">
      <h3 id="providers-title">Providers</h3>
      <p class="hint">
        Use models from other OpenAI-compatible services. ClawBox sends a model to the provider whose model
        names match it, or that lists it, with the key you saved for that provider.
      </p>
      <ErrorNote message={view.error} onRetry={view.reload} />
      {!data && !view.error && <Loading what="the providers" />}
      {data && (
        <>
          {data.providers.length === 0 ? (
            <p id="no-providers">No providers yet.</p>
          ) : (
            <ul class="providers" aria-label="Your providers">
              {data.providers.map((p) => (
                <ProviderRow key={p.name} provider={p} onChange={view.set} />
              ))}
            </ul>
          )}
          <AddProvider data={data} onChange={view.set} />
          <DefaultUpstream data={data} onChange={view.set} />
        </>
      )}
    </section>
  );
}

type Changed = { onChange: (v: ProvidersView) => void };

function ProviderRow({ provider: p, onChange }: { provider: ProviderView } & Changed) {
  const [key, setKey] = useState("");
  const [removing, setRemoving] = useState(false);
  const action = useAction();
  const state = keyState(p);
  const id = `provider-${p.name}`;
  return (
    <li id={id} class="provider">
      <h4>
        {p.label} <span class={state.ok ? "tag ok" : "tag"}>{state.text}</span>
      </h4>
      <p class="hint">
        <code>{p.base_url}</code> · {modelsText(p)}
        {p.kind === "anthropic" && " · speaks Anthropic's API"}
      </p>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (!key.trim()) return;
          void action.run(async () => {
            onChange(await saveProviderKey(p.name, key.trim()));
            setKey("");
          });
        }}
      >
        {p.needs_key && (
          <>
            <label for={`${id}-key`} class="visually-hidden">
              New {p.label} API key
            </label>
            <input
              id={`${id}-key`}
              type="password"
              autoComplete="off"
              spellcheck={false}
              placeholder={p.key_saved ? `Replace the ${p.label} key` : `Paste a ${p.label} key`}
              value={key}
              onInput={(e) => setKey(e.currentTarget.value)}
            />
            <button type="submit" id={`${id}-save`} disabled={action.pending || !key.trim()}>
              Save key
            </button>
          </>
        )}
        <button type="button" id={`${id}-remove`} disabled={action.pending} onClick={() => setRemoving(true)}>
          Remove…
        </button>
      </form>
      {!p.key_saved && p.needs_key && p.keys_at && (
        <p class="hint">
          Get a key at <code>{p.keys_at}</code>
        </p>
      )}
      <ErrorNote message={action.error} />
      {removing && (
        <ConfirmDialog
          title={`Remove ${p.label}?`}
          confirmLabel="Remove"
          onConfirm={() => {
            setRemoving(false);
            void action.run(async () => onChange(await removeProvider(p.name)));
          }}
          onCancel={() => setRemoving(false)}
        >
          <p>Its models stop working through ClawBox, and its saved key is deleted from the keychain.</p>
        </ConfirmDialog>
      )}
    </li>
  );
}

function AddProvider({ data, onChange }: { data: ProvidersView } & Changed) {
  const offered = presetsToOffer(data.presets, data.providers);
  const [form, setForm] = useState<ProviderForm | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction();
  const set = (change: Partial<ProviderForm>) => {
    setProblem(null);
    setForm((f) => (f ? { ...f, ...change } : f));
  };
  const choose = (name: string) => {
    setProblem(null);
    setForm(name === "-" ? null : formFor(data.presets.find((p) => p.name === name)));
  };
  const preset = data.presets.find((p) => p.name === form?.preset);

  const submit = (e: Event) => {
    e.preventDefault();
    if (!form) return;
    const checked = toNewProvider(form);
    if ("error" in checked) {
      setProblem(checked.error);
      return;
    }
    void action.run(async () => {
      onChange(await addProvider(checked.provider));
      setForm(null);
    });
  };

  return (
    <form class="add-provider" onSubmit={submit} noValidate aria-labelledby="add-provider-title">
      <h4 id="add-provider-title">Add a provider</h4>
      <div class="field">
        <label for="provider-preset">Provider</label>
        <select id="provider-preset" value={form ? form.preset : "-"} onChange={(e) => choose(e.currentTarget.value)}>
          <option value="-">Choose…</option>
          {offered.map((p) => (
            <option key={p.name} value={p.name}>
              {p.label}
            </option>
          ))}
          <option value="">Another OpenAI-compatible API…</option>
        </select>
      </div>
      {form && (
        <>
          {!form.preset && (
            <>
              <Text id="provider-name" label="Name" value={form.name} onInput={(v) => set({ name: v })} hint="A short name, e.g. acme: it names the provider in the request log and in `clawbox-gateway key set`." />
              <div class="field">
                <label for="provider-kind">API</label>
                <select id="provider-kind" value={form.kind} onChange={(e) => set({ kind: e.currentTarget.value === "anthropic" ? "anthropic" : "openai" })}>
                  <option value="openai">OpenAI-compatible</option>
                  <option value="anthropic">Anthropic-compatible</option>
                </select>
              </div>
            </>
          )}
          <Text id="provider-base-url" label="Base URL" value={form.baseUrl} onInput={(v) => set({ baseUrl: v })} hint="The API base the provider's docs give to OpenAI's SDKs, usually ending in /v1." />
          <Text id="provider-models" label="Models" value={form.models} onInput={(v) => set({ models: v })} hint="Names or prefixes ending in *, comma-separated. Leave empty to use the models the provider lists." />
          <div class="field check">
            <input id="provider-needs-key" type="checkbox" checked={form.needsKey} onChange={(e) => set({ needsKey: e.currentTarget.checked })} />
            <label for="provider-needs-key">It needs an API key</label>
          </div>
          {form.needsKey && (
            <div class="field">
              <label for="provider-key">API key</label>
              <input id="provider-key" type="password" autoComplete="off" spellcheck={false} value={form.key} onInput={(e) => set({ key: e.currentTarget.value })} />
              <p class="hint">
                Kept in the keychain, never shown again.
                {preset?.keys_at && (
                  <>
                    {" "}
                    Get one at <code>{preset.keys_at}</code>
                  </>
                )}
              </p>
            </div>
          )}
          {(problem || action.error) && (
            <p id="add-provider-error" class="error" role="alert">
              {problem ?? action.error}
            </p>
          )}
          <div class="actions start">
            <button type="submit" id="add-provider" class="primary" disabled={action.pending}>
              {action.pending ? "Adding…" : "Add provider"}
            </button>
          </div>
        </>
      )}
    </form>
  );
}

function DefaultUpstream({ data, onChange }: { data: ProvidersView } & Changed) {
  const action = useAction();
  const choices = data.providers.filter((p) => p.kind === "openai");
  return (
    <div class="field">
      <label for="default-upstream">Models no provider claims</label>
      <select
        id="default-upstream"
        value={data.default_upstream}
        disabled={data.default_pinned || action.pending}
        aria-describedby="default-upstream-hint"
        onChange={(e) => {
          const upstream = e.currentTarget.value;
          void action.run(async () => onChange(await setDefaultUpstream(upstream)));
        }}
      >
        <option value="none">Answer "no route for this model"</option>
        <option value="openai">Send them to OpenAI's API (with your OpenAI key)</option>
        {choices.map((p) => (
          <option key={p.name} value={p.name}>
            Send them to {p.label}
          </option>
        ))}
      </select>
      <p class="hint" id="default-upstream-hint">
        {data.default_pinned ? "Set by CLAWBOX_DEFAULT_UPSTREAM. " : ""}
        Where a model goes when it is not a local model, not in your routes, not Claude or OpenAI's, and no
        provider takes it.
      </p>
      <ErrorNote message={action.error} />
    </div>
  );
}

type TextProps = { id: string; label: string; value: string; hint: string; onInput: (v: string) => void };

function Text({ id, label, value, hint, onInput }: TextProps) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type="text" spellcheck={false} value={value} aria-describedby={`${id}-hint`} onInput={(e) => onInput(e.currentTarget.value)} />
      <p class="hint" id={`${id}-hint`}>
        {hint}
      </p>
    </div>
  );
}
