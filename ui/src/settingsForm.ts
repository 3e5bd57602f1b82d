// The settings form: one field per AppSettings key, what each means, and which edits to send.
// Only changed fields are sent, so saving one field never overwrites another the tray or the
// command line changed meanwhile.
import type { AppSettings, ChangedSettings } from "./ipc";

export type FieldKind = "mode" | "number" | "usd" | "text" | "url" | "checkbox" | "readonly";

export type Field = {
  key: keyof AppSettings & string;
  label: string;
  kind: FieldKind;
  hint: string;
};

export const FIELDS: readonly Field[] = [
  {
    key: "mode",
    label: "Mode",
    kind: "mode",
    hint: "Local: ClawBox calls OpenAI, Anthropic or your local models itself. Hosted: requests go to the hosted ClawBox below.",
  },
  {
    key: "port",
    label: "Port",
    kind: "number",
    hint: "Agents reach ClawBox at http://127.0.0.1:<port>. Changing it restarts the gateway.",
  },
  {
    key: "hosted_url",
    label: "Hosted ClawBox address",
    kind: "url",
    hint: "Where requests go in hosted mode. Empty when there is none.",
  },
  { key: "openai_url", label: "OpenAI address", kind: "url", hint: "Change only to use a proxy or a compatible service." },
  { key: "anthropic_url", label: "Anthropic address", kind: "url", hint: "Change only to use a proxy." },
  { key: "ollama_url", label: "Local model server (Ollama)", kind: "url", hint: "Where your local models run." },
  {
    key: "user_id",
    label: "User id",
    kind: "text",
    hint: "Names your requests in the log and on the hosted ClawBox. Empty: agents name themselves (X-User-ID), or they count as anonymous.",
  },
  {
    key: "rate_limit",
    label: "Rate limit",
    kind: "number",
    hint: "Requests each user may make in any 60 seconds; more are refused with 429.",
  },
  {
    key: "monthly_cap",
    label: "Monthly cap",
    kind: "number",
    hint: "Requests each user may make per calendar month (0 = no cap); more are refused with 402.",
  },
  {
    key: "monthly_budget_usd",
    label: "Monthly budget (US dollars)",
    kind: "usd",
    hint: "What each user may spend through API keys per calendar month (0 = no budget). Past it, requests paid by API keys are refused with 402 until the 1st; your ChatGPT plan and local models still work. Requests already running when it is reached may go past it by their own cost.",
  },
  {
    key: "usage_alerts",
    label: "Tell me when usage runs high",
    kind: "checkbox",
    hint: "A notification when a ChatGPT plan window passes 80% and 95% used, and when the monthly budget passes 80%.",
  },
  {
    key: "failover",
    label: "Fail over between hosted and local",
    kind: "checkbox",
    hint: "When one side is down, send the request to the other once.",
  },
  {
    key: "retention_days",
    label: "Keep history for (days)",
    kind: "number",
    hint: "Older requests are deleted from the log (0 = keep them forever).",
  },
  {
    key: "keep_conversations",
    label: "Keep conversations",
    kind: "checkbox",
    hint: "For your ChatGPT plan, local models and other providers, which keep nothing themselves: agents that continue a conversation (previous_response_id) work as they do with OpenAI. Kept encrypted on this computer.",
  },
  {
    key: "conversation_retention_days",
    label: "Keep conversations for (days)",
    kind: "number",
    hint: "Older ones are forgotten (0 = until you forget them).",
  },
  { key: "launch_at_login", label: "Start ClawBox when I log in", kind: "checkbox", hint: "" },
  {
    key: "auth_mode",
    label: "Requests are signed with",
    kind: "readonly",
    hint: "openai: an API key. codex: your ChatGPT account. Not changed from here.",
  },
];

/** The hosted gateway's tiers, offered as presets for the monthly cap (0: unlimited). */
export const CAP_TIERS: readonly { label: string; cap: number }[] = [
  { label: "Tier 1: 10,000", cap: 10_000 },
  { label: "Tier 2: 50,000", cap: 50_000 },
  { label: "Tier 3: unlimited", cap: 0 },
];

/** What the inputs hold: numbers stay text while being typed. */
export type FormValues = Record<string, string | boolean>;

export function toForm(settings: AppSettings): FormValues {
  const values: FormValues = {};
  for (const field of FIELDS) {
    const value = settings[field.key];
    values[field.key] = typeof value === "boolean" ? value : String(value);
  }
  return values;
}

/** The environment variable that pins a setting, as the command line names it. */
export function pinnedBy(key: string): string {
  // The form edits the listen address as a port.
  return `CLAWBOX_${(key === "port" ? "listen" : key).toUpperCase()}`;
}

export type SettingsEdit = { change: ChangedSettings; errors: string[] };

/** The fields that differ from `saved`, or why the form can't be sent as it is. */
export function diffSettings(saved: AppSettings, values: FormValues): SettingsEdit {
  const change: Record<string, string | number | boolean> = {};
  const errors: string[] = [];
  for (const field of FIELDS) {
    if (field.kind === "readonly" || saved.pinned.includes(field.key)) continue;
    const value = values[field.key];
    const before = saved[field.key];
    if (field.kind === "checkbox") {
      if (value !== before) change[field.key] = Boolean(value);
    } else if (field.kind === "usd") {
      const text = String(value).trim().replace(/^\$/, "");
      const n = Number(text);
      if (text === "" || !Number.isFinite(n) || n < 0) {
        errors.push(`${field.label} must be an amount like 25 or 12.50 (0 = none).`);
      } else if (n !== before) {
        change[field.key] = n;
      }
    } else if (field.kind === "number") {
      const text = String(value).trim();
      const n = Number(text);
      if (text === "" || !Number.isInteger(n) || n < 0) {
        errors.push(`${field.label} must be a whole number (0 or more).`);
      } else if (n !== before) {
        change[field.key] = n;
      }
    } else {
      const text = String(value).trim();
      if (text !== before) change[field.key] = text;
    }
  }
  return { change: change as ChangedSettings, errors };
}
