import { describe, expect, it } from "vitest";
import { diffSettings, FIELDS, pinnedBy, toForm } from "./settingsForm";
import { settings } from "./test/fixtures";

describe("the settings form", () => {
  it("has one field per setting the backend sends", () => {
    const keys = Object.keys(settings()).filter((k) => k !== "pinned");
    expect(FIELDS.map((f) => f.key).sort()).toEqual(keys.sort());
  });

  it("sends nothing when nothing changed", () => {
    const saved = settings();
    expect(diffSettings(saved, toForm(saved))).toEqual({ change: {}, errors: [] });
  });

  it("sends only the changed fields, with numbers as numbers and text trimmed", () => {
    const saved = settings();
    const form = { ...toForm(saved), port: "18800", failover: true, user_id: " grace ", rate_limit: "50" };
    expect(diffSettings(saved, form)).toEqual({ change: { port: 18800, failover: true, user_id: "grace" }, errors: [] });
  });

  it("never sends pinned or read-only fields", () => {
    const saved = settings({ pinned: ["port"] });
    const form = { ...toForm(saved), port: "1", auth_mode: "codex" };
    expect(diffSettings(saved, form).change).toEqual({});
  });

  it("refuses numbers that aren't whole and not negative, naming the field", () => {
    const saved = settings();
    const form = { ...toForm(saved), port: "", monthly_cap: "-1", retention_days: "1.5" };
    const edit = diffSettings(saved, form);
    expect(edit.change).toEqual({});
    expect(edit.errors).toEqual([
      "Port must be a whole number (0 or more).",
      "Monthly cap must be a whole number (0 or more).",
      "Keep history for (days) must be a whole number (0 or more).",
    ]);
  });

  it("names the variable that pins a setting", () => {
    expect(pinnedBy("hosted_url")).toBe("CLAWBOX_HOSTED_URL");
    expect(pinnedBy("port")).toBe("CLAWBOX_LISTEN");
  });
});
