/** Where Taskscope reports its own failures: once per kind, never into the app. */
export interface TaskscopeLog {
  /** Logs `message` the first time `key` is seen; later calls with the same key are silent. */
  warnOnce(key: string, message: string, error?: unknown): void;
}

/**
 * A log that writes each kind of failure once to `console.warn`, prefixed `[taskscope]`.
 *
 * @example
 * ```ts
 * const log = createLog();
 * log.warnOnce('save', 'could not store a request record', error);
 * ```
 */
export function createLog(write: (line: string) => void = (line) => console.warn(line)): TaskscopeLog {
  const seen = new Set<string>();
  return {
    warnOnce(key, message, error) {
      if (seen.has(key)) return;
      seen.add(key);
      try {
        const reason = error instanceof Error ? `: ${error.message}` : error === undefined ? '' : `: ${String(error)}`;
        write(`[taskscope] ${message}${reason} (further errors of this kind are not logged)`);
      } catch {
        // Logging must never be what breaks the app.
      }
    },
  };
}
