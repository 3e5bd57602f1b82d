// Updates: ask the update server for a newer signed ClawBox, and install it (ClawBox restarts).
// The backend verifies the signature and refuses older versions; this says what it found.
import { useState } from "preact/hooks";
import { ErrorNote } from "../../components/ErrorNote";
import { useAction, useLoad } from "../../hooks";
import { appVersion, checkUpdate, installUpdate, type UpdateCheck } from "../../ipc";

export function Updates() {
  const version = useLoad(appVersion, []);
  const [found, setFound] = useState<UpdateCheck | null>(null);
  const [installing, setInstalling] = useState(false);
  const check = useAction();
  const install = useAction();

  const runCheck = () => {
    setFound(null);
    install.clearError();
    void check.run(async () => setFound(await checkUpdate()));
  };

  const runInstall = () => {
    setInstalling(true);
    void install.run(installUpdate).then(() => setInstalling(false));
  };

  return (
    <section class="card" aria-labelledby="updates-title">
      <h3 id="updates-title">Updates</h3>
      {version.data && (
        <p id="app-version" class="hint">
          This is ClawBox {version.data}.
        </p>
      )}
      <div class="actions start">
        <button type="button" id="check-update" disabled={check.pending || installing} onClick={runCheck}>
          {check.pending ? "Checking…" : "Check for updates"}
        </button>
      </div>
      <ErrorNote message={check.error} id="update-error" />
      {found && (
        <div id="update-result" role="status">
          {found.available ? (
            <>
              <p>
                <strong>ClawBox {found.available}</strong> is available (you have {found.current}).
              </p>
              {found.notes && <p class="hint">{found.notes}</p>}
              <div class="actions start">
                <button type="button" id="install-update" class="primary" disabled={installing} onClick={runInstall}>
                  {installing ? "Installing… ClawBox will restart" : "Install and restart"}
                </button>
              </div>
            </>
          ) : found.refused_older ? (
            <p class="notice">
              The update server offered version {found.refused_older}, older than this ClawBox ({found.current}).
              ClawBox never installs an older version, so nothing changed.
            </p>
          ) : (
            <p class="ok">ClawBox {found.current} is the newest version.</p>
          )}
        </div>
      )}
      <ErrorNote message={install.error} id="update-install-error" />
    </section>
  );
}
