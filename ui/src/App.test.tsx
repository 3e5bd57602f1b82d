import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import type { Args } from "./test/backend";
import { clearMocks, emitEvent, everyday, fakeBackend } from "./test/backend";
import { $, click, find, findText, mount, unmountAll } from "./test/dom";
import { liveRequest, settings, status } from "./test/fixtures";

afterEach(() => {
  unmountAll();
  clearMocks();
});

describe("the window", () => {
  it("shows where the gateway runs and opens on the dashboard once set up", async () => {
    fakeBackend(everyday());
    mount(<App />);
    await findText("#status", "Gateway running on http://127.0.0.1:18789 (local mode)");
    expect($("#status")!.dataset.state).toBe("running");
    await find("#dashboard");
    expect($("#wizard")).toBeNull();
    expect($("#nav-dashboard")!.getAttribute("aria-current")).toBe("page");
  });

  it("counts requests as the gateway reports them", async () => {
    fakeBackend(everyday());
    mount(<App />);
    await findText("#request-count", "Requests since the window opened: 0");
    await emitEvent("requests", [liveRequest("1"), liveRequest("2")]);
    await findText("#request-count", "Requests since the window opened: 2");
    await emitEvent("requests", [liveRequest("3")]);
    await findText("#request-count", "Requests since the window opened: 3");
  });

  it("shows a usage alert the gateway raised until it is dismissed", async () => {
    fakeBackend(everyday());
    mount(<App />);
    // The status is read once every event is listened to.
    await findText("#status", "Gateway running");
    await emitEvent("usage-alert", {
      title: "ChatGPT plan: 80% of the 5-hour window used",
      body: "5-hour: 19% left, resets in 1 h 2 min.",
    });
    await findText("#usage-alerts", "80% of the 5-hour window used");
    expect($("#usage-alerts")!.textContent).toContain("19% left");
    await click("#usage-alerts button");
    expect($("#usage-alerts")).toBeNull();
  });

  it("switches mode from the status bar", async () => {
    let mode = "local";
    const backend = fakeBackend({
      ...everyday(),
      gateway_status: () => status({ mode }),
      set_mode: (a: Args) => {
        mode = String(a.mode);
        return status({ mode });
      },
    });
    mount(<App />);
    await findText("#mode-toggle", "Switch to hosted mode");
    await click("#mode-toggle");
    await findText("#status", "(hosted mode)");
    expect(backend.argsOf("set_mode")).toEqual([{ mode: "hosted" }]);
    expect($("#mode-toggle")!.textContent).toBe("Switch to local mode");
  });

  it("reads the status again when the gateway says it changed", async () => {
    let running = false;
    const backend = fakeBackend({
      ...everyday(),
      gateway_status: () => (running ? status() : status({ running: false, starting: true, url: null })),
    });
    mount(<App />);
    await vi.waitFor(() => expect(backend.count("gateway_status")).toBe(1));
    await findText("#status", "Starting the gateway…");
    running = true;
    await emitEvent("status");
    await findText("#status", "Gateway running on");
    expect(backend.count("gateway_status")).toBe(2);
  });

  it("offers a free port when the usual one is taken", async () => {
    let port = 18789;
    const backend = fakeBackend({
      ...everyday(),
      gateway_status: () =>
        port === 18789
          ? status({ running: false, url: null, error: "127.0.0.1:18789 is already in use", port_taken: true })
          : status({ port, url: `http://127.0.0.1:${port}` }),
      free_port: () => 18790,
      save_settings: (a: Args) => {
        port = (a.change as { port: number }).port;
        return settings({ port });
      },
    });
    mount(<App />);
    await findText("#status", "The gateway is not running: 127.0.0.1:18789 is already in use");
    expect($("#status")!.dataset.state).toBe("error");
    await findText("#use-free-port", "Use port 18790 instead");
    await click("#use-free-port");
    await findText("#status", "Gateway running on http://127.0.0.1:18790");
    expect(backend.argsOf("save_settings")).toEqual([{ change: { port: 18790 } }]);
    expect($("#use-free-port")).toBeNull();
  });

  it("lists the gateway's problems", async () => {
    fakeBackend({
      ...everyday(),
      gateway_status: () => status({ health: "degraded", problems: ["No OpenAI key: add one in Accounts."] }),
    });
    mount(<App />);
    await findText(".problem", "No OpenAI key: add one in Accounts.");
  });

  it("shows the setup again after resetting everything", async () => {
    let onboarded = true;
    const backend = fakeBackend({
      ...everyday(),
      gateway_status: () => status({ onboarded }),
      reset_everything: () => {
        onboarded = false;
        return null;
      },
    });
    mount(<App />);
    await find("#dashboard");
    await click("#nav-settings");
    await click("#reset-everything");
    await click("#confirm-yes");
    await find("#wizard");
    expect(backend.count("reset_everything")).toBe(1);
    expect($("#nav-setup")!.getAttribute("aria-current")).toBe("page");
  });

  it("goes to each screen from the navigation", async () => {
    fakeBackend(everyday());
    mount(<App />);
    expect([...document.querySelectorAll(".nav button")].map((b) => b.textContent)).toEqual([
      "Dashboard",
      "Agent",
      "Requests",
      "Accounts",
      "Settings",
      "Setup",
    ]);
    for (const [nav, screen] of [
      ["#nav-agent", "#agent"],
      ["#nav-requests", "#requests"],
      ["#nav-accounts", "#accounts"],
      ["#nav-settings", "#settings"],
      ["#nav-setup", "#wizard"],
      ["#nav-dashboard", "#dashboard"],
    ] as const) {
      await click(nav);
      await find(screen);
    }
    await vi.waitFor(() => expect($("#nav-dashboard")!.getAttribute("aria-current")).toBe("page"));
  });
});
