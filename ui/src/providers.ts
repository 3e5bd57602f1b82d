// The "Add a provider" form's pure parts: a preset fills it, the person may change it, and it
// becomes the NewProvider the backend checks again (the backend has the final word).
import type { NewProvider, PresetView, ProviderView } from "./ipc";

export type ProviderForm = {
  /** A preset's name, or "" for any other OpenAI-compatible API. */
  preset: string;
  name: string;
  kind: "openai" | "anthropic";
  baseUrl: string;
  /** Comma-separated, as typed. */
  models: string;
  needsKey: boolean;
  key: string;
};

export const EMPTY_FORM: ProviderForm = {
  preset: "",
  name: "",
  kind: "openai",
  baseUrl: "",
  models: "",
  needsKey: true,
  key: "",
};

export function formFor(preset: PresetView | undefined): ProviderForm {
  if (!preset) return { ...EMPTY_FORM };
  return {
    preset: preset.name,
    name: preset.name,
    kind: preset.kind === "anthropic" ? "anthropic" : "openai",
    baseUrl: preset.base_url,
    models: preset.models.join(", "),
    needsKey: preset.needs_key,
    key: "",
  };
}

/** The presets not added yet, in their order. */
export function presetsToOffer(presets: PresetView[], added: ProviderView[]): PresetView[] {
  return presets.filter((p) => !added.some((a) => a.name === p.name));
}

/** The form as the backend takes it, or what is missing, in words. */
export function toNewProvider(form: ProviderForm): { provider: NewProvider } | { error: string } {
  const name = form.name.trim().toLowerCase();
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(name)) {
    return { error: "Give the provider a short name: lower-case letters, digits, - or _, starting with a letter." };
  }
  const baseUrl = form.baseUrl.trim();
  if (!/^https?:\/\/\S+$/.test(baseUrl)) {
    return { error: "The base URL starts with https:// (or http:// for a server on this computer)." };
  }
  const models = form.models
    .split(/[,\s]+/)
    .map((m) => m.trim())
    .filter((m) => m.length > 0);
  const bad = models.find((m) => m === "*" || m.slice(0, -1).includes("*"));
  if (bad) {
    return { error: `"${bad}" is not a model name or a prefix ending in * (like deepseek-*).` };
  }
  const key = form.key.trim();
  return {
    provider: {
      name,
      kind: form.kind,
      base_url: baseUrl,
      models,
      needs_key: form.needsKey,
      key: form.needsKey && key ? key : null,
    },
  };
}

/** What a provider's key line says. */
export function keyState(p: ProviderView): { text: string; ok: boolean } {
  if (!p.needs_key) return { text: "no key needed", ok: true };
  return p.key_saved ? { text: "key saved", ok: true } : { text: "no key", ok: false };
}

/** Which models it takes, in words. */
export function modelsText(p: ProviderView): string {
  const parts: string[] = [];
  if (p.models.length > 0) parts.push(p.models.join(", "));
  if (p.listed_models > 0) parts.push(`${p.listed_models} models it lists`);
  return parts.length > 0 ? parts.join(" · ") : "the models it lists (none known yet)";
}
