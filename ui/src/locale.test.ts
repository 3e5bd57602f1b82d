import { describe, expect, it } from "vitest";
import { isLocale } from "./locale";

describe("the locale", () => {
  it("rejects what LANG=C makes WebKitGTK report, which Intl would throw on", () => {
    expect(isLocale("C")).toBe(false);
    expect(isLocale("C.UTF-8")).toBe(false);
    expect(isLocale("")).toBe(false);
    expect(isLocale(undefined)).toBe(false);
    expect(isLocale("en-US")).toBe(true);
    expect(isLocale("de")).toBe(true);
  });
});
