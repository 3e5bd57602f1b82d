import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, fakeBackend, rejects } from "../../test/backend";
import { $, click, find, findText, mount, unmountAll } from "../../test/dom";
import { Updates } from "./Updates";

afterEach(() => {
  unmountAll();
  clearMocks();
});

const NONE = { current: "0.1.0", available: null, notes: null, refused_older: null };

describe("updates", () => {
  it("offers a newer version with its notes, and installs it", async () => {
    const backend = fakeBackend({
      "plugin:app|version": () => "0.1.0",
      check_update: () => ({ ...NONE, available: "0.2.0", notes: "Faster charts." }),
      install_update: () => new Promise(() => {}), // ClawBox restarts: no answer comes back
    });
    mount(<Updates />);
    await findText("#app-version", "This is ClawBox 0.1.0.");
    await click("#check-update");
    await findText("#update-result", "ClawBox 0.2.0 is available (you have 0.1.0).");
    await findText("#update-result", "Faster charts.");
    await click("#install-update");
    await findText("#install-update", "Installing… ClawBox will restart");
    expect(backend.count("install_update")).toBe(1);
    expect(($("#check-update") as HTMLButtonElement).disabled).toBe(true);
  });

  it("says when this is the newest version, and when an older one was refused", async () => {
    const backend = fakeBackend({ check_update: () => NONE });
    mount(<Updates />);
    await click("#check-update");
    await findText("#update-result", "ClawBox 0.1.0 is the newest version.");
    expect($("#install-update")).toBeNull();

    backend.on({ check_update: () => ({ ...NONE, refused_older: "0.0.9" }) });
    await click("#check-update");
    await findText("#update-result", "offered version 0.0.9, older than this ClawBox (0.1.0)");
    expect($("#install-update")).toBeNull();
  });

  it("shows a refused signature in the backend's words, and lets the person check again", async () => {
    fakeBackend({
      check_update: () => ({ ...NONE, available: "0.2.0" }),
      install_update: rejects(
        "update_signature",
        "The update's signature does not match ClawBox's update key. Nothing was installed; ClawBox stays at version 0.1.0.",
      ),
    });
    mount(<Updates />);
    await click("#check-update");
    await click("#install-update");
    await findText("#update-install-error", "Nothing was installed; ClawBox stays at version 0.1.0.");
    await find("#check-update:not([disabled])");
  });
});
