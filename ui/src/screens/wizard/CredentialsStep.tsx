// Step 2 (local mode): something to sign requests with — a ChatGPT sign-in or an API key. The key
// goes straight to the keychain and is never shown again.
import { useState } from "preact/hooks";
import { ErrorNote, Loading } from "../../components/ErrorNote";
import { SignInWaiting } from "../../components/SignInWaiting";
import { credentialSummary, hasCredentials, PROVIDERS } from "../../credentials";
import { useAction, useLoad } from "../../hooks";
import { accounts as loadAccounts, saveApiKey, signInChatGpt, type Provider } from "../../ipc";

export function CredentialsStep({ onBack, onDone }: { onBack: () => void; onDone: () => void }) {
  const accounts = useLoad(loadAccounts, []);
  const signIn = useAction();
  const [signInUrl, setSignInUrl] = useState<string | null>(null);
  const saveKey = useAction();
  const [provider, setProvider] = useState<Provider>("openai");
  const [key, setKey] = useState("");
  const [saved, setSaved] = useState(false);

  if (!accounts.data) {
    return accounts.error ? (
      <ErrorNote message={`Couldn't read your accounts: ${accounts.error}`} onRetry={accounts.reload} />
    ) : (
      <Loading what="your accounts" />
    );
  }
  const current = accounts.data;
  const ready = hasCredentials(current);
  const summary = credentialSummary(current);

  const save = (e: Event) => {
    e.preventDefault();
    if (!key.trim()) return;
    setSaved(false);
    void saveKey.run(async () => {
      accounts.set(await saveApiKey(provider, key.trim()));
      setKey("");
      setSaved(true);
    });
  };

  return (
    <div>
      <p>ClawBox needs a way to pay for your agent's requests: your ChatGPT account, or an API key.</p>
      {current.keychain_problem && <p class="problem">{current.keychain_problem}</p>}
      {summary.length > 0 && (
        <ul class="summary" id="wizard-credentials">
          {summary.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}

      <section class="card" aria-labelledby="wizard-chatgpt-title">
        <h3 id="wizard-chatgpt-title">ChatGPT account</h3>
        <button
          type="button"
          id="wizard-chatgpt"
          disabled={signIn.pending}
          onClick={() => signIn.run(async () => accounts.set(await signInChatGpt(setSignInUrl)))}
        >
          Sign in with ChatGPT
        </button>
        {signIn.pending && <SignInWaiting url={signInUrl} />}
        <ErrorNote message={signIn.error} />
      </section>

      <form class="card" aria-labelledby="wizard-key-title" onSubmit={save}>
        <h3 id="wizard-key-title">Or paste an API key</h3>
        <div class="field">
          <label for="wizard-provider">Provider</label>
          <select
            id="wizard-provider"
            value={provider}
            onChange={(e) => setProvider(e.currentTarget.value as Provider)}
          >
            {PROVIDERS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="wizard-api-key">API key</label>
          <input
            id="wizard-api-key"
            type="password"
            autoComplete="off"
            spellcheck={false}
            value={key}
            onInput={(e) => {
              setKey(e.currentTarget.value);
              setSaved(false);
            }}
          />
        </div>
        <button type="submit" id="wizard-save-key" disabled={saveKey.pending || !key.trim()}>
          Save key
        </button>
        {saved && (
          <p class="ok" role="status">
            Saved in the keychain
          </p>
        )}
        <ErrorNote message={saveKey.error} />
      </form>

      <div class="actions">
        <button type="button" id="wizard-back" onClick={onBack}>
          Back
        </button>
        {ready ? (
          <button type="button" id="wizard-next" class="primary" onClick={onDone}>
            Next
          </button>
        ) : (
          <button type="button" id="wizard-skip" onClick={onDone}>
            Skip — I only use local models
          </button>
        )}
      </div>
    </div>
  );
}
