// The always-visible top of the window: is the gateway running, where, in which mode, how many
// requests went through since the window opened, and what is wrong (with a way out).
import { useEffect, useState } from "preact/hooks";
import { errorMessage } from "../format";
import { useAction } from "../hooks";
import { freePort, saveSettings, setMode, type GatewayStatus } from "../ipc";
import { describe } from "../status";
import { ErrorNote } from "./ErrorNote";

type Props = {
  status: GatewayStatus | null;
  /** Why the status itself could not be read. */
  statusError: string | null;
  requestCount: number;
  onStatus: (status: GatewayStatus) => void;
  refresh: () => void;
};

export function StatusBar({ status, statusError, requestCount, onStatus, refresh }: Props) {
  const toggle = useAction();
  const line = statusError
    ? { state: "error", text: statusError }
    : status
      ? describe(status)
      : { state: "starting", text: "Starting the gateway…" };
  const hosted = status?.mode === "hosted";

  return (
    <header class="statusbar">
      <div class="statusbar-main">
        <span class="brand">ClawBox</span>
        <p id="status" data-state={line.state} aria-live="polite">
          {line.text}
        </p>
        <p id="request-count">Requests since the window opened: {requestCount}</p>
        <button
          type="button"
          id="mode-toggle"
          disabled={!status || toggle.pending}
          onClick={() => toggle.run(async () => onStatus(await setMode(hosted ? "local" : "hosted")))}
        >
          {hosted ? "Switch to local mode" : "Switch to hosted mode"}
        </button>
      </div>
      <ErrorNote message={toggle.error} />
      {status?.port_taken && <PortWayOut port={status.port} refresh={refresh} />}
      {status && status.problems.length > 0 && (
        <ul class="problems">
          {status.problems.map((problem) => (
            <li class="problem" key={problem}>
              {problem}
            </li>
          ))}
        </ul>
      )}
    </header>
  );
}

/** Another program holds the port: offer a free one, one click away. */
function PortWayOut({ port, refresh }: { port: number; refresh: () => void }) {
  const [free, setFree] = useState<number | null>(null);
  const [lookupError, setLookupError] = useState<string | null>(null);
  const move = useAction();

  useEffect(() => {
    freePort().then(setFree, (e) => setLookupError(errorMessage(e)));
  }, [port]);

  return (
    <div id="port-taken" class="notice">
      <p>
        Another program is already using port {port}, so agents can't reach ClawBox there. Close that
        program, or let ClawBox use a different port (agents you set up by hand will need the new address).
      </p>
      {free !== null && (
        <button
          type="button"
          id="use-free-port"
          disabled={move.pending}
          onClick={() =>
            move.run(async () => {
              await saveSettings({ port: free });
              refresh();
            })
          }
        >
          Use port {free} instead
        </button>
      )}
      <ErrorNote message={lookupError ?? move.error} />
    </div>
  );
}
