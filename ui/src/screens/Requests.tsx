// The request log, newest first, filtered and paged by the backend (keyset paging: "Load more"
// asks for rows before the last one shown). New requests don't move the list under the reader;
// a button says how many arrived and shows them on request. The Agent screen opens it on one
// agent session's requests, shown as a chip that clears back to all of them. Clicking a row (or
// Enter on it) opens everything recorded about that request in a side panel.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ErrorNote } from "../components/ErrorNote";
import { errorMessage, formatCount, formatDateTime, formatLatency, formatTime, formatTokens, statusClass } from "../format";
import { useAction, useLoad } from "../hooks";
import { exportLogCsv, logFacets, requestLog } from "../ipc";
import type { LogRow } from "../bindings/LogRow";
import type { LiveFeed } from "../liveFeed";
import { isFiltered, matchesFilter, NO_FILTER, STATUS_FILTERS, toQuery, type LogFilter } from "../logFilter";
import { costText } from "../money";
import { RequestDetail } from "./requests/RequestDetail";

type Page = { rows: LogRow[]; next: string | null };

/** One agent session to show the requests of: its id, and its title to name it by. */
export type SessionFilter = { id: string; title: string };

type Props = {
  live: LiveFeed;
  agentSession?: SessionFilter | null;
  /** The chip was cleared (so returning here shows every request again). */
  onClearAgentSession?: () => void;
};

export function Requests({ live, agentSession = null, onClearAgentSession = () => {} }: Props) {
  const [filter, setFilter] = useState<LogFilter>({ ...NO_FILTER, agentSession: agentSession?.id ?? "" });
  const facets = useLoad(logFacets, []);
  const [page, setPage] = useState<Page | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [fresh, setFresh] = useState(0);
  const [exported, setExported] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const closeDetail = useCallback(() => setOpen(null), []);
  const exporting = useAction();
  const asked = useRef(0);
  const lastBefore = useRef<string | null>(null);
  const filterNow = useRef(filter);
  filterNow.current = filter;

  /** `before` null: the first page, replacing the list; otherwise the next page, appended. */
  const load = useCallback(
    async (before: string | null) => {
      const n = ++asked.current;
      lastBefore.current = before;
      setLoading(true);
      setError(null);
      try {
        const next = await requestLog(toQuery(filter, before));
        if (n !== asked.current) return;
        setPage((shown) => (before && shown ? { rows: [...shown.rows, ...next.rows], next: next.next } : next));
        if (!before) setFresh(0);
      } catch (e) {
        if (n === asked.current) setError(errorMessage(e));
      } finally {
        if (n === asked.current) setLoading(false);
      }
    },
    [filter],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  useEffect(
    () =>
      live.subscribe((batch) => {
        const matching = batch.filter((r) => matchesFilter(r, filterNow.current)).length;
        if (matching > 0) setFresh((n) => n + matching);
      }),
    [live],
  );

  const showNew = () => {
    void load(null);
    facets.reload();
  };

  const set = (key: keyof LogFilter) => (e: Event) => {
    setExported(null);
    setFilter({ ...filter, [key]: (e.currentTarget as HTMLSelectElement).value });
  };

  return (
    <section id="requests" aria-labelledby="requests-title">
      <div class="section-head">
        <h2 id="requests-title">Requests</h2>
        <button
          type="button"
          id="export-csv"
          disabled={exporting.pending}
          onClick={() =>
            exporting.run(async () => {
              setExported(null);
              const result = await exportLogCsv(toQuery(filter));
              setExported(`Exported ${formatCount(result.rows)} rows to ${result.path}`);
            })
          }
        >
          Export CSV
        </button>
      </div>
      {exported && (
        <p id="export-result" class="ok" role="status">
          {exported}
        </p>
      )}
      <ErrorNote message={exporting.error} />

      {filter.agentSession && (
        <p class="chip" id="filter-agent-session">
          <span>
            Agent session{" "}
            {agentSession?.id === filter.agentSession ? agentSession.title : filter.agentSession.slice(0, 8) + "…"}
          </span>
          <button
            type="button"
            id="filter-agent-session-clear"
            class="link"
            aria-label="Clear the agent session filter"
            onClick={() => {
              setExported(null);
              setFilter({ ...filter, agentSession: "" });
              onClearAgentSession();
            }}
          >
            Clear
          </button>
        </p>
      )}
      <div class="filters">
        <FacetSelect id="filter-user" label="User" value={filter.user} options={facets.data?.users} onChange={set("user")} />
        <FacetSelect id="filter-model" label="Model" value={filter.model} options={facets.data?.models} onChange={set("model")} />
        <FacetSelect
          id="filter-endpoint"
          label="Endpoint"
          value={filter.endpoint}
          options={facets.data?.endpoints}
          onChange={set("endpoint")}
        />
        <FacetSelect id="filter-status" label="Status" value={filter.status} options={STATUS_FILTERS} onChange={set("status")} />
      </div>
      {facets.error && <p class="hint">The filter lists couldn't be loaded: {facets.error}</p>}

      {fresh > 0 && (
        <button type="button" id="requests-new" class="new" onClick={showNew}>
          {fresh === 1 ? "1 new request — show" : `${formatCount(fresh)} new requests — show`}
        </button>
      )}

      <ErrorNote message={error} onRetry={() => void load(lastBefore.current)} />
      {page === null && loading && (
        <p class="loading" role="status">
          Loading requests…
        </p>
      )}
      {page && page.rows.length === 0 && !loading && (
        <p class="empty">
          {isFiltered(filter) ? "No requests match these filters." : "No requests yet. They appear here as agents use ClawBox."}
        </p>
      )}
      {page && page.rows.length > 0 && <LogTable rows={page.rows} open={open} onOpen={setOpen} />}
      {open && <RequestDetail id={open} onClose={closeDetail} />}
      {page?.next && (
        <button type="button" id="requests-more" disabled={loading} onClick={() => void load(page.next)}>
          {loading ? "Loading…" : "Load more"}
        </button>
      )}
    </section>
  );
}

type SelectProps = {
  id: string;
  label: string;
  value: string;
  options: readonly string[] | undefined;
  onChange: (e: Event) => void;
};

function FacetSelect({ id, label, value, options = [], onChange }: SelectProps) {
  // Keep the chosen value selectable even if the facets no longer list it.
  const values = value && !options.includes(value) ? [value, ...options] : options;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={onChange}>
        <option value="">All</option>
        {values.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    </div>
  );
}

type TableProps = { rows: LogRow[]; open: string | null; onOpen: (id: string) => void };

function LogTable({ rows, open, onOpen }: TableProps) {
  return (
    <div class="table-scroll">
      <table id="requests-table" class="data">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">User</th>
            <th scope="col">Request</th>
            <th scope="col">Model</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Latency
            </th>
            <th scope="col" class="num">
              Tokens
            </th>
            <th scope="col" class="num">
              Cost
            </th>
            <th scope="col">Route</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr
              key={row.id}
              data-id={row.id}
              class="clickable"
              tabIndex={0}
              aria-selected={row.id === open}
              onClick={() => onOpen(row.id)}
              onKeyDown={(e) => e.key === "Enter" && onOpen(row.id)}
            >
              <td>
                <time dateTime={row.created_at} title={formatDateTime(row.created_at)}>
                  {formatTime(row.created_at)}
                </time>
              </td>
              <td>
                {row.user_id}
                {/* Which program made the call (e.g. claude-code-acp for the Agent screen's). */}
                {row.client && <span class="hint block client">{row.client}</span>}
              </td>
              <td class="endpoint">
                {row.method} {row.endpoint}
                {row.stream && <span class="tag">stream</span>}
              </td>
              <td>{row.model ?? "–"}</td>
              <td>
                <span class={`status s${statusClass(row.status)}`}>{row.status || "–"}</span>
                {row.error && <span class="hint block">{row.error}</span>}
              </td>
              <td class="num" title={row.ttfb_ms === null ? undefined : `First byte after ${formatLatency(row.ttfb_ms)}`}>
                {formatLatency(row.latency_ms)}
              </td>
              <td class="num">{formatTokens(row.tokens, row.tokens_source)}</td>
              <td class="num cost">{costText(row.cost_usd, row.billing)}</td>
              <td>
                {row.mode}
                {row.upstream && ` → ${row.upstream}`}
                {row.failover && <span class="tag warn">failover</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
