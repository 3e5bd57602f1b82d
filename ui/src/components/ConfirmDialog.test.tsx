import { useState } from "preact/hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { $, click, find, mount, press, unmountAll } from "../test/dom";
import { ConfirmDialog } from "./ConfirmDialog";

afterEach(unmountAll);

function Guarded({ onConfirm }: { onConfirm: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" id="open" onClick={() => setOpen(true)}>
        Delete…
      </button>
      {open && (
        <ConfirmDialog title="Delete?" confirmLabel="Delete" onConfirm={onConfirm} onCancel={() => setOpen(false)}>
          <p>Gone for good.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

describe("the confirm dialog", () => {
  it("starts on Cancel and keeps Tab inside", async () => {
    mount(<Guarded onConfirm={() => {}} />);
    $("#open")!.focus();
    await click("#open");
    await vi.waitFor(() => expect(document.activeElement?.id).toBe("confirm-no"));
    press(document.activeElement!, "Tab");
    expect(document.activeElement?.id).toBe("confirm-yes");
    press(document.activeElement!, "Tab");
    expect(document.activeElement?.id).toBe("confirm-no");
  });

  it("closes on Esc without confirming and gives focus back to the opener", async () => {
    const onConfirm = vi.fn();
    mount(<Guarded onConfirm={onConfirm} />);
    $("#open")!.focus();
    await click("#open");
    await find("[role=alertdialog]");
    press(document.body, "Escape");
    await vi.waitFor(() => expect($("[role=alertdialog]")).toBeNull());
    expect(onConfirm).not.toHaveBeenCalled();
    expect(document.activeElement?.id).toBe("open");
  });
});
