import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { throttle } from "./throttle";

describe("throttle", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs at once, then at most once per interval, and once more after the last call", () => {
    const run = vi.fn();
    const t = throttle(run, 1000);
    t();
    expect(run).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 8; i++) {
      vi.advanceTimersByTime(250);
      t();
    }
    // 2 s of calls every 250 ms ran at 0, 1 s and 2 s; the call made at 2 s runs at 3 s.
    expect(run).toHaveBeenCalledTimes(3);
    vi.advanceTimersByTime(999);
    expect(run).toHaveBeenCalledTimes(3);
    vi.advanceTimersByTime(1);
    expect(run).toHaveBeenCalledTimes(4);
    vi.advanceTimersByTime(5000);
    expect(run).toHaveBeenCalledTimes(4);
  });

  it("drops the pending run when cancelled", () => {
    const run = vi.fn();
    const t = throttle(run, 1000);
    t();
    t();
    t.cancel();
    vi.advanceTimersByTime(2000);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
