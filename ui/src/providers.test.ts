import { describe, expect, it } from "vitest";
import type { PresetView, ProviderView } from "./ipc";
import { EMPTY_FORM, formFor, keyState, modelsText, presetsToOffer, toNewProvider } from "./providers";

const deepseek: PresetView = {
  name: "deepseek",
  label: "DeepSeek",
  kind: "openai",
  base_url: "https://api.deepseek.com/v1",
  models: ["deepseek-*"],
  needs_key: true,
  keys_at: "https://platform.deepseek.com/api_keys",
};
const lmstudio: PresetView = { ...deepseek, name: "lmstudio", label: "LM Studio", base_url: "http://localhost:1234/v1", models: [], needs_key: false, keys_at: "" };

function added(over: Partial<ProviderView>): ProviderView {
  return { name: "deepseek", label: "DeepSeek", kind: "openai", base_url: "https://api.deepseek.com/v1", models: ["deepseek-*"], needs_key: true, key_saved: false, listed_models: 0, keys_at: "", ...over };
}

describe("the add-a-provider form", () => {
  it("is filled by a preset and sends its key only when one is needed", () => {
    const form = { ...formFor(deepseek), key: "  sk-ds  " };
    expect(toNewProvider(form)).toEqual({
      provider: { name: "deepseek", kind: "openai", base_url: "https://api.deepseek.com/v1", models: ["deepseek-*"], needs_key: true, key: "sk-ds" },
    });
    const local = { ...formFor(lmstudio), key: "ignored" };
    expect(toNewProvider(local)).toMatchObject({ provider: { needs_key: false, key: null, models: [] } });
  });

  it("says what is wrong in words", () => {
    expect(toNewProvider({ ...EMPTY_FORM, name: "My Provider" })).toEqual({ error: expect.stringContaining("short name") });
    expect(toNewProvider({ ...EMPTY_FORM, name: "acme", baseUrl: "api.acme.com" })).toEqual({ error: expect.stringContaining("https://") });
    expect(toNewProvider({ ...EMPTY_FORM, name: "acme", baseUrl: "https://acme/v1", models: "a, b*c*" })).toEqual({
      error: expect.stringContaining('"b*c*"'),
    });
    expect(toNewProvider({ ...EMPTY_FORM, name: "Acme", baseUrl: "https://acme/v1", models: "acme-*, x" })).toMatchObject({
      provider: { name: "acme", models: ["acme-*", "x"] },
    });
  });

  it("offers only the presets not added yet", () => {
    expect(presetsToOffer([deepseek, lmstudio], [added({})]).map((p) => p.name)).toEqual(["lmstudio"]);
  });

  it("describes a provider's key and models", () => {
    expect(keyState(added({}))).toEqual({ text: "no key", ok: false });
    expect(keyState(added({ key_saved: true }))).toEqual({ text: "key saved", ok: true });
    expect(keyState(added({ needs_key: false }))).toEqual({ text: "no key needed", ok: true });
    expect(modelsText(added({ listed_models: 2 }))).toBe("deepseek-* · 2 models it lists");
    expect(modelsText(added({ models: [] }))).toBe("the models it lists (none known yet)");
  });
});
