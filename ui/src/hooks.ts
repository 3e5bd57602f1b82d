// Loading and running commands from components: every screen needs the same loading, error and
// "ignore the answer if something newer was asked" handling.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { errorMessage } from "./format";

export type Loaded<T> = {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
  /** Replace the data with a newer answer (e.g. the Accounts a save returned). */
  set: (data: T) => void;
};

/** Loads on mount and whenever `deps` change; a slower, older answer never replaces a newer one. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const asked = useRef(0);
  const reload = useCallback(() => {
    const n = ++asked.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => n === asked.current && setState({ data, error: null, loading: false }),
      (e) => n === asked.current && setState((s) => ({ data: s.data, error: errorMessage(e), loading: false })),
    );
  }, deps);
  useEffect(reload, [reload]);
  useEffect(
    () => () => {
      asked.current++;
    },
    [],
  );
  const set = useCallback((data: T) => {
    asked.current++;
    setState({ data, error: null, loading: false });
  }, []);
  return { ...state, reload, set };
}

export type Action = {
  pending: boolean;
  error: string | null;
  /** Runs `action`, keeping its error for display; true when it succeeded. */
  run: (action: () => Promise<unknown>) => Promise<boolean>;
  clearError: () => void;
};

export function useAction(): Action {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setPending(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (e) {
      if (mounted.current) setError(errorMessage(e));
      return false;
    } finally {
      if (mounted.current) setPending(false);
    }
  }, []);
  const clearError = useCallback(() => setError(null), []);
  return { pending, error, run, clearError };
}
