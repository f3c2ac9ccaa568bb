/**
 * Bookkeeping that need not happen on the path of the app's `await`, batched: run about a
 * millisecond after the first of a batch was queued, or earlier by {@link runDeferredWork} where
 * its results are read — and only there: a record being saved (request-recording.ts,
 * run-recording.ts), the debug API (debug-api.ts), a Worker of this process looking up a job's
 * link (lineage.ts). An enqueue's call site is read and its result recorded here, after BullMQ
 * has written its command and the app has gone on.
 *
 * One repeating timer while work keeps coming, rather than a `setImmediate` per enqueue: on
 * Node 20 every new async resource runs AsyncLocalStorage's hooks, and batches of a millisecond
 * take several enqueues of a busy app at once. It is started outside any request's async context,
 * so it keeps none alive.
 */
import { AsyncResource } from 'node:async_hooks';

/** Calls waiting at most; past it they run at once, so a loop that never yields holds few. */
const MAX_WAITING = 256;

type Task = (a: never, b: never) => void;
// A ring of the calls waiting, oldest at `head`: allocated once, so queueing one allocates nothing.
const fns: Array<Task | undefined> = new Array<Task | undefined>(MAX_WAITING).fill(undefined);
const firsts: unknown[] = new Array<unknown>(MAX_WAITING).fill(undefined);
const seconds: unknown[] = new Array<unknown>(MAX_WAITING).fill(undefined);
let head = 0;
let count = 0;
// A repeating, unref'd timer while work keeps coming: Node re-arms it after each fire itself, in
// the list it is already in. Re-arming a timer that fired (refresh) makes a new async resource
// (AsyncLocalStorage's hooks on Node 20) and a new 1 ms timer list, on the path of the add that
// queued the work. It stops after a few fires in a row found nothing waiting (work read where
// its results are read leaves none): the next work starts it again.
let timer: NodeJS.Timeout | undefined;
let idleFires = 0;
const MAX_IDLE_FIRES = 8;
// Made at load, in no request's context: the timer starts in it.
const outsideRequests = new AsyncResource('taskscope.deferred-work');

function startTimer(): NodeJS.Timeout {
  const started = setInterval(onTimer, 1);
  started.unref();
  return started;
}

function onTimer(): void {
  if (count > 0) {
    idleFires = 0;
    runDeferredWork();
  } else if (++idleFires >= MAX_IDLE_FIRES) {
    clearInterval(timer);
    timer = undefined;
  }
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
  else if (timer === undefined) timer = outsideRequests.runInAsyncScope(startTimer);
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
