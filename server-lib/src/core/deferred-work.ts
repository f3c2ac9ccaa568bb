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
// A ring of the calls waiting, oldest at `head`: allocated once, so queueing one allocates nothing.
const fns: Array<Task | undefined> = new Array<Task | undefined>(MAX_WAITING).fill(undefined);
const firsts: unknown[] = new Array<unknown>(MAX_WAITING).fill(undefined);
const seconds: unknown[] = new Array<unknown>(MAX_WAITING).fill(undefined);
let head = 0;
let count = 0;
let scheduled = false;
// Armed at most once per millisecond: a flush where results are read leaves it armed, so the
// next request's work rides on it rather than re-arming it (each re-arm is a timer-list insert).
const timer = setTimeout(onTimer, 1);
timer.unref();

function onTimer(): void {
  scheduled = false;
  runDeferredWork();
}

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
  const slot = head + count < MAX_WAITING ? head + count : head + count - MAX_WAITING;
  fns[slot] = fn as Task;
  firsts[slot] = a;
  seconds[slot] = b;
  count += 1;
  if (count >= MAX_WAITING) runDeferredWork();
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
  // Each call is taken off the ring before it runs: one that queues more work, or runs this
  // again, finds the ring in order.
  while (count > 0) {
    const fn = fns[head]!;
    const a = firsts[head];
    const b = seconds[head];
    fns[head] = undefined;
    firsts[head] = undefined;
    seconds[head] = undefined;
    head = head + 1 === MAX_WAITING ? 0 : head + 1;
    count -= 1;
    try {
      fn(a as never, b as never);
    } catch {
      // Each task guards itself (and logs once); this only keeps one from stopping the rest.
    }
  }
}
