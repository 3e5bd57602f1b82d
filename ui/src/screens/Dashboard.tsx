// Usage at a glance: today (requests, tokens, money, the ChatGPT plan left), the plan's windows,
// then for a chosen range totals with cost, four charts, outcomes, the busiest models and users,
// what each model, user and client cost, and this month against the cap and the budget.
// Refreshed by the gateway's request events (at most once a second), never by a timer.
import { useEffect, useMemo, useState } from "preact/hooks";
import { Chart, type ChartMaker, type SeriesSpec } from "../components/Chart";
import { ErrorNote, Loading } from "../components/ErrorNote";
import { bucketLabel, formatCount, formatLatency } from "../format";
import { useLoad } from "../hooks";
import { planLimits, priceSource, todayUsage, usageDashboard, type Dashboard as DashboardData, type Range } from "../ipc";
import type { LiveFeed } from "../liveFeed";
import type { Split } from "../bindings/Split";
import { formatUsd, startOfToday } from "../money";
import { throttle } from "../throttle";
import { budgetSummary, costColumns, latencyColumns, monthSummary, requestColumns, statusRows, tokenColumns } from "../usage";
import { CostTable } from "./dashboard/CostTable";
import { PlanCard } from "./dashboard/PlanCard";
import { TodayStrip } from "./dashboard/TodayStrip";

const RANGES: { id: Range; label: string; phrase: string }[] = [
  { id: "1h", label: "Last hour", phrase: "in the last hour" },
  { id: "24h", label: "Last 24 hours", phrase: "in the last 24 hours" },
  { id: "7d", label: "Last 7 days", phrase: "in the last 7 days" },
  { id: "30d", label: "Last 30 days", phrase: "in the last 30 days" },
];

const REQUEST_SERIES: SeriesSpec[] = [{ label: "Requests", colorVar: "--chart-1", fill: true }];
const TOKEN_SERIES: SeriesSpec[] = [
  { label: "Reported by the provider", colorVar: "--chart-1" },
  { label: "Estimated", colorVar: "--chart-2" },
];
const COST_SERIES: SeriesSpec[] = [
  { label: "Spent (API keys)", colorVar: "--chart-1", format: formatUsd },
  { label: "Covered by your plan or the hosted ClawBox", colorVar: "--chart-2", format: formatUsd },
];
const LATENCY_SERIES: SeriesSpec[] = [
  { label: "p50 (typical)", colorVar: "--chart-1", format: formatLatency },
  { label: "p95 (slowest 5%)", colorVar: "--chart-3", format: formatLatency },
];

type Props = {
  live: LiveFeed;
  url: string | null;
  onSetup: () => void;
  /** How charts are drawn; tests pass a recorder. */
  makeChart?: ChartMaker | null;
};

export function Dashboard({ live, url, onSetup, makeChart }: Props) {
  const [range, setRange] = useState<Range>("24h");
  const usage = useLoad(() => usageDashboard(range), [range]);
  const today = useLoad(() => todayUsage(startOfToday()), []);
  const plan = useLoad(planLimits, []);
  const prices = useLoad(priceSource, []);
  const reloadAll = usage.reload;
  const reloadToday = today.reload;
  const reloadPlan = plan.reload;
  const reload = useMemo(
    () => () => {
      reloadAll();
      reloadToday();
      reloadPlan();
    },
    [reloadAll, reloadToday, reloadPlan],
  );

  useEffect(() => {
    const refresh = throttle(reload, 1000);
    const stop = live.subscribe(refresh);
    return () => {
      stop();
      refresh.cancel();
    };
  }, [live, reload]);

  const data = usage.data;
  return (
    <section id="dashboard" aria-labelledby="dashboard-title" aria-busy={usage.loading}>
      <div class="section-head">
        <h2 id="dashboard-title">Dashboard</h2>
        <div class="segmented" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button
              type="button"
              key={r.id}
              id={`range-${r.id}`}
              aria-pressed={r.id === range}
              onClick={() => setRange(r.id)}
            >
              {r.label}
            </button>
          ))}
        </div>
      </div>
      <TodayStrip today={today.data} plan={plan.data} />
      <PlanCard plan={plan.data} />
      <ErrorNote message={usage.error} onRetry={reload} />
      {!data && !usage.error && <Loading what="usage" />}
      {data && (
        <DashboardBody
          data={data}
          url={url}
          phrase={RANGES.find((r) => r.id === data.range)?.phrase ?? ""}
          onSetup={onSetup}
          makeChart={makeChart}
        />
      )}
      {prices.data && (
        <p class="hint" id="price-source">
          Costs use the providers' list prices from {prices.data.version} (taken {prices.data.taken}); add or correct
          prices under "prices" in settings.json.
        </p>
      )}
    </section>
  );
}

type BodyProps = {
  data: DashboardData;
  url: string | null;
  phrase: string;
  onSetup: () => void;
  makeChart?: ChartMaker | null;
};

function DashboardBody({ data, url, phrase, onSetup, makeChart }: BodyProps) {
  const columns = useMemo(
    () => ({
      requests: requestColumns(data),
      tokens: tokenColumns(data),
      cost: costColumns(data),
      latency: latencyColumns(data),
    }),
    [data],
  );
  const month = monthSummary(data, formatCount);
  const budget = budgetSummary(data);
  const covered = data.cost.plan_value_usd;
  const per = bucketLabel(data.bucket_secs);
  const chartProps = makeChart === undefined ? {} : { make: makeChart };

  return (
    <>
      <dl class="totals">
        <div>
          <dt>Requests</dt>
          <dd id="total-requests">{formatCount(data.requests)}</dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd id="total-tokens">{formatCount(data.tokens_reported + data.tokens_estimated)}</dd>
          {data.tokens_estimated > 0 && <dd class="hint">{formatCount(data.tokens_estimated)} estimated</dd>}
        </div>
        <div>
          <dt>Spent</dt>
          <dd id="total-cost">{formatUsd(data.cost.cost_usd)}</dd>
          {covered > 0 && <dd class="hint">+ {formatUsd(covered)} covered by your plan</dd>}
          {data.cost.hosted_usd > 0 && (
            <dd class="hint">+ {formatUsd(data.cost.hosted_usd)} billed by the hosted ClawBox</dd>
          )}
          {data.cost.unpriced > 0 && <dd class="hint">{formatCount(data.cost.unpriced)} requests with no price</dd>}
        </div>
        <div>
          <dt>Latency</dt>
          <dd id="total-latency">
            {data.p50_ms === null ? "–" : `${formatLatency(data.p50_ms)} typical, ${formatLatency(data.p95_ms)} p95`}
          </dd>
        </div>
      </dl>

      <MonthUsageBar text={month.text} fraction={month.fraction} />
      {budget && <MonthUsageBar id="month-budget" text={budget.text} fraction={budget.fraction} label="Share of this month's budget spent" />}

      {data.requests === 0 ? (
        <div class="empty" id="dashboard-empty">
          <p>
            {url
              ? `No requests yet — point an agent at ${url}`
              : "No requests yet — once the gateway is running, point an agent at it."}
          </p>
          {data.range !== "30d" && <p class="hint">Nothing {phrase}: a longer range may show older requests.</p>}
          <button type="button" onClick={onSetup}>
            Connect an agent in Setup
          </button>
        </div>
      ) : (
        <>
          <div class="charts">
            <figure>
              <figcaption>Requests {per}</figcaption>
              <Chart id="chart-requests" label={`Requests ${per}`} columns={columns.requests} series={REQUEST_SERIES} {...chartProps} />
            </figure>
            <figure>
              <figcaption>Tokens {per}: reported by the provider, or estimated when it didn't say</figcaption>
              <Chart id="chart-tokens" label={`Tokens ${per}`} columns={columns.tokens} series={TOKEN_SERIES} {...chartProps} />
            </figure>
            <figure>
              <figcaption>Cost {per}: spent through API keys, and covered by your ChatGPT plan</figcaption>
              <Chart
                id="chart-cost"
                label={`Cost ${per}`}
                columns={columns.cost}
                series={COST_SERIES}
                yFormat={formatUsd}
                {...chartProps}
              />
            </figure>
            <figure>
              <figcaption>Latency {per}: typical (p50) and slowest 5% (p95)</figcaption>
              <Chart
                id="chart-latency"
                label={`Latency ${per}`}
                columns={columns.latency}
                series={LATENCY_SERIES}
                yFormat={formatLatency}
                {...chartProps}
              />
            </figure>
          </div>

          <div class="tables">
            <table id="status-breakdown" class="data">
              <caption>Outcomes</caption>
              <tbody>
                {statusRows(data).map((row) => (
                  <tr key={row.label} data-status={row.label}>
                    <th scope="row">{row.label}</th>
                    <td>{row.meaning}</td>
                    <td class="num">{formatCount(row.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <SplitTable id="by-model" caption="By model" rows={data.by_model} />
            <SplitTable id="by-user" caption="By user" rows={data.by_user} />
          </div>
          <div class="tables">
            <CostTable id="cost-by-model" caption="Cost by model" rows={data.cost_by_model} />
            <CostTable id="cost-by-user" caption="Cost by user" rows={data.cost_by_user} />
            <CostTable id="cost-by-client" caption="Cost by client (the agent that sent it)" rows={data.cost_by_client} />
            {data.cost_by_day.length > 0 && <CostTable id="cost-by-day" caption="Cost by day (UTC)" rows={data.cost_by_day} />}
          </div>
        </>
      )}
    </>
  );
}

type BarProps = { text: string; fraction: number | null; id?: string; label?: string };

function MonthUsageBar({ text, fraction, id = "month-usage", label = "Share of this month's cap used" }: BarProps) {
  return (
    <div id={id} class="month">
      <p>{text}</p>
      {fraction !== null && (
        <div
          class={fraction >= 0.8 ? "bar warn" : "bar"}
          role="progressbar"
          aria-label={label}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(fraction * 100)}
        >
          {/* Set through the DOM's style object, which the content security policy allows. */}
          <div class="bar-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
        </div>
      )}
    </div>
  );
}

function SplitTable({ id, caption, rows }: { id: string; caption: string; rows: Split[] }) {
  return (
    <table id={id} class="data">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col" class="num">
            Requests
          </th>
          <th scope="col" class="num">
            Tokens
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={3} class="hint">
              None in this range
            </td>
          </tr>
        ) : (
          rows.map((row) => (
            <tr key={row.name}>
              <td>{row.name || "(none)"}</td>
              <td class="num">{formatCount(row.requests)}</td>
              <td class="num">{formatCount(row.tokens)}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
