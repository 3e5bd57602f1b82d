// While "Sign in with ChatGPT" waits for the browser: what to do, and the address itself for
// when no browser opened (the page cannot open one: it has no shell access, by design).
export function SignInWaiting({ url }: { url: string | null }) {
  return (
    <div class="hint" role="status" id="sign-in-waiting">
      <p>Waiting for the browser… Finish signing in there, then come back.</p>
      {url && (
        <p>
          <label for="sign-in-url">No browser opened? Open this address in one:</label>
          <input
            id="sign-in-url"
            type="text"
            readOnly
            value={url}
            spellcheck={false}
            onFocus={(e) => e.currentTarget.select()}
          />
        </p>
      )}
    </div>
  );
}
