// The request log's filter, as the dropdowns hold it and as the backend's LogQuery wants it.
import { statusClass } from "./format";
import type { LiveRequest, LogQuery } from "./ipc";

/** "" means "All" in every dropdown. `agentSession` is one agent session's id (its chip). */
export type LogFilter = { user: string; model: string; endpoint: string; status: string; agentSession: string };

export const NO_FILTER: LogFilter = { user: "", model: "", endpoint: "", status: "", agentSession: "" };

export const STATUS_FILTERS = ["2xx", "4xx", "429", "402", "5xx"] as const;

export const PAGE_SIZE = 50;

export function toQuery(filter: LogFilter, before: string | null = null): LogQuery {
  return {
    user_id: filter.user || null,
    status: filter.status || null,
    model: filter.model || null,
    endpoint: filter.endpoint || null,
    agent_session: filter.agentSession || null,
    before,
    limit: PAGE_SIZE,
  };
}

export function isFiltered(filter: LogFilter): boolean {
  return Object.values(filter).some((v) => v !== "");
}

/** Whether a request that just finished would appear in the list as filtered. */
export function matchesFilter(request: LiveRequest, filter: LogFilter): boolean {
  return (
    (!filter.agentSession || request.agent_session === filter.agentSession) &&
    (!filter.user || request.user_id === filter.user) &&
    (!filter.model || request.model === filter.model) &&
    (!filter.endpoint || request.endpoint === filter.endpoint) &&
    (!filter.status || statusClass(request.status) === filter.status)
  );
}
