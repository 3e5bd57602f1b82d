import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../../App";
import type { Args } from "../../test/backend";
import { clearMocks, emitEvent, everyday, fakeBackend } from "../../test/backend";
import { $, click, find, findText, findValue, mount, unmountAll } from "../../test/dom";
import { settings, status } from "../../test/fixtures";

afterEach(() => {
  unmountAll();
  clearMocks();
});

const LINK = {
  id: 1,
  values: { user_id: "trainee-07", hosted_url: "https://gw.workshop.example", mode: "hosted" },
  from: "a setup link",
  error: null,
};

function onboardedUser(offer: unknown, pinned: string[] = []) {
  return fakeBackend({
    ...everyday(),
    gateway_status: () => status({ onboarded: true }),
    get_settings: () => settings({ pinned }),
    pending_provision: () => offer,
    save_settings: () => settings({ mode: "hosted" }),
    dismiss_provision: () => null,
    check_agent: () => ({ ready: true, steps: [] }),
  });
}

describe("a setup link", () => {
  it("opens setup filled in, and the hosted address is used only once the person confirms it", async () => {
    const backend = onboardedUser(LINK);
    mount(<App />);

    await findText("#wizard-offer", "Filled in from your setup link");
    expect(($("#wizard-user-id") as HTMLInputElement).value).toBe("trainee-07");
    expect(($("#wizard-mode-hosted") as HTMLInputElement).checked).toBe(true);
    expect(($("#wizard-hosted-url") as HTMLInputElement).value).toBe("https://gw.workshop.example");
    await findText("#wizard", "my agent's requests will go to https://gw.workshop.example");

    // Not yet confirmed: nothing can be saved, not even by pressing Enter in a field.
    expect(($("#wizard-next") as HTMLButtonElement).disabled).toBe(true);
    $("#wizard-user-id")!.closest("form")!.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    expect(backend.count("save_settings")).toBe(0);

    await click("#wizard-trust");
    expect(($("#wizard-next") as HTMLButtonElement).disabled).toBe(false);
    await click("#wizard-next");
    await findText(".step-title", "Check that it works");
    expect(backend.argsOf("save_settings")).toEqual([
      { change: { mode: "hosted", user_id: "trainee-07", hosted_url: "https://gw.workshop.example" } },
    ]);
    expect(backend.argsOf("dismiss_provision")).toEqual([{ id: 1 }]);
  });

  it("can be declined, putting back the saved settings and saving nothing", async () => {
    const backend = onboardedUser(LINK);
    mount(<App />);
    await find("#wizard-offer");
    await click("#wizard-offer-decline");
    await findValue("#wizard-user-id", "ada");
    expect($("#wizard-offer")).toBeNull();
    expect(($("#wizard-mode-local") as HTMLInputElement).checked).toBe(true);
    expect(backend.count("dismiss_provision")).toBe(1);
    expect(backend.count("save_settings")).toBe(0);
  });

  it("that is broken says why, and one opened while ClawBox runs opens setup from any screen", async () => {
    const backend = onboardedUser(null);
    mount(<App />);
    await find("#dashboard");
    // The window asks for a waiting offer once it listens for new ones.
    await vi.waitFor(() => expect(backend.count("pending_provision")).toBe(1));
    expect($("#wizard")).toBeNull();

    await emitEvent("provision", {
      id: 2,
      values: null,
      from: "a setup link",
      error: "the setup link's hosted_url is not usable: `http://evil.example` must use https://",
    });
    await findText("#wizard-offer", "This setup link can't be used");
    await findText("#wizard-offer", "must use https://");
    // The form keeps the saved values.
    expect(($("#wizard-user-id") as HTMLInputElement).value).toBe("ada");
  });

  it("changing the offered address to one typed by hand needs no confirmation", async () => {
    const backend = onboardedUser(LINK);
    mount(<App />);
    await find("#wizard-trust");
    const url = $("#wizard-hosted-url") as HTMLInputElement;
    url.value = "https://other.example";
    url.dispatchEvent(new Event("input", { bubbles: true }));
    await click("#wizard-next");
    await findText(".step-title", "Check that it works");
    expect((backend.argsOf("save_settings")[0] as Args).change).toMatchObject({ hosted_url: "https://other.example" });
  });

  it("never overrides a setting fixed by the environment, nor asks to trust an address that won't be used", async () => {
    const backend = onboardedUser(LINK, ["mode", "hosted_url"]);
    mount(<App />);
    await findText("#wizard-offer", "Filled in from your setup link");
    await findValue("#wizard-user-id", "trainee-07");
    // The pinned mode (local) stays, so no hosted address is shown or saved.
    expect(($("#wizard-mode-local") as HTMLInputElement).checked).toBe(true);
    expect($("#wizard-hosted-url")).toBeNull();
    expect($("#wizard-trust")).toBeNull();
    await click("#wizard-next");
    await find("#wizard-api-key");
    expect(backend.argsOf("save_settings")).toEqual([{ change: { user_id: "trainee-07" } }]);
  });

  it("from a broken provisioning file names the file's problem", async () => {
    onboardedUser({
      id: 1,
      values: null,
      from: "/home/ada/.local/share/ai.organized.clawbox/provision.json",
      error: "the provisioning file /home/ada/.local/share/ai.organized.clawbox/provision.json is not usable: unknown field `user`",
    });
    mount(<App />);
    await findText("#wizard-offer", "The provisioning file can't be used: the provisioning file");
    await findText("#wizard-offer", "unknown field `user`");
    await findText("#wizard-offer-decline", "Dismiss");
  });
});
