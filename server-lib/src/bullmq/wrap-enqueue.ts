/**
 * The wrapper around one BullMQ enqueue method: records through the request's recorder, and
 * otherwise behaves exactly like the method it wraps.
 */
import { createLog } from '../core/log.js';
import { currentRecorder, runInRequestScope, type EnqueueRecorder, type EnqueueSpec, type EnqueuedJob, type PendingEnqueue } from '../core/scope.js';

export type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
/** Builds the specs of one call from its `this` and arguments. */
export type Describe = (self: never, args: unknown[]) => EnqueueSpec[];
/** Reads the enqueued jobs, in spec order, from what the call resolved to. */
export type Outcome = (result: unknown, count: number, args: unknown[]) => EnqueuedJob[];

const log = createLog();

const NO_PENDING: PendingEnqueue = { settle() {} };
// Installed as the "recorder" while BullMQ's own method runs, so an enqueue method called from
// inside another (by an app's subclass) is not recorded a second time. Even a patch made by
// another copy of taskscope, which does not know this object, only records into a no-op.
const INSIDE_ENQUEUE: EnqueueRecorder = { begin: () => NO_PENDING };

function settle(pending: PendingEnqueue, outcome: { jobs: EnqueuedJob[] } | { error: unknown }): void {
  try {
    pending.settle(outcome);
  } catch (error) {
    log.warnOnce('settle', 'could not record the outcome of an enqueue', error);
  }
}

function settleJobs(pending: PendingEnqueue, outcome: Outcome, result: unknown, count: number, args: unknown[]): void {
  let jobs: EnqueuedJob[];
  try {
    jobs = outcome(result, count, args);
  } catch (error) {
    log.warnOnce('outcome', 'could not read the jobs BullMQ returned', error);
    jobs = Array.from({ length: count }, () => ({ jobId: null }));
  }
  settle(pending, { jobs });
}

/**
 * Wraps `original`. Outside a tracked request it is a straight call; inside one, the call is
 * described and recorded, and a failure of taskscope's own is logged once and swallowed.
 * `state.active` false turns the wrapper into a pass-through (after an undo that could not
 * unhook it).
 *
 * @example
 * ```ts
 * proto.add = wrapEnqueue(proto.add, describeAdd, jobsOfAdd, { active: true });
 * ```
 */
export function wrapEnqueue(original: AnyFunction, describe: Describe, outcome: Outcome, state: { active: boolean }): AnyFunction {
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const recorder = currentRecorder();
    // Outside a tracked request (workers, boot code) the app pays one AsyncLocalStorage read.
    if (recorder === undefined || recorder === INSIDE_ENQUEUE || !state.active) return original.apply(this, args);

    let pending = NO_PENDING;
    let count = 0;
    try {
      const specs = describe(this as never, args);
      count = specs.length;
      pending = recorder.begin(specs, wrapped);
    } catch (error) {
      log.warnOnce('begin', 'could not record an enqueue', error);
    }

    let result: unknown;
    try {
      result = runInRequestScope(INSIDE_ENQUEUE, () => original.apply(this, args));
    } catch (error) {
      settle(pending, { error });
      throw error;
    }
    if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') {
      settleJobs(pending, outcome, result, count, args);
      return result;
    }
    // A derived promise, not BullMQ's own with a handler attached: it resolves to the same value
    // and rejects with the same error, and when the app does not handle it, the rejection is
    // still reported as unhandled (a `catch` that swallowed and re-attached would hide it).
    return (result as PromiseLike<unknown>).then(
      (value) => {
        settleJobs(pending, outcome, value, count, args);
        return value;
      },
      (error: unknown) => {
        settle(pending, { error });
        throw error;
      },
    );
  };
  Object.defineProperty(wrapped, 'name', { value: original.name });
  Object.defineProperty(wrapped, 'length', { value: original.length });
  return wrapped;
}

