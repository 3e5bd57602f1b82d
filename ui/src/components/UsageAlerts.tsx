// Usage alerts (a ChatGPT plan window or the budget passing a threshold), shown in the window as
// well as sent as desktop notifications: a desktop without a notification service still sees
// them. The window listens for them with its other events; each can be dismissed.
import type { UsageAlert } from "../ipc";

type Props = { alerts: UsageAlert[]; onDismiss: (alert: UsageAlert) => void };

export function UsageAlerts({ alerts, onDismiss }: Props) {
  if (alerts.length === 0) return null;
  return (
    <div id="usage-alerts">
      {alerts.map((alert, i) => (
        <div key={`${alert.title}-${i}`} class="notice usage-alert" role="status">
          <span>
            <strong>{alert.title}</strong> {alert.body}
          </span>
          <button type="button" class="link" onClick={() => onDismiss(alert)}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
