// First-run setup, also reachable later from "Setup": mode → credentials (local mode only) →
// check → connect the agent. Each step saves as it goes, so leaving halfway loses nothing.
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { GatewayStatus, Mode, ProvisionOffer } from "../ipc";
import { CheckStep } from "./wizard/CheckStep";
import { ConnectStep } from "./wizard/ConnectStep";
import { CredentialsStep } from "./wizard/CredentialsStep";
import { ModeStep } from "./wizard/ModeStep";

type Step = "mode" | "credentials" | "check" | "connect";

const TITLES: Record<Step, string> = {
  mode: "Choose a mode",
  credentials: "Sign in or add a key",
  check: "Check that it works",
  connect: "Connect your agent",
};

type Props = {
  status: GatewayStatus | null;
  /** A setup link's or provisioning file's values for the first step. */
  offer?: ProvisionOffer | null;
  /** Offer `id` was used or declined. */
  onOfferDone?: (id: number) => void;
  onFinish: () => void;
  /** Setup is done and the person wants to try a coding agent (the Agent screen) right away. */
  onTryAgent?: () => void;
};

export function Wizard({ status, offer = null, onOfferDone = () => {}, onFinish, onTryAgent = onFinish }: Props) {
  const [step, setStep] = useState<Step>("mode");
  const [mode, setMode] = useState<Mode>("local");
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  const steps: Step[] = mode === "hosted" ? ["mode", "check", "connect"] : ["mode", "credentials", "check", "connect"];

  // Moving to a step puts focus on its title, so keyboard and screen-reader users start there.
  // A layout effect, so it happens with the render and never pulls focus from a field someone
  // has already started typing in.
  useLayoutEffect(() => {
    if (first.current) first.current = false;
    else heading.current?.focus();
  }, [step]);

  const number = steps.indexOf(step) + 1;

  return (
    <section id="wizard" aria-labelledby="wizard-title">
      <h2 id="wizard-title">Set up ClawBox</h2>
      <ol class="progress" aria-label="Steps">
        {steps.map((s) => (
          <li key={s} aria-current={s === step ? "step" : undefined}>
            {TITLES[s]}
          </li>
        ))}
      </ol>
      <h3 class="step-title" ref={heading} tabIndex={-1}>
        Step {number} of {steps.length}: {TITLES[step]}
      </h3>
      {step === "mode" && (
        <ModeStep
          offer={offer}
          onOfferDone={onOfferDone}
          onDone={(chosen) => {
            setMode(chosen);
            setStep(chosen === "hosted" ? "check" : "credentials");
          }}
        />
      )}
      {step === "credentials" && <CredentialsStep onBack={() => setStep("mode")} onDone={() => setStep("check")} />}
      {step === "check" && (
        <CheckStep
          onBack={() => setStep(mode === "hosted" ? "mode" : "credentials")}
          onDone={() => setStep("connect")}
        />
      )}
      {step === "connect" && (
        <ConnectStep url={status?.url ?? null} onBack={() => setStep("check")} onFinish={onFinish} onTry={onTryAgent} />
      )}
    </section>
  );
}
