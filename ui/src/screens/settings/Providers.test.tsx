import { afterEach, describe, expect, it, vi } from "vitest";
import type { Args } from "../../test/backend";
import { clearMocks, everyday, fakeBackend, rejects } from "../../test/backend";
import { $, $$, choose, click, find, findText, mount, type, unmountAll } from "../../test/dom";
import { providersView, providerView } from "../../test/fixtures";
import type { NewProvider } from "../../ipc";
import { Providers } from "./Providers";

afterEach(() => {
  unmountAll();
  clearMocks();
});

describe("providers", () => {
  it("adds a preset with its key, which then shows as saved and is never shown again", async () => {
    const backend = fakeBackend({
      ...everyday(),
      add_provider: (a: Args) => {
        const p = a.provider as NewProvider;
        return providersView({ providers: [providerView(p.name, { key_saved: p.key !== null, listed_models: 2 })] });
      },
    });
    mount(<Providers />);
    await find("#no-providers");
    const offered = $$("#provider-preset option").map((o) => o.textContent);
    expect(offered).toEqual(["Choose…", "OpenRouter", "DeepSeek", "LM Studio (on this computer)", "Another OpenAI-compatible API…"]);
    await choose("#provider-preset", "deepseek");
    expect(($("#provider-base-url") as HTMLInputElement).value).toBe("https://api.deepseek.com/v1");
    expect(($("#provider-models") as HTMLInputElement).value).toBe("deepseek-*");
    expect($("#provider-name"), "a preset's name is fixed").toBeNull();
    expect(document.body.textContent).toContain("https://platform.deepseek.com/api_keys");
    await type("#provider-key", "sk-deepseek-secret");
    await click("#add-provider");
    await find("#provider-deepseek");
    expect(backend.argsOf("add_provider")).toEqual([
      {
        provider: {
          name: "deepseek",
          kind: "openai",
          base_url: "https://api.deepseek.com/v1",
          models: ["deepseek-*"],
          needs_key: true,
          key: "sk-deepseek-secret",
        },
      },
    ]);
    expect($("#provider-deepseek")!.textContent).toContain("key saved");
    expect($("#provider-deepseek")!.textContent).toContain("deepseek-* · 2 models it lists");
    expect(document.body.innerHTML).not.toContain("sk-deepseek-secret");
    expect($("#provider-key"), "the form closes").toBeNull();
    // Added presets are not offered again.
    expect($$("#provider-preset option").map((o) => o.textContent)).not.toContain("DeepSeek");
  });

  it("checks another API's form before sending, and shows the backend's refusal", async () => {
    const backend = fakeBackend({
      ...everyday(),
      add_provider: rejects("invalid", "provider `acme`'s base_url is not a URL"),
    });
    mount(<Providers />);
    await choose("#provider-preset", "");
    await type("#provider-name", "Acme Cloud");
    await click("#add-provider");
    await findText("#add-provider-error", "short name");
    expect(backend.count("add_provider")).toBe(0);
    await type("#provider-name", "acme");
    await type("#provider-base-url", "https://acme.example/v1");
    await choose("#provider-kind", "anthropic");
    await click("#provider-needs-key");
    await click("#add-provider");
    await findText("#add-provider-error", "is not a URL");
    expect(backend.argsOf("add_provider")[0]).toEqual({
      provider: { name: "acme", kind: "anthropic", base_url: "https://acme.example/v1", models: [], needs_key: false, key: null },
    });
  });

  it("re-keys, removes after asking, and sets where unclaimed models go", async () => {
    const deepseek = providerView("deepseek", { key_saved: false });
    const lmstudio = providerView("lmstudio");
    const backend = fakeBackend({
      ...everyday(),
      providers: () => providersView({ providers: [deepseek, lmstudio] }),
      save_provider_key: () => providersView({ providers: [{ ...deepseek, key_saved: true }, lmstudio] }),
      remove_provider: () => providersView({ providers: [lmstudio] }),
      set_default_upstream: (a: Args) => providersView({ providers: [lmstudio], default_upstream: a.upstream as string }),
    });
    mount(<Providers />);
    await find("#provider-deepseek");
    expect($("#provider-deepseek")!.textContent).toContain("no key");
    expect($("#provider-lmstudio")!.textContent).toContain("no key needed");
    expect($("#provider-lmstudio-key"), "no key field for a server that takes none").toBeNull();
    await type("#provider-deepseek-key", "sk-new");
    await click("#provider-deepseek-save");
    await findText("#provider-deepseek", "key saved");
    expect(backend.argsOf("save_provider_key")).toEqual([{ name: "deepseek", key: "sk-new" }]);

    await click("#provider-deepseek-remove");
    expect(backend.count("remove_provider")).toBe(0);
    await click("#confirm-yes");
    await until(() => $("#provider-deepseek") === null);
    expect(backend.argsOf("remove_provider")).toEqual([{ name: "deepseek" }]);

    const options = $$("#default-upstream option").map((o) => (o as HTMLOptionElement).value);
    expect(options).toEqual(["none", "openai", "lmstudio"]);
    await choose("#default-upstream", "lmstudio");
    await until(() => ($("#default-upstream") as HTMLSelectElement).value === "lmstudio");
    expect(backend.argsOf("set_default_upstream")).toEqual([{ upstream: "lmstudio" }]);
  });
});

async function until(done: () => boolean): Promise<void> {
  await vi.waitFor(() => {
    if (!done()) throw new Error("not yet");
  });
}
