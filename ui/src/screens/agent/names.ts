// Agents by the names people know them by ("Claude Code", not "claude").
import type { AgentInfo } from "../../ipc";

export function agentTitle(agents: AgentInfo[] | undefined, name: string): string {
  return agents?.find((a) => a.name === name)?.title ?? name;
}

/** The one sentence that says who runs the agent's commands, and so what the person is asked. */
export function commandsSentence(title: string, commands: "itself" | "asks"): string {
  return commands === "itself"
    ? `${title} runs commands itself, in a sandbox that lets them change files only in this folder.`
    : `${title} asks you before it changes a file or runs a command.`;
}
