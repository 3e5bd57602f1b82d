// The window listens to the gateway's `requests` event once; screens subscribe here while they
// are shown, so switching screens never adds or drops a backend listener.
import type { LiveRequest } from "./ipc";

export type LiveListener = (batch: LiveRequest[]) => void;

export type LiveFeed = {
  publish(batch: LiveRequest[]): void;
  subscribe(listener: LiveListener): () => void;
};

export function createLiveFeed(): LiveFeed {
  const listeners = new Set<LiveListener>();
  return {
    publish(batch) {
      for (const listener of [...listeners]) listener(batch);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
