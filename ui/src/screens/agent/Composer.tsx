// Where the person writes to the agent. Enter sends and Shift+Enter starts a new line, as in chat
// apps; while the agent works, Send waits and Stop (or Esc, handled by the session) ends the turn.
import type { Ref } from "preact";

type Props = {
  value: string;
  onInput: (text: string) => void;
  onSend: () => void;
  onStop: () => void;
  busy: boolean;
  /** The session has ended: nothing more can be sent. */
  ended: boolean;
  stopping: boolean;
  agentTitle: string;
  input: Ref<HTMLTextAreaElement>;
};

export function Composer({ value, onInput, onSend, onStop, busy, ended, stopping, agentTitle, input }: Props) {
  const onKeyDown = (e: KeyboardEvent) => {
    // Not while an input method is composing a character: Enter there picks the character.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      onSend();
    }
  };
  return (
    <div class="composer">
      <label for="agent-prompt">Your message to {agentTitle}</label>
      <textarea
        id="agent-prompt"
        ref={input}
        rows={3}
        value={value}
        disabled={ended}
        aria-describedby="agent-prompt-keys"
        onInput={(e) => onInput(e.currentTarget.value)}
        onKeyDown={onKeyDown}
      />
      <div class="composer-foot">
        <p id="agent-prompt-keys" class="hint">
          {ended ? "This session has ended." : "Enter sends · Shift+Enter adds a line · Esc stops the agent"}
        </p>
        <div class="row">
          {busy && (
            <button type="button" id="agent-stop" class="danger" disabled={stopping} onClick={onStop}>
              {stopping ? "Stopping…" : "Stop"}
            </button>
          )}
          <button
            type="button"
            id="agent-send"
            class="primary"
            disabled={busy || ended || !value.trim()}
            onClick={onSend}
          >
            Send
          </button>
        </div>
      </div>
    </div>
  );
}
