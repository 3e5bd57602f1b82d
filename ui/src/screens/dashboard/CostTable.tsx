// What each model, user or client cost in the range: money spent apart from what the plan
// covered, and how many requests had no known price (never shown as $0).
import { formatCount } from "../../format";
import type { CostLine } from "../../ipc";
import { formatUsd } from "../../money";

type Props = { id: string; caption: string; rows: CostLine[] };

export function CostTable({ id, caption, rows }: Props) {
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
            Spent
          </th>
          <th scope="col" class="num">
            Plan covered
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={4} class="hint">
              None in this range
            </td>
          </tr>
        ) : (
          rows.map((row) => (
            <tr key={row.key}>
              <td>
                {row.key}
                {row.unpriced > 0 && <span class="hint block">{formatCount(row.unpriced)} with no price</span>}
              </td>
              <td class="num">{formatCount(row.requests)}</td>
              {/* A row only the plan (or the hosted ClawBox) paid for spent nothing: a dash, not $0. */}
              <td class="num">
                {row.cost_usd === 0 && (row.plan_value_usd > 0 || row.hosted_usd > 0) ? "–" : formatUsd(row.cost_usd)}
              </td>
              <td class="num">{row.plan_value_usd > 0 ? formatUsd(row.plan_value_usd) : "–"}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
