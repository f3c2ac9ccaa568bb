/**
 * Patches BullMQ's `Worker` and `Job` so each attempt of a job descending from a tracked request
 * is recorded. Checked against bullmq 6.7's source: `Worker#processJob` runs one attempt from
 * start to its move to completed/failed/delayed (so the outcome BullMQ chose is known when it
 * settles); `Worker#handleCompleted` and `Worker#handleFailed` receive the processor's result or error; `Worker#emit('stalled', id)`
 * is how the stalled checker reports a job whose worker stopped renewing its lock; `Job#log`
 * and `Job#updateProgress` are what processors call. Each wrapper returns the original's value
 * (the same promise) and rethrows its error: the worker behaves exactly as without Taskscope.
 */
import { applyInScope } from '../core/scope.js';
import { createLog } from '../core/log.js';
import { activeJobRuns } from './lineage.js';
import { endRun, jobKeyOf, startRun, type ActiveRun, type JobLike, type WorkerLike } from './run-tracer.js';
import { installOnce, replaceMethod as patch, type AnyFunction } from '../core/patch-once.js';

type Holder = Record<PropertyKey, unknown>;

const PATCHED = Symbol.for('taskscope.worker.patched');
const log = createLog();
/** The attempt each Job object is in, while it runs in this process. */
const running = new WeakMap<object, ActiveRun>();

/** The part of a bullmq module this instruments. */
export interface WorkerModule {
  Worker: Function;
  Job?: Function;
}

function observe(result: unknown, onSettled: (error?: { error: unknown }) => void): void {
  if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') {
    onSettled();
    return;
  }
  // A derived promise that never rejects: the original keeps its own handlers and rejection.
  (result as PromiseLike<unknown>).then(() => onSettled(), (error: unknown) => onSettled({ error }));
}

function safely(key: string, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    log.warnOnce(key, 'could not record a job run', error);
  }
}

function processJob(original: AnyFunction): AnyFunction {
  return function (this: unknown, ...args: unknown[]): unknown {
    const job = args[0] as (JobLike & object) | undefined;
    if (activeJobRuns().size === 0 || typeof job !== 'object' || job === null) return original.apply(this, args);
    let active: ActiveRun | undefined;
    safely('run-start', () => {
      active = startRun(this as WorkerLike, job);
    });
    if (active === undefined) return original.apply(this, args);
    const started = active;
    running.set(job, started);
    const result = applyInScope(started.run.scope, original, this, args);
    observe(result, () => safely('run-end', () => {
      running.delete(job);
      endRun(started);
    }));
    return result;
  };
}

/**
 * How the processor ended, read from the arguments BullMQ hands to `handleCompleted(result, job)`
 * and `handleFailed(error, job)`. Nothing is attached to the processor's promise: a second
 * reaction on it would cut the async frames V8 adds to the stack of the processor's error, which
 * BullMQ stores in the job's `stacktrace`.
 */
function noteProcessed(failed: boolean): (original: AnyFunction) => AnyFunction {
  return (original) => function (this: unknown, ...args: unknown[]): unknown {
    const active = running.get(args[1] as object);
    if (active !== undefined) active.processed = failed ? { error: args[0] } : {};
    return original.apply(this, args);
  };
}

function emit(original: AnyFunction): AnyFunction {
  return function (this: unknown, ...args: unknown[]): unknown {
    if (args[0] === 'stalled' && activeJobRuns().size > 0 && typeof args[1] === 'string') {
      const key = jobKeyOf(this as WorkerLike, args[1]);
      const at = Date.now();
      for (const context of activeJobRuns()) {
        context.runs.noteStall(key, at).catch((error: unknown) => log.warnOnce('run-stall', 'could not record a stalled job', error));
      }
    }
    return original.apply(this, args);
  };
}

function jobMethod(record: (active: ActiveRun, value: unknown) => void): (original: AnyFunction) => AnyFunction {
  return (original) => function (this: unknown, ...args: unknown[]): unknown {
    const active = running.get(this as object);
    if (active !== undefined) safely('run-job-call', () => record(active, args[0]));
    return original.apply(this, args);
  };
}

/**
 * Instruments a bullmq module's `Worker` and `Job` once (marked with a `Symbol.for` key), so
 * every Worker of that module records runs while a Taskscope instance records job runs in this
 * process. Idempotent; returns an undo that removes the patches when every caller has undone.
 *
 * @example
 * ```ts
 * import * as bullmq from 'bullmq';
 * const undo = patchWorkers(bullmq);
 * ```
 */
export function patchWorkers(bullmq: WorkerModule): () => void {
  const proto = bullmq.Worker.prototype as Holder;
  return installOnce(proto, PATCHED, () => {
    const jobProto = typeof bullmq.Job === 'function' ? (bullmq.Job.prototype as Holder) : undefined;
    const undos = [
      patch(proto, 'processJob', processJob),
      patch(proto, 'handleCompleted', noteProcessed(false)),
      patch(proto, 'handleFailed', noteProcessed(true)),
      patch(proto, 'emit', emit),
      ...(jobProto ? [
        patch(jobProto, 'log', jobMethod((active, line) => active.run.addLog(line))),
        patch(jobProto, 'updateProgress', jobMethod((active, value) => active.run.addProgress(value))),
      ] : []),
    ];
    return () => undos.forEach((undo) => undo());
  });
}
