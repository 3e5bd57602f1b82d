// Live events arrive in bursts (a batch every 250 ms while requests flow); screens that re-query
// on them run at most once per interval, and always once more after the last event so the final
// numbers are shown.

export type Throttled = { (): void; cancel(): void };

export function throttle(run: () => void, intervalMs: number): Throttled {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const fire = () => {
    timer = null;
    last = Date.now();
    run();
  };
  const throttled = () => {
    if (timer !== null) return;
    const wait = last + intervalMs - Date.now();
    if (wait <= 0) fire();
    else timer = setTimeout(fire, wait);
  };
  throttled.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return throttled;
}
