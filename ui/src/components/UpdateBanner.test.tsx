import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, emitEvent, fakeBackend, rejects } from "../test/backend";
import { $, click, findText, mount, unmountAll } from "../test/dom";
import { UpdateBanner } from "./UpdateBanner";

afterEach(() => {
  unmountAll();
  clearMocks();
});

const FOUND = { current: "0.1.0", available: "0.2.0", notes: null, refused_older: null };

describe("the update banner", () => {
  it("appears when the check at start finds a newer version, and installs it on a click", async () => {
    const backend = fakeBackend({ install_update: () => new Promise(() => {}) });
    mount(<UpdateBanner />);
    expect($("#update-banner")).toBeNull();
    await emitEvent("update-available", FOUND);
    await findText("#update-banner", "ClawBox 0.2.0 is available (you have 0.1.0).");
    expect(backend.count("install_update")).toBe(0);
    await click("#update-banner-install");
    await findText("#update-banner-install", "Installing… ClawBox will restart");
    expect(backend.count("install_update")).toBe(1);
  });

  it("says why an install failed, and hides on Later", async () => {
    fakeBackend({ install_update: rejects("update_signature", "The update's signature does not match.") });
    mount(<UpdateBanner />);
    await emitEvent("update-available", FOUND);
    await click("#update-banner-install");
    await findText("#update-banner", "The update's signature does not match.");
    ($("#update-banner button.link") as HTMLButtonElement).click();
    await new Promise((r) => setTimeout(r, 0));
    expect($("#update-banner")).toBeNull();
  });
});
