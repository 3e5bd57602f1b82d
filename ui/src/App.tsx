// The window: the status bar on top, the screens below. The first time the gateway reports that
// setup was never finished, Setup opens by itself; after that the person decides where to go.
// The window owns what must outlive a screen: the live request feed and the agent sessions.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ChartMaker } from "./components/Chart";
import { Nav, type Screen } from "./components/Nav";
import { StatusBar } from "./components/StatusBar";
import { UpdateBanner } from "./components/UpdateBanner";
import { UsageAlerts } from "./components/UsageAlerts";
import { errorMessage } from "./format";
import {
  gatewayStatus,
  onAgentEvents,
  onProvision,
  onRequests,
  onStatusChange,
  onUsageAlert,
  pendingProvision,
  type GatewayStatus,
  type ProvisionOffer,
  type UsageAlert,
} from "./ipc";
import { createLiveFeed, type LiveFeed } from "./liveFeed";
import { Accounts } from "./screens/Accounts";
import { Agent } from "./screens/Agent";
import { createAgentStore, type AgentStore } from "./screens/agent/store";
import { Dashboard } from "./screens/Dashboard";
import { Requests, type SessionFilter } from "./screens/Requests";
import { Settings } from "./screens/Settings";
import { Wizard } from "./screens/Wizard";

type Props = { makeChart?: ChartMaker | null };

export function App({ makeChart }: Props) {
  const [live] = useState<LiveFeed>(createLiveFeed);
  const [agentStore] = useState<AgentStore>(createAgentStore);
  // Requests opened from the Agent screen show that session's calls only.
  const [requestsOf, setRequestsOf] = useState<SessionFilter | null>(null);
  const [status, setStatus] = useState<GatewayStatus | null>(null);
  const [alerts, setAlerts] = useState<UsageAlert[]>([]);
  const [statusError, setStatusError] = useState<string | null>(null);
  const [requestCount, setRequestCount] = useState(0);
  const [screen, setScreen] = useState<Screen>("dashboard");
  // A fresh wizard after a reset, not the one left on its last step.
  const [wizardRun, setWizardRun] = useState(0);
  const setupDecided = useRef(false);
  // A setup link or provisioning file: Setup opens with it, whatever else was on screen.
  const [offer, setOffer] = useState<ProvisionOffer | null>(null);
  const takeOffer = useCallback((o: ProvisionOffer) => {
    setOffer(o);
    setWizardRun((n) => n + 1);
    setScreen("setup");
    setupDecided.current = true;
  }, []);

  const refresh = useCallback(async () => {
    try {
      setStatus(await gatewayStatus());
      setStatusError(null);
    } catch (e) {
      setStatusError(errorMessage(e));
    }
  }, []);

  useEffect(() => {
    const stops: (() => void)[] = [];
    let closed = false;
    void (async () => {
      // Listen first, so no request finished while the status loads is missed. Every session's
      // agent events are taken whichever screen is shown: a session started on the Agent screen
      // keeps going (and is seen going) after the person looks elsewhere. Usage alerts: the
      // newest three, until dismissed.
      try {
        stops.push(
          ...(await Promise.all([
            onRequests((batch) => {
              setRequestCount((n) => n + batch.length);
              live.publish(batch);
            }),
            onAgentEvents((batch) => agentStore.receive(batch)),
            onStatusChange(() => void refresh()),
            onProvision(takeOffer),
            onUsageAlert((alert) => setAlerts((shown) => [alert, ...shown].slice(0, 3))),
          ])),
        );
        // Screens may have loaded before the window was listening: an empty batch makes them
        // look once more, so a request that finished in between is not missed.
        live.publish([]);
      } catch (e) {
        setStatusError(errorMessage(e));
      }
      // A link the app was opened with (the event above covers those that come later).
      pendingProvision().then(
        (waiting) => waiting && !closed && takeOffer(waiting),
        () => {},
      );
      if (closed) stops.forEach((stop) => stop());
      else await refresh();
    })();
    const onFocus = () => void refresh();
    window.addEventListener("focus", onFocus);
    return () => {
      closed = true;
      stops.forEach((stop) => stop());
      window.removeEventListener("focus", onFocus);
    };
  }, [live, agentStore, refresh, takeOffer]);

  // Decided once the gateway has read its settings (it reports "starting" until then).
  useEffect(() => {
    if (!status || status.starting || setupDecided.current) return;
    setupDecided.current = true;
    if (!status.onboarded) setScreen("setup");
  }, [status]);

  const afterReset = () => {
    setWizardRun((n) => n + 1);
    setScreen("setup");
    void refresh();
  };

  // Someone who already chose a screen is not pulled into Setup when the status arrives.
  const go = (next: Screen) => {
    setupDecided.current = true;
    setRequestsOf(null);
    setScreen(next);
  };

  const seeRequests = (session: SessionFilter) => {
    go("requests");
    setRequestsOf(session);
  };

  const finishSetup = (next: Screen = "dashboard") => {
    setOffer(null);
    setScreen(next);
    void refresh();
  };

  return (
    <>
      <StatusBar
        status={status}
        statusError={statusError}
        requestCount={requestCount}
        onStatus={setStatus}
        refresh={() => void refresh()}
      />
      <UpdateBanner />
      <UsageAlerts alerts={alerts} onDismiss={(alert) => setAlerts((shown) => shown.filter((a) => a !== alert))} />
      <div class="layout">
        <Nav current={screen} onGo={go} />
        <main class="screen">
          {screen === "setup" && (
            <Wizard
              key={wizardRun}
              status={status}
              offer={offer}
              onOfferDone={(id) => setOffer((o) => (o?.id === id ? null : o))}
              onFinish={() => finishSetup()}
              onTryAgent={() => finishSetup("agent")}
            />
          )}
          {screen === "dashboard" && (
            <Dashboard live={live} url={status?.url ?? null} onSetup={() => setScreen("setup")} makeChart={makeChart} />
          )}
          {screen === "agent" && <Agent store={agentStore} live={live} onSeeRequests={seeRequests} />}
          {screen === "requests" && (
            <Requests live={live} agentSession={requestsOf} onClearAgentSession={() => setRequestsOf(null)} />
          )}
          {screen === "accounts" && <Accounts />}
          {screen === "settings" && <Settings onReset={afterReset} />}
        </main>
      </div>
    </>
  );
}
