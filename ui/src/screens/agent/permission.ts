// A permission request's buttons and its outcome, in words. The buttons come in one fixed order
// whatever order the agent lists its options in, so the same answer is always in the same place;
// only the answers the agent offered are shown.
import type { Answer, PermissionChoice } from "../../ipc";
import type { Answered } from "./conversation";

export type AnswerButton = { answer: Answer; label: string };

const BUTTONS: (AnswerButton & { kinds: string[] })[] = [
  { answer: "allow_once", label: "Allow once", kinds: ["allow_once"] },
  { answer: "allow_always", label: "Always for this session", kinds: ["allow_always"] },
  // ClawBox answers "reject" with whichever rejection the agent offered.
  { answer: "reject", label: "Reject", kinds: ["reject_once", "reject_always"] },
];

export function answerButtons(options: PermissionChoice[]): AnswerButton[] {
  return BUTTONS.filter((b) => options.some((o) => b.kinds.includes(o.kind))).map(({ answer, label }) => ({
    answer,
    label,
  }));
}

const OUTCOMES: Record<string, string> = {
  allow_once: "Allowed once",
  allow_always: "Always allowed for this session",
  reject_once: "Rejected",
  reject_always: "Rejected",
};

export function outcomeText({ outcome, by }: Answered): string {
  if (outcome === "cancelled") return "No longer asked: the agent stopped waiting for an answer.";
  // ClawBox answers only for paths outside the project, and only ever with a no.
  if (by === "clawbox") return "Rejected by ClawBox: outside the project folder";
  const said = OUTCOMES[outcome] ?? outcome;
  if (by === "setting") return `Answered by your setting: ${said.toLowerCase()}`;
  return said;
}
