// The window: the status bar on top, the screens below. The first time the gateway reports that
// setup was never finished, Setup opens by itself; after that the person decides where to go.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ChartMaker } from "./components/Chart";
import { Nav, type Screen } from "./components/Nav";
import { StatusBar } from "./components/StatusBar";
import { UpdateBanner } from "./components/UpdateBanner";
import { errorMessage } from "./format";
import {
  gatewayStatus,
  onProvision,
  onRequests,
  onStatusChange,
  pendingProvision,
  type GatewayStatus,
  type ProvisionOffer,
} from "./ipc";
import { createLiveFeed, type LiveFeed } from "./liveFeed";
import { Accounts } from "./screens/Accounts";
import { Dashboard } from "./screens/Dashboard";
import { Requests } from "./screens/Requests";
import { Settings } from "./screens/Settings";
import { Wizard } from "./screens/Wizard";

type Props = { makeChart?: ChartMaker | null };

export function App({ makeChart }: Props) {
  const [live] = useState<LiveFeed>(createLiveFeed);
  const [status, setStatus] = useState<GatewayStatus | null>(null);
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
      // Listen first, so no request finished while the status loads is missed.
      try {
        stops.push(
          await onRequests((batch) => {
            setRequestCount((n) => n + batch.length);
            live.publish(batch);
          }),
        );
        // Screens may have loaded before the window was listening: an empty batch makes them
        // look once more, so a request that finished in between is not missed.
        live.publish([]);
        stops.push(await onStatusChange(() => void refresh()));
        stops.push(await onProvision(takeOffer));
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
  }, [live, refresh, takeOffer]);

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
    setScreen(next);
  };

  const finishSetup = () => {
    setOffer(null);
    setScreen("dashboard");
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
      <div class="layout">
        <Nav current={screen} onGo={go} />
        <main class="screen">
          {screen === "setup" && (
            <Wizard key={wizardRun} status={status} offer={offer} onOfferDone={(id) => setOffer((o) => (o?.id === id ? null : o))} onFinish={finishSetup} />
          )}
          {screen === "dashboard" && (
            <Dashboard live={live} url={status?.url ?? null} onSetup={() => setScreen("setup")} makeChart={makeChart} />
          )}
          {screen === "requests" && <Requests live={live} />}
          {screen === "accounts" && <Accounts />}
          {screen === "settings" && <Settings onReset={afterReset} />}
        </main>
      </div>
    </>
  );
}
