import { clip } from '../core/clip.js';
import type { JobRun, RunOutcome } from '../protocol-runs.js';

/** Stack lines kept per failed attempt, and the longest line. */
const MAX_STACK_LINES = 20;
const MAX_STACK_LINE = 300;
/** The longest `job.log` line kept. */
export const MAX_LOG_LINE = 1000;

// Errors a processor throws to move its job rather than fail it (see BullMQ's Worker#handleFailed).
const MOVING_ERRORS = new Set(['DelayedError', 'WaitingError', 'WaitingChildrenError', 'RateLimitError']);

/**
 * How an attempt ended, from what its processor did: BullMQ's own reading of the same facts.
 *
 * @example
 * ```ts
 * outcomeOf({ error: new Error('boom') }); // 'failed'
 * ```
 */
export function outcomeOf(processed: { error?: unknown } | undefined, failedReason: unknown): RunOutcome {
  if (processed === undefined) return typeof failedReason === 'string' ? 'failed' : 'completed';
  if (!('error' in processed)) return 'completed';
  const name = (processed.error as { name?: unknown } | null)?.name;
  const message = (processed.error as { message?: unknown } | null)?.message;
  if (typeof name === 'string' && MOVING_ERRORS.has(name)) return 'moved';
  if (message === 'bullmq:rateLimitExceeded') return 'moved';
  return 'failed';
}

/**
 * The processor's error, bounded: name, message, and the first stack lines after the message.
 *
 * @example
 * ```ts
 * describeError(new TypeError('x')); // { name: 'TypeError', message: 'x', stack: ['at …'] }
 * ```
 */
export function describeError(error: unknown): JobRun['error'] {
  try {
    if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
      const { name, message, stack } = error as { name?: unknown; message?: unknown; stack?: unknown };
      const lines = typeof stack === 'string' ? stack.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('at ')) : [];
      return {
        name: clip(String(name ?? 'Error'), 200),
        message: clip(String(message ?? '')),
        stack: lines.slice(0, MAX_STACK_LINES).map((line) => clip(line, MAX_STACK_LINE)),
      };
    }
    return { name: typeof error, message: clip(String(error)), stack: [] };
  } catch {
    return { name: 'Error', message: 'unreadable error', stack: [] };
  }
}

/**
 * Appends to a bounded list keeping the newest `max` items; `count` says how many there were.
 *
 * @example
 * ```ts
 * pushNewest(run.logs, 'lines', { at: Date.now(), line }, 50);
 * ```
 */
export function pushNewest<K extends string, T>(holder: { count: number } & Record<K, T[]>, key: K, item: T, max: number): void {
  holder.count += 1;
  if (max === 0) return;
  const list = holder[key];
  if (list.length >= max) list.shift();
  list.push(item);
}
