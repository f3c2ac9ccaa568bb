/**
 * Bookkeeping that need not happen on the path of the app's `await`: run once the current burst
 * of work and its microtasks are done (the check phase of this event-loop turn, `setImmediate`),
 * or earlier by {@link runTurnEnd} wherever its results are read. An enqueue's call site is read
 * and its result recorded here, after BullMQ has written its command and while the app goes on.
 */

/** Calls waiting at most; past it they run at once, so a loop that never yields holds few. */
const MAX_WAITING = 256;

type Task = (a: never, b: never) => void;
let tasks: Task[] = [];
let firsts: unknown[] = [];
let seconds: unknown[] = [];
let scheduled = false;

/**
 * Runs `fn(a, b)` at the end of this turn (or at the next {@link runTurnEnd}), in order with the
 * others. Two arguments instead of a closure: it is called on every enqueue. `fn` must not throw.
 *
 * @example
 * ```ts
 * atTurnEnd(settleNow, pending, value);
 * ```
 */
export function atTurnEnd<A, B>(fn: (a: A, b: B) => void, a: A, b: B): void {
  tasks.push(fn as Task);
  firsts.push(a);
  seconds.push(b);
  if (tasks.length >= MAX_WAITING) runTurnEnd();
  else if (!scheduled) {
    scheduled = true;
    setImmediate(runTurnEnd);
  }
}

/**
 * Runs every waiting call now: before anything reads what they record (a record being saved or
 * served, a worker looking up a job's request).
 *
 * @example
 * ```ts
 * runTurnEnd();
 * const json = JSON.stringify(record);
 * ```
 */
export function runTurnEnd(): void {
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
