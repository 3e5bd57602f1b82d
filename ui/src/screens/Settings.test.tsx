import { afterEach, describe, expect, it, vi } from "vitest";
import type { Args } from "../test/backend";
import { clearMocks, everyday, fakeBackend, rejects } from "../test/backend";
import { $, choose, click, find, findText, mount, type, unmountAll } from "../test/dom";
import { settings } from "../test/fixtures";
import type { ChangedSettings } from "../ipc";
import { Settings } from "./Settings";

afterEach(() => {
  unmountAll();
  clearMocks();
});

function withSettings(pinned: string[] = []) {
  return fakeBackend({
    ...everyday(),
    get_settings: () => settings({ pinned }),
    save_settings: (a: Args) => settings({ pinned, ...(a.change as ChangedSettings) }),
    clear_history: () => null,
    reset_everything: () => null,
  });
}

const input = (id: string) => $(`#setting-${id}`) as HTMLInputElement;

describe("settings", () => {
  it("shows every setting with the right kind of input", async () => {
    withSettings();
    await mountSettings();
    expect(($("#setting-mode") as HTMLSelectElement).value).toBe("local");
    expect(input("port").type).toBe("number");
    expect(input("port").value).toBe("18789");
    expect(input("failover").type).toBe("checkbox");
    expect(input("launch_at_login").type).toBe("checkbox");
    expect(input("hosted_url").value).toBe("https://clawbox.example.org");
    expect(input("auth_mode").disabled).toBe(true);
    for (const el of document.querySelectorAll("#settings input, #settings select")) {
      expect(document.querySelector(`label[for="${el.id}"]`), el.id).not.toBeNull();
    }
  });

  it("sends only the fields that changed, then says Saved", async () => {
    const backend = withSettings();
    await mountSettings();
    await type("#setting-port", "18800");
    await click("#setting-failover");
    await choose("#setting-mode", "hosted");
    await click("#settings-save");
    await findText("#settings-saved", "Saved");
    expect(backend.argsOf("save_settings")).toEqual([{ change: { port: 18800, failover: true, mode: "hosted" } }]);

    // Saved values are the new baseline: saving again sends nothing.
    await click("#settings-save");
    await findText("#settings-saved", "Nothing changed");
    expect(backend.count("save_settings")).toBe(1);
  });

  it("shows pinned settings disabled, says which variable pins them, and never sends them", async () => {
    const backend = withSettings(["port", "hosted_url"]);
    await mountSettings();
    expect(input("port").disabled).toBe(true);
    expect(input("hosted_url").disabled).toBe(true);
    expect(input("user_id").disabled).toBe(false);
    expect($("#setting-port-hint")!.textContent).toContain("Set by CLAWBOX_LISTEN");
    expect($("#setting-hosted_url-hint")!.textContent).toContain("Set by CLAWBOX_HOSTED_URL");
    await type("#setting-user_id", "grace");
    await click("#settings-save");
    await findText("#settings-saved", "Saved");
    expect(backend.argsOf("save_settings")).toEqual([{ change: { user_id: "grace" } }]);
  });

  it("shows the backend's reason when a value is refused", async () => {
    const backend = withSettings();
    backend.on({ save_settings: rejects("invalid", "port: must be between 1 and 65535") });
    await mountSettings();
    await type("#setting-port", "70000");
    await click("#settings-save");
    await findText("#settings-error", "port: must be between 1 and 65535");
    expect($("#settings-saved")).toBeNull();
  });

  it("sets a budget in dollars, turns alerts off, and offers the hosted tiers as caps", async () => {
    const backend = withSettings();
    await mountSettings();
    expect(input("monthly_budget_usd").step).toBe("0.01");
    expect(input("usage_alerts").checked).toBe(true);
    await type("#setting-monthly_budget_usd", "12.50");
    await click("#setting-usage_alerts");
    const tiers = [...document.querySelectorAll<HTMLButtonElement>(".presets button")];
    expect(tiers.map((b) => b.textContent)).toEqual(["Tier 1: 10,000", "Tier 2: 50,000", "Tier 3: unlimited"]);
    // No cap (0) is the unlimited tier.
    expect(tiers[2]!.getAttribute("aria-pressed")).toBe("true");
    await click('.presets button[data-cap="50000"]');
    expect(input("monthly_cap").value).toBe("50000");
    await click("#settings-save");
    await findText("#settings-saved", "Saved");
    expect(backend.argsOf("save_settings")).toEqual([
      { change: { monthly_cap: 50000, monthly_budget_usd: 12.5, usage_alerts: false } },
    ]);
  });

  it("refuses a budget that is not an amount before asking the backend", async () => {
    const backend = withSettings();
    await mountSettings();
    await type("#setting-monthly_budget_usd", "-3");
    await click("#settings-save");
    await findText("#settings-error", "Monthly budget (US dollars) must be an amount like 25 or 12.50");
    expect(backend.count("save_settings")).toBe(0);
  });

  it("catches a number that isn't one before asking the backend", async () => {
    const backend = withSettings();
    await mountSettings();
    await type("#setting-rate_limit", "");
    await click("#settings-save");
    await findText("#settings-error", "Rate limit must be a whole number");
    expect(backend.count("save_settings")).toBe(0);
  });
});

describe("the danger zone", () => {
  it("asks before deleting the history, and Cancel keeps it", async () => {
    const backend = withSettings();
    await mountSettings();
    await click("#clear-history");
    await findText("[role=alertdialog]", "Every recorded request is deleted");
    expect(document.activeElement?.id).toBe("confirm-no");
    await click("#confirm-no");
    expect($("[role=alertdialog]")).toBeNull();
    expect(backend.count("clear_history")).toBe(0);

    await click("#clear-history");
    await click("#confirm-yes");
    await findText("#settings", "The request history was deleted.");
    expect(backend.count("clear_history")).toBe(1);
  });

  it("resets everything only after the confirmation spells out what is lost", async () => {
    const backend = withSettings();
    const onReset = vi.fn();
    mount(<Settings onReset={onReset} />);
    await find("#setting-port");
    await click("#reset-everything");
    const dialog = await findText("[role=alertdialog]", "saved API keys");
    expect(dialog).toContain("the whole request history");
    expect(backend.count("reset_everything")).toBe(0);
    await click("#confirm-yes");
    await vi.waitFor(() => expect(onReset).toHaveBeenCalledTimes(1));
    expect(backend.count("reset_everything")).toBe(1);
  });
});

async function mountSettings() {
  mount(<Settings onReset={() => {}} />);
  await find("#setting-port");
}
