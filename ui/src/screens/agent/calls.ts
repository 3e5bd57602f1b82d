// "This session: 3 model calls · 1,234 tokens": what a session cost, from its rows in the
// request log (every model call the agent made went through ClawBox, tagged with the session).
import { formatCount } from "../../format";
import type { LogPage, LogQuery } from "../../ipc";

/** The most rows asked for; a session with more says "500+". */
export const CALLS_LIMIT = 500;

export function sessionQuery(session: string): LogQuery {
  return {
    user_id: null,
    status: null,
    model: null,
    endpoint: null,
    agent_session: session,
    before: null,
    limit: CALLS_LIMIT,
  };
}

export function callsLine(page: LogPage): string {
  const n = page.rows.length;
  const tokens = page.rows.reduce((sum, row) => sum + row.tokens, 0);
  const estimated = page.rows.some((row) => row.tokens_source === "estimated");
  const more = page.next !== null ? "+" : "";
  const calls = `${formatCount(n)}${more} model ${n === 1 && !more ? "call" : "calls"}`;
  return `This session: ${calls} · ${formatCount(tokens)}${more} tokens${estimated ? " (partly estimated)" : ""}`;
}
