// Today at a glance, for someone who does not read dashboards: requests, tokens, money spent,
// and how much of the ChatGPT plan is left. Refreshed by request events, like the rest.
import { formatCount } from "../../format";
import type { PlanLimits, Today } from "../../ipc";
import { formatUsd, percentLeft, tightest, windowLabel } from "../../money";

type Props = { today: Today | null; plan: PlanLimits | null };

export function TodayStrip({ today, plan }: Props) {
  if (!today) return null;
  const covered = today.plan_usd;
  const low = plan ? tightest(plan) : null;
  return (
    <dl id="today" class="today" aria-label="Today">
      <div>
        <dt>Today</dt>
        <dd id="today-requests">{formatCount(today.requests)} requests</dd>
      </div>
      <div>
        <dt>Tokens</dt>
        <dd id="today-tokens">{formatCount(today.tokens)}</dd>
      </div>
      <div>
        <dt>Spent</dt>
        <dd id="today-spent">{formatUsd(today.api_usd)}</dd>
        {covered > 0 && <dd class="hint">+ {formatUsd(covered)} covered by your plan</dd>}
        {today.hosted_usd > 0 && <dd class="hint">+ {formatUsd(today.hosted_usd)} billed by the hosted ClawBox</dd>}
      </div>
      {low && (
        <div>
          <dt>ChatGPT plan</dt>
          <dd id="today-plan" class={percentLeft(low) <= 20 ? "warn" : undefined}>
            {percentLeft(low)}% left
          </dd>
          <dd class="hint">{windowLabel(low.window_minutes)} window</dd>
        </div>
      )}
    </dl>
  );
}
