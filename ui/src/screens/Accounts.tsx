// Everything ClawBox signs requests with, the tools and files it keeps pointed at itself, and a
// check that they all work. Secrets never reach this page: keys are written to the keychain and
// shown by name or fingerprint only.
import { useMemo, useState } from "preact/hooks";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNote, Loading } from "../components/ErrorNote";
import { SignInWaiting } from "../components/SignInWaiting";
import { PROVIDERS } from "../credentials";
import { useAction, useLoad } from "../hooks";
import {
  accounts as loadAccounts,
  connections as loadConnections,
  copyLocalKey,
  removeApiKey,
  rotateLocalKey,
  saveApiKey,
  signInChatGpt,
  signOutChatGpt,
  type Accounts as AccountsData,
  type EnvChange,
  type Provider,
} from "../ipc";
import { ConnectedFiles, ConnectTools, Doctor } from "./accounts/Tools";

export function Accounts() {
  const accounts = useLoad(loadAccounts, []);
  const data = accounts.data;
  const connections = useLoad(loadConnections, []);
  const connectedKinds = useMemo(() => new Set((connections.data ?? []).map((c) => c.kind)), [connections.data]);
  return (
    <section id="accounts" aria-labelledby="accounts-title">
      <h2 id="accounts-title">Accounts</h2>
      <ErrorNote message={accounts.error} onRetry={accounts.reload} />
      {!data && !accounts.error && <Loading what="your accounts" />}
      {data && (
        <>
          <p>
            Keys are kept in {data.keychain}.
            {data.auth_mode === "codex"
              ? " Requests to OpenAI are signed with your ChatGPT account."
              : " Requests are signed with your API key."}
          </p>
          {data.keychain_problem && <p class="problem">{data.keychain_problem}</p>}
          <LocalKey fingerprint={data.local_key} onRotated={accounts.reload} />
          <ChatGpt data={data} onChange={accounts.set} />
          <ApiKeys data={data} onChange={accounts.set} />
        </>
      )}
      <ConnectTools connected={connectedKinds} onConnected={connections.reload} />
      <ConnectedFiles list={connections} />
      <Doctor />
    </section>
  );
}

function LocalKey({ fingerprint, onRotated }: { fingerprint: string | null; onRotated: () => void }) {
  const copy = useAction();
  const rotate = useAction();
  const [copied, setCopied] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [rewritten, setRewritten] = useState<EnvChange[] | null>(null);

  const doRotate = () => {
    setConfirming(false);
    void rotate.run(async () => {
      setRewritten(await rotateLocalKey());
      onRotated();
    });
  };

  return (
    <section class="card" aria-labelledby="local-key-title">
      <h3 id="local-key-title">Local key</h3>
      <p>Agents send this key to ClawBox. Copy it to paste into an agent's settings; it is not shown here.</p>
      <p>
        Fingerprint: <code id="local-key-fingerprint">{fingerprint ?? "no key yet"}</code>
      </p>
      <div class="actions start">
        <button
          type="button"
          id="copy-local-key"
          disabled={!fingerprint || copy.pending}
          onClick={() =>
            copy.run(async () => {
              setCopied(false);
              await copyLocalKey();
              setCopied(true);
            })
          }
        >
          Copy key
        </button>
        <button type="button" id="rotate-local-key" disabled={rotate.pending} onClick={() => setConfirming(true)}>
          Make a new key…
        </button>
        {copied && (
          <span class="ok" role="status">
            Copied
          </span>
        )}
      </div>
      <ErrorNote message={copy.error ?? rotate.error} />
      {rewritten && (
        <div id="rotate-result" class="card ok" role="status">
          <p>New key made. The old one no longer works.</p>
          {rewritten.length === 0 ? (
            <p>No connected files needed updating; paste the new key into any agent you set up by hand.</p>
          ) : (
            <ul>
              {rewritten.map((change) => (
                <li key={change.path}>
                  <code>{change.path}</code>: {change.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {confirming && (
        <ConfirmDialog
          title="Make a new local key?"
          confirmLabel="Make a new key"
          onConfirm={doRotate}
          onCancel={() => setConfirming(false)}
        >
          <p>The current key stops working at once.</p>
          <p>
            ClawBox updates the files it connected. Agents you set up by hand keep failing until you paste
            the new key into them.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function ChatGpt({ data, onChange }: { data: AccountsData; onChange: (a: AccountsData) => void }) {
  const signIn = useAction();
  const [signInUrl, setSignInUrl] = useState<string | null>(null);
  const signOut = useAction();
  const account = data.chatgpt;
  return (
    <section class="card" aria-labelledby="chatgpt-title">
      <h3 id="chatgpt-title">ChatGPT account</h3>
      {account ? (
        <>
          <p id="chatgpt-account">
            Signed in as {account.email ?? "an unnamed account"}
            {account.plan && ` (${account.plan} plan)`}.
          </p>
          {account.needs_sign_in && <p class="problem">The sign-in has expired: sign in again.</p>}
        </>
      ) : (
        <p>Not signed in.</p>
      )}
      <div class="actions start">
        {(!account || account.needs_sign_in) && (
          <button
            type="button"
            id="chatgpt-sign-in"
            disabled={signIn.pending}
            onClick={() => signIn.run(async () => onChange(await signInChatGpt(setSignInUrl)))}
          >
            {account ? "Sign in again" : "Sign in with ChatGPT"}
          </button>
        )}
        {account && (
          <button
            type="button"
            id="chatgpt-sign-out"
            disabled={signOut.pending}
            onClick={() => signOut.run(async () => onChange(await signOutChatGpt()))}
          >
            Sign out
          </button>
        )}
      </div>
      {signIn.pending && <SignInWaiting url={signInUrl} />}
      <ErrorNote message={signIn.error ?? signOut.error} />
    </section>
  );
}

function ApiKeys({ data, onChange }: { data: AccountsData; onChange: (a: AccountsData) => void }) {
  return (
    <section class="card" aria-labelledby="api-keys-title">
      <h3 id="api-keys-title">API keys</h3>
      {PROVIDERS.map((p) => (
        <ApiKey
          key={p.id}
          provider={p.id}
          name={p.name}
          saved={data.api_keys.some((k) => k.provider === p.id)}
          onChange={onChange}
        />
      ))}
    </section>
  );
}

type ApiKeyProps = { provider: Provider; name: string; saved: boolean; onChange: (a: AccountsData) => void };

function ApiKey({ provider, name, saved, onChange }: ApiKeyProps) {
  const [key, setKey] = useState("");
  const [note, setNote] = useState<string | null>(null);
  const action = useAction();
  const id = `key-${provider}`;

  const save = (e: Event) => {
    e.preventDefault();
    if (!key.trim()) return;
    void action.run(async () => {
      onChange(await saveApiKey(provider, key.trim()));
      setKey("");
      setNote("Saved in the keychain");
    });
  };

  return (
    <form class="key-row" onSubmit={save} aria-labelledby={`${id}-title`}>
      <h4 id={`${id}-title`}>
        {name} <span class={saved ? "tag ok" : "tag"}>{saved ? "saved" : "no key"}</span>
      </h4>
      <div class="row">
        <label for={`${id}-input`} class="visually-hidden">
          New {name} API key
        </label>
        <input
          id={`${id}-input`}
          type="password"
          autoComplete="off"
          spellcheck={false}
          placeholder={saved ? `Replace the ${name} key` : `Paste an ${name} key`}
          value={key}
          onInput={(e) => {
            setKey(e.currentTarget.value);
            setNote(null);
          }}
        />
        <button type="submit" id={`${id}-save`} disabled={action.pending || !key.trim()}>
          Save
        </button>
        {saved && (
          <button
            type="button"
            id={`${id}-remove`}
            disabled={action.pending}
            onClick={() =>
              action.run(async () => {
                onChange(await removeApiKey(provider));
                setNote("Removed");
              })
            }
          >
            Remove
          </button>
        )}
      </div>
      {note && (
        <p class="ok" role="status">
          {note}
        </p>
      )}
      <ErrorNote message={action.error} />
    </form>
  );
}
