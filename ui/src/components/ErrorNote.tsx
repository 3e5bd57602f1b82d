// A command's error in the backend's words, with a way to try again where that makes sense.
export function ErrorNote({ message, onRetry, id }: { message: string | null; onRetry?: () => void; id?: string }) {
  if (!message) return null;
  return (
    <div class="error" role="alert" id={id}>
      <span>{message}</span>
      {onRetry && (
        <button type="button" class="link" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}
