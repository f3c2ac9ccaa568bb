/**
 * Hooks inside BullMQ that let an enqueue be recorded without reading the app's data a second
 * time and without touching the promise the app gets:
 * - `Job#asJSON` is where BullMQ serialises a job for Redis (add, addBulk, flows): its `data`
 *   string is exactly what a worker receives, so the record keeps that string (and BullMQ's own
 *   copy of the options);
 * - `Job.create` and `Job.createBulk` are called at once by `Queue#add` and `Queue#addBulk` and
 *   return promises BullMQ awaits itself: those calls are settled from them, so the app gets
 *   BullMQ's own promise. (Flows and job schedulers reach their inner calls after an await, where
 *   an earlier failure would never be seen: they are settled from a derived promise instead.)
 * Each hook acts only inside an enqueue call the wrappers started (see `currentEnqueue`).
 */
import { createLog } from '../core/log.js';
import { currentEnqueue } from '../core/scope.js';
import { jobsOfAdd, jobsOfAddBulk } from './enqueue-specs.js';
import { replaceMethod, type AnyFunction } from '../core/patch-once.js';
import { settleFrom } from './wrap-enqueue.js';

const log = createLog();

function captureAsJSON(original: AnyFunction): AnyFunction {
  const asJSON = function (this: unknown, ...args: unknown[]): unknown {
    const stored = original.apply(this, args);
    const pending = currentEnqueue();
    if (pending === undefined) return stored;
    try {
      const data = (stored as { data?: unknown } | null)?.data;
      if (typeof data === 'string') pending.built({ job: this as never, json: data });
    } catch (error) {
      log.warnOnce('asJSON', 'could not read a job BullMQ built', error);
    }
    return stored;
  };
  return asJSON;
}

/**
 * Installs the hooks on a bullmq module's `Job`. Idempotent; returns an undo.
 *
 * @example
 * ```ts
 * const undo = hookJobs(require('bullmq'));
 * ```
 */
export function hookJobs(bullmq: { Job?: Function }): () => void {
  const Job = bullmq.Job;
  if (typeof Job !== 'function' || typeof Job.prototype !== 'object') return () => {};
  const undos = [
    replaceMethod(Job.prototype as object, 'asJSON', captureAsJSON),
    replaceMethod(Job, 'create', (original) => settleFrom(original, jobsOfAdd)),
    replaceMethod(Job, 'createBulk', (original) => settleFrom(original, jobsOfAddBulk)),
  ];
  return () => undos.forEach((undo) => undo());
}
