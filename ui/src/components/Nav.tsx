// The screens, as real buttons; the current one is marked for screen readers too.
export type Screen = "dashboard" | "agent" | "requests" | "accounts" | "settings" | "setup";

const SCREENS: { id: Screen; label: string }[] = [
  { id: "dashboard", label: "Dashboard" },
  { id: "agent", label: "Agent" },
  { id: "requests", label: "Requests" },
  { id: "accounts", label: "Accounts" },
  { id: "settings", label: "Settings" },
  { id: "setup", label: "Setup" },
];

export function Nav({ current, onGo }: { current: Screen; onGo: (screen: Screen) => void }) {
  return (
    <nav class="nav" aria-label="Screens">
      <ul>
        {SCREENS.map((s) => (
          <li key={s.id}>
            <button
              type="button"
              id={`nav-${s.id}`}
              aria-current={s.id === current ? "page" : undefined}
              onClick={() => onGo(s.id)}
            >
              {s.label}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
