// A newer ClawBox, found by the check made shortly after start: offered, never installed
// without a click. "Later" hides it until the next start.
import { useEffect, useState } from "preact/hooks";
import { useAction } from "../hooks";
import { installUpdate, onUpdateAvailable, type UpdateCheck } from "../ipc";
import { ErrorNote } from "./ErrorNote";

export function UpdateBanner() {
  const [found, setFound] = useState<UpdateCheck | null>(null);
  const [installing, setInstalling] = useState(false);
  const install = useAction();

  useEffect(() => {
    let stop: (() => void) | null = null;
    let closed = false;
    void onUpdateAvailable(setFound).then(
      (unlisten) => (closed ? unlisten() : (stop = unlisten)),
      () => {},
    );
    return () => {
      closed = true;
      stop?.();
    };
  }, []);

  if (!found?.available) return null;
  const run = () => {
    setInstalling(true);
    void install.run(installUpdate).then(() => setInstalling(false));
  };
  return (
    <div class="notice update-banner" role="status" id="update-banner">
      <span>
        <strong>ClawBox {found.available}</strong> is available (you have {found.current}).
      </span>
      <button type="button" class="primary" id="update-banner-install" disabled={installing} onClick={run}>
        {installing ? "Installing… ClawBox will restart" : "Install and restart"}
      </button>
      <button type="button" class="link" disabled={installing} onClick={() => setFound(null)}>
        Later
      </button>
      <ErrorNote message={install.error} />
    </div>
  );
}
