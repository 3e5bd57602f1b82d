// Everything recorded about one request, beside the log: who and what, the route, the outcome,
// every token count, the cost with who pays and the price it was worked out at, the timings and
// the provider's own request id. The log holds no body and no key, so neither appears here.
import { useEffect } from "preact/hooks";
import { ErrorNote, Loading } from "../../components/ErrorNote";
import { formatCount, formatDateTime, formatLatency } from "../../format";
import { useLoad } from "../../hooks";
import { requestDetail, type Price } from "../../ipc";
import { billingText, costText } from "../../money";

type Props = { id: string; onClose: () => void };

export function RequestDetail({ id, onClose }: Props) {
  const detail = useLoad(() => requestDetail(id), [id]);
  useEffect(() => {
    const close = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", close);
    return () => window.removeEventListener("keydown", close);
  }, [onClose]);

  const row = detail.data?.row;
  const price = detail.data?.price ?? null;
  return (
    <aside id="request-detail" class="side-panel" aria-labelledby="request-detail-title">
      <div class="section-head">
        <h3 id="request-detail-title">Request</h3>
        <button type="button" id="request-detail-close" class="link" onClick={onClose} aria-label="Close the request's details">
          Close
        </button>
      </div>
      <ErrorNote message={detail.error} onRetry={detail.reload} />
      {!row && !detail.error && <Loading what="the request" />}
      {row && (
        <dl class="detail">
          <Item name="Time" value={formatDateTime(row.created_at)} />
          <Item name="User" value={row.user_id} />
          <Item name="Client" value={row.client ?? "—"} />
          <Item name="Agent session" value={row.agent_session ?? "—"} />
          <Item name="Request" value={`${row.method} ${row.endpoint}${row.stream ? " (streamed)" : ""}`} />
          <Item name="Route" value={`${row.mode}${row.upstream ? ` → ${row.upstream}` : ""}${row.failover ? " (failover)" : ""}`} />
          <Item name="Model" value={row.model ?? "—"} />
          <Item name="Status" value={row.error ? `${row.status} — ${row.error}` : String(row.status)} id="detail-status" />
          <Item
            name="Tokens"
            id="detail-tokens"
            value={`${formatCount(row.tokens)} ${row.tokens_source === "estimated" ? "(estimated: the provider did not say)" : "(reported by the provider)"}`}
          />
          <Item name="Input" value={count(row.prompt_tokens)} id="detail-input" />
          <Item name="… read from cache" value={count(row.cached_tokens)} id="detail-cached" />
          <Item name="… written to cache" value={count(row.cache_write_tokens)} id="detail-cache-write" />
          <Item name="Output" value={count(row.completion_tokens)} id="detail-output" />
          <Item name="… of it reasoning" value={count(row.reasoning_tokens)} id="detail-reasoning" />
          <Item name="Cost" value={costText(row.cost_usd, row.billing)} id="detail-cost" />
          <Item name="Paid by" value={billingText(row.billing)} id="detail-billing" />
          <Item name="Price" value={priceText(price?.price ?? null, price?.source ?? null)} id="detail-price" />
          <Item name="First byte after" value={row.ttfb_ms === null ? "—" : formatLatency(row.ttfb_ms)} />
          <Item name="Total time" value={formatLatency(row.latency_ms)} />
          <Item name="Provider's request id" value={row.upstream_request_id ?? "—"} id="detail-upstream-id" />
          <Item name="ClawBox request id" value={row.id} />
        </dl>
      )}
    </aside>
  );
}

function Item({ name, value, id }: { name: string; value: string; id?: string }) {
  return (
    <div>
      <dt>{name}</dt>
      <dd id={id}>{value}</dd>
    </div>
  );
}

function count(n: number | null): string {
  return n === null ? "—" : formatCount(n);
}

/** "$2.50 in · $1.25 cached · $10.00 out per 1M tokens, from …". */
export function priceText(price: Price | null, source: string | null): string {
  if (!price) return "no known price for this model";
  const parts = [`$${price.input.toFixed(2)} in`];
  if (price.cached_input != null) parts.push(`$${price.cached_input.toFixed(3)} cached`);
  if (price.cache_write != null) parts.push(`$${price.cache_write.toFixed(2)} cache write`);
  parts.push(`$${price.output.toFixed(2)} out`);
  return `${parts.join(" · ")} per 1M tokens, from ${source} (today's price)`;
}
