/**
 * The wrapper around one BullMQ enqueue method: records through the request's recorder, and
 * otherwise behaves exactly like the method it wraps — it returns BullMQ's own promise.
 */
import { createLog } from '../core/log.js';
import { applyInScope, currentRecorder, type EnqueueSpec, type EnqueuedJob, type PendingEnqueue } from '../core/scope.js';
import { captureTrace } from '../core/stack.js';
import { deferWork } from '../core/deferred-work.js';

import type { AnyFunction } from '../core/patch-once.js';

export type { AnyFunction };
/** Builds the specs of one call from its `this` and arguments. */
export type Describe = (self: never, args: unknown[]) => EnqueueSpec[];
/** Reads the enqueued jobs, in spec order, from what the call resolved to. */
export type Outcome = (result: unknown, count: number, args: unknown[]) => EnqueuedJob[];
const log = createLog();
const NO_ARGS: unknown[] = [];

/** Stands in for the recorder when recording is off or failed: still marks "inside an enqueue". */
export const NO_PENDING: PendingEnqueue = {
  inside: true,
  get entered() {
    return false;
  },
  set entered(_: boolean) {},
  begin: () => NO_PENDING,
  built() {},
  settle() {},
};

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
    // Outside a tracked request (workers, boot code) the app pays one AsyncLocalStorage read;
    // inside another enqueue (an app's subclass calling `add` from `addBulk`) it is not recorded twice.
    if (recorder === undefined || recorder.inside === true || !state.active) return original.apply(this, args);

    let pending = NO_PENDING;
    let count = 0;
    try {
      // Captured first thing, so V8 walks no frame of Taskscope's own above the app's call.
      const frames = recorder.captureFrames ?? 0;
      const trace = frames > 0 ? captureTrace(frames, wrapped) : undefined;
      const specs = describe(this as never, args);
      count = specs.length;
      pending = recorder.begin(specs, trace);
    } catch (error) {
      log.warnOnce('begin', 'could not record an enqueue', error);
    }

    let result: unknown;
    try {
      result = applyInScope(pending, original, this, args);
    } catch (error) {
      settle(pending, { error });
      throw error;
    }
    // A hook inside BullMQ took the call (Job.create, Job.createBulk): BullMQ's own promise goes back.
    if (pending.entered || pending === NO_PENDING) return result;
    if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') {
      settleJobs(pending, outcome, result, count, args);
      return result;
    }
    // Flows, job schedulers, and an add that failed before BullMQ built its job: a derived promise that resolves to the same value
    // and rejects with the same error (an unhandled rejection is still reported as unhandled).
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

/**
 * Wraps a function BullMQ calls and awaits inside an enqueue (`Job.create`, `Job.createBulk`):
 * the call in flight is settled from its promise — recorded with the next batch of deferred work
 * (deferred-work.ts), so the app's `await` resumes without waiting for the bookkeeping. BullMQ
 * awaits that promise itself, so watching it changes nothing the app can see: not the promise
 * the app gets, not its tick, not whether a rejection is unhandled.
 *
 * @example
 * ```ts
 * Job.create = settleFrom(Job.create, jobsOfAdd);
 * ```
 */
export function settleFrom(original: AnyFunction, outcome: Outcome): AnyFunction {
  // Recorded with the next batch of deferred work: BullMQ's promise resolves straight into the app's await.
  const settleLater = (pending: PendingEnqueue, value: unknown) => settleJobs(pending, outcome, value, -1, NO_ARGS);
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const pending = currentRecorder();
    const result = original.apply(this, args);
    if (pending?.inside !== true || pending === NO_PENDING) return result;
    if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') return result;
    (pending as PendingEnqueue).entered = true;
    (result as PromiseLike<unknown>).then(
      (value) => deferWork(settleLater, pending as PendingEnqueue, value),
      (error: unknown) => settle(pending as PendingEnqueue, { error }),
    );
    return result;
  };
  Object.defineProperty(wrapped, 'name', { value: original.name });
  Object.defineProperty(wrapped, 'length', { value: original.length });
  return wrapped;
}
