import { gatewayStatus, onRequests, onStatusChange, setMode, type GatewayStatus } from "./ipc";
import { describe } from "./status";

const statusLine = document.querySelector<HTMLParagraphElement>("#status")!;
const app = document.querySelector<HTMLElement>("#app")!;
let requests = 0;

function render(status: GatewayStatus) {
  const { state, text } = describe(status);
  statusLine.dataset.state = state;
  statusLine.textContent = text;
  let details = document.querySelector<HTMLElement>("#details");
  if (!details) {
    details = document.createElement("section");
    details.id = "details";
    app.append(details);
  }
  details.replaceChildren();
  if (status.running) {
    const point = document.createElement("p");
    point.append("Point an agent at it: ");
    const code = document.createElement("code");
    code.textContent = `OPENCLAW_GATEWAY_URL=${status.url}`;
    point.append(code);
    const count = document.createElement("p");
    count.id = "request-count";
    count.textContent = `Requests since the window opened: ${requests}`;
    const toggle = document.createElement("button");
    toggle.id = "mode-toggle";
    toggle.textContent = status.mode === "hosted" ? "Switch to local mode" : "Switch to hosted mode";
    toggle.onclick = async () => {
      try {
        render(await setMode(status.mode === "hosted" ? "local" : "hosted"));
      } catch (e) {
        showError(e);
      }
    };
    details.append(point, count, toggle);
    for (const problem of status.problems) {
      const p = document.createElement("p");
      p.className = "problem";
      p.textContent = problem;
      details.append(p);
    }
  }
}

function showError(e: unknown) {
  statusLine.dataset.state = "error";
  statusLine.textContent = (e as { message?: string }).message ?? String(e);
}

async function refresh() {
  try {
    render(await gatewayStatus());
  } catch (e) {
    showError(e);
  }
}

// Listen first, so no request finished while the status loads is missed.
try {
  await onRequests((events) => {
    requests += events.length;
    const count = document.querySelector("#request-count");
    if (count) count.textContent = `Requests since the window opened: ${requests}`;
  });
  await onStatusChange(() => void refresh());
} catch (e) {
  showError(e);
}
await refresh();
window.addEventListener("focus", () => void refresh());
