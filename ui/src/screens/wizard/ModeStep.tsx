// Step 1: where requests go (this computer's keys, or a hosted ClawBox) and who is sending them.
// A setup link or provisioning file fills it in, but saves nothing: the person sees the values,
// and a hosted address from a link must be confirmed before anything is sent there.
import { useEffect, useState } from "preact/hooks";
import { ErrorNote, Loading } from "../../components/ErrorNote";
import { useAction, useLoad } from "../../hooks";
import {
  dismissProvision,
  getSettings,
  saveSettings,
  type ChangedSettings,
  type Mode,
  type ProvisionOffer,
} from "../../ipc";
import { pinnedBy } from "../../settingsForm";

type Props = {
  offer: ProvisionOffer | null;
  /** Offer `id` was used or declined. */
  onOfferDone: (id: number) => void;
  onDone: (mode: Mode) => void;
};

export function ModeStep({ offer, onOfferDone, onDone }: Props) {
  const settings = useLoad(getSettings, []);
  const [mode, setMode] = useState<Mode>("local");
  const [userId, setUserId] = useState("");
  const [hostedUrl, setHostedUrl] = useState("");
  const [trusted, setTrusted] = useState(false);
  const save = useAction();
  const offered = offer?.values ?? null;

  // Offered values fill only what the person may change: a setting fixed by the environment
  // stays as it is (and is shown as it is).
  const pinned = settings.data?.pinned ?? [];
  const offers = (key: string) => !!offered && !pinned.includes(key);

  useEffect(() => {
    const s = settings.data;
    if (!s) return;
    const offeredMode = offered?.mode === "hosted" || offered?.mode === "local" ? offered.mode : null;
    const savedMode = s.mode === "hosted" ? "hosted" : "local";
    setMode((offers("mode") && offeredMode) || savedMode);
    setUserId((offers("user_id") && offered?.user_id) || s.user_id);
    setHostedUrl((offers("hosted_url") && offered?.hosted_url) || s.hosted_url);
  }, [settings.data, offered]);

  // The address came from a link, not from the person: they confirm it before it is used.
  const linkAddress = offers("hosted_url") ? offered?.hosted_url : undefined;
  const mustConfirm = mode === "hosted" && !!linkAddress && hostedUrl.trim() === linkAddress && !trusted;

  const decline = () =>
    void save.run(async () => {
      if (!offer) return;
      await dismissProvision(offer.id);
      onOfferDone(offer.id);
      const s = settings.data;
      if (s) {
        setMode(s.mode === "hosted" ? "hosted" : "local");
        setUserId(s.user_id);
        setHostedUrl(s.hosted_url);
      }
    });

  if (!settings.data) {
    return settings.error ? (
      <ErrorNote message={`Couldn't read the settings: ${settings.error}`} onRetry={settings.reload} />
    ) : (
      <Loading what="the settings" />
    );
  }
  const next = (e: Event) => {
    e.preventDefault();
    // Values fixed by the environment can't be saved from here; send the others.
    const change: ChangedSettings = {};
    if (!pinned.includes("mode")) change.mode = mode;
    if (!pinned.includes("user_id")) change.user_id = userId.trim();
    if (mode === "hosted" && !pinned.includes("hosted_url")) change.hosted_url = hostedUrl.trim();
    if (mustConfirm) return;
    void save.run(async () => {
      await saveSettings(change);
      if (offer) {
        await dismissProvision(offer.id);
        onOfferDone(offer.id);
      }
      onDone(mode);
    });
  };

  return (
    <form onSubmit={next}>
      {offer && (
        <div class={offer.error ? "error" : "notice"} role={offer.error ? "alert" : "status"} id="wizard-offer">
          {offer.error ? (
            <p>
              {offer.from === "a setup link" ? "This setup link" : "The provisioning file"} can't be used:{" "}
              {offer.error}. Ask whoever gave it to you for a new one, or fill in the form yourself.
            </p>
          ) : (
            <p>
              Filled in from {offer.from === "a setup link" ? "your setup link" : offer.from}. Check the details, then
              continue.
            </p>
          )}
          <button type="button" class="link" id="wizard-offer-decline" onClick={decline}>
            {offer.error ? "Dismiss" : "Don't use these details"}
          </button>
        </div>
      )}
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
          {linkAddress && hostedUrl.trim() === linkAddress && (
            <label class="choice confirm" for="wizard-trust">
              <input
                type="checkbox"
                id="wizard-trust"
                checked={trusted}
                onChange={(e) => setTrusted(e.currentTarget.checked)}
              />
              <span>
                I know this address: my agent's requests will go to <strong>{linkAddress}</strong>. Only tick
                this if your workshop or team gave it to you.
              </span>
            </label>
          )}
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
        <button type="submit" id="wizard-next" class="primary" disabled={save.pending || mustConfirm}>
          {save.pending ? "Saving…" : "Next"}
        </button>
      </div>
    </form>
  );
}
