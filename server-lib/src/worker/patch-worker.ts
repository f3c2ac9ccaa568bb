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

function processJob(original: AnyFunction): AnyFunction {
  return function (this: unknown, ...args: unknown[]): unknown {
    const job = args[0] as (JobLike & object) | undefined;
    if (activeJobRuns().size === 0 || typeof job !== 'object' || job === null) return original.apply(this, args);
    // No closure per attempt but the one that ends it: this runs for every job a Worker takes.
    let started: ActiveRun | undefined;
    try {
      started = startRun(this as WorkerLike, job);
    } catch (error) {
      log.warnOnce('run-start', 'could not record a job run', error);
    }
    if (started === undefined) return original.apply(this, args);
    const active = started;
    running.set(job, active);
    const result = applyInScope(active.run.scope, original, this, args);
    const end = (): void => {
      try {
        running.delete(job);
        endRun(active);
      } catch (error) {
        log.warnOnce('run-end', 'could not record a job run', error);
      }
    };
    // A derived promise that never rejects: the original keeps its own handlers and rejection.
    if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') (result as PromiseLike<unknown>).then(end, end);
    else end();
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
  return (original) => function (this: unknown, outcome: unknown, job: unknown): unknown {
    const active = running.get(job as object);
    if (active !== undefined) active.processed = failed ? { error: outcome } : RESOLVED;
    // `arguments` as they came (no copy): BullMQ calls these, and `emit`, several times per job.
    return original.apply(this, arguments as unknown as unknown[]);
  };
}

/** How every processor that resolved settled (`ActiveRun.processed`): one object for all. */
const RESOLVED: { error?: unknown } = Object.freeze({});

function emit(original: AnyFunction): AnyFunction {
  return function (this: unknown, event: unknown, jobId: unknown): unknown {
    if (event === 'stalled' && activeJobRuns().size > 0 && typeof jobId === 'string') {
      const key = jobKeyOf(this as WorkerLike, jobId);
      const at = Date.now();
      for (const context of activeJobRuns()) {
        context.runs.noteStall(key, at).catch((error: unknown) => log.warnOnce('run-stall', 'could not record a stalled job', error));
      }
    }
    return original.apply(this, arguments as unknown as unknown[]);
  };
}

function jobMethod(record: (active: ActiveRun, value: unknown) => void): (original: AnyFunction) => AnyFunction {
  return (original) => function (this: unknown, ...args: unknown[]): unknown {
    const active = running.get(this as object);
    if (active !== undefined) {
      try {
        record(active, args[0]);
      } catch (error) {
        log.warnOnce('run-job-call', 'could not record a job run', error);
      }
    }
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
