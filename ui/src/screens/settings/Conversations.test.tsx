import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, everyday, fakeBackend } from "../../test/backend";
import { $, click, find, findText, mount, unmountAll } from "../../test/dom";
import { Conversations } from "./Conversations";

afterEach(() => {
  unmountAll();
  clearMocks();
});

describe("kept conversations", () => {
  it("shows what is kept and forgets it after asking", async () => {
    const backend = fakeBackend({
      ...everyday(),
      forget_conversations: () => ({ responses: 0, conversations: 0, bytes: 4096, problem: null }),
    });
    mount(<Conversations />);
    await findText("#conversations-kept", "3 responses kept (40 KB), encrypted on this computer.");
    await click("#forget-conversations");
    expect(backend.count("forget_conversations")).toBe(0);
    await click("#confirm-yes");
    await findText("#conversations-kept", "No conversations are kept.");
    expect(backend.count("forget_conversations")).toBe(1);
    expect(($("#forget-conversations") as HTMLButtonElement).disabled).toBe(true);
  });

  it("says why nothing can be kept", async () => {
    fakeBackend({
      ...everyday(),
      conversations_summary: () => ({ responses: 0, conversations: 0, bytes: 0, problem: "no secret store is available" }),
    });
    mount(<Conversations />);
    await find("#conversations-problem");
    expect($("#conversations-problem")!.textContent).toContain("no secret store is available");
  });
});
