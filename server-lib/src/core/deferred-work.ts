/**
 * Bookkeeping that need not happen on the path of the app's `await`, batched: run about a
 * millisecond after the first of a batch was queued, or earlier by {@link runDeferredWork} where
 * its results are read — and only there: a record being saved (request-recording.ts,
 * run-recording.ts), the debug API (debug-api.ts), a Worker of this process looking up a job's
 * link (lineage.ts). An enqueue's call site is read and its result recorded here, after BullMQ
 * has written its command and the app has gone on.
 *
 * One timer, re-armed with `refresh()` for each batch rather than a `setImmediate` per enqueue:
 * on Node 20 every new async resource runs AsyncLocalStorage's hooks, and batches of a
 * millisecond take several enqueues of a busy app at once. (Re-armed after it fired, the timer
 * takes the async context of the call that re-armed it, until it fires again.)
 */

/** Calls waiting at most; past it they run at once, so a loop that never yields holds few. */
const MAX_WAITING = 256;

type Task = (a: never, b: never) => void;
let tasks: Task[] = [];
let firsts: unknown[] = [];
let seconds: unknown[] = [];
let scheduled = false;
const timer = setTimeout(runDeferredWork, 1);
timer.unref();

/**
 * Runs `fn(a, b)` with the next batch (or at the next {@link runDeferredWork}), in order with the
 * others. Two arguments instead of a closure: it is called on every enqueue. `fn` must not throw.
 *
 * @example
 * ```ts
 * deferWork(settleNow, pending, value);
 * ```
 */
export function deferWork<A, B>(fn: (a: A, b: B) => void, a: A, b: B): void {
  tasks.push(fn as Task);
  firsts.push(a);
  seconds.push(b);
  if (tasks.length >= MAX_WAITING) runDeferredWork();
  else if (!scheduled) {
    scheduled = true;
    timer.refresh();
  }
}

/**
 * Runs every waiting call now: before anything reads what they record (a record being saved or
 * served, a worker looking up a job's request).
 *
 * @example
 * ```ts
 * runDeferredWork();
 * const json = JSON.stringify(record);
 * ```
 */
export function runDeferredWork(): void {
  scheduled = false;
  while (tasks.length > 0) {
    const [fns, as, bs] = [tasks, firsts, seconds];
    tasks = [];
    firsts = [];
    seconds = [];
    for (let index = 0; index < fns.length; index += 1) {
      try {
        fns[index]!(as[index] as never, bs[index] as never);
      } catch {
        // Each task guards itself (and logs once); this only keeps one from stopping the rest.
      }
    }
  }
}
