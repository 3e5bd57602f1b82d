// After a turn: how many model calls the session has made and their tokens, counted from the
// request log (so it is what ClawBox itself saw), with a way to see the calls themselves. Counted
// again when a turn ends and when requests finish, since a call's row can land just after.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ErrorNote } from "../../components/ErrorNote";
import { errorMessage } from "../../format";
import { requestLog } from "../../ipc";
import type { LiveFeed } from "../../liveFeed";
import { throttle } from "../../throttle";
import { callsLine, sessionQuery } from "./calls";

type Props = { session: string; turns: number; live: LiveFeed; onSee: () => void };

export function TurnUsage({ session, turns, live, onSee }: Props) {
  const [line, setLine] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const asked = useRef(0);

  const count = useCallback(async () => {
    const n = ++asked.current;
    try {
      const page = await requestLog(sessionQuery(session));
      if (n !== asked.current) return;
      setLine(callsLine(page));
      setError(null);
    } catch (e) {
      if (n === asked.current) setError(`The model calls couldn't be counted: ${errorMessage(e)}`);
    }
  }, [session]);

  useEffect(() => {
    if (turns > 0) void count();
  }, [turns, count]);

  useEffect(() => {
    if (turns === 0) return;
    const again = throttle(() => void count(), 1000);
    const stop = live.subscribe(again);
    return () => {
      stop();
      again.cancel();
    };
  }, [turns, live, count]);

  // An answer that comes after the session is no longer shown is dropped.
  useEffect(
    () => () => {
      asked.current++;
    },
    [],
  );

  if (turns === 0) return null;
  return (
    <div class="turn-usage">
      {line && (
        <p id="agent-turn-usage" class="hint">
          {line}
        </p>
      )}
      <ErrorNote message={error} onRetry={() => void count()} />
      <button type="button" id="agent-see-requests" class="link" onClick={onSee}>
        See them in Requests
      </button>
    </div>
  );
}
