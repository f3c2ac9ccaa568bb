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
import { settleFrom, type AnyFunction } from './wrap-enqueue.js';

const HOOKED = Symbol.for('taskscope.bullmq.hooked');
const log = createLog();

type Holder = Record<PropertyKey, unknown>;

/** Replaces `holder[method]` with `wrap(original)` once (marked with an own symbol); returns the undo. */
function hookOnce(holder: Holder, method: string, wrap: (original: AnyFunction) => AnyFunction): () => void {
  const original = holder[method];
  if (typeof original !== 'function') return () => {};
  const marks = (Object.prototype.hasOwnProperty.call(holder, HOOKED) ? holder[HOOKED] : undefined) as Set<string> | undefined;
  if (marks?.has(method)) return () => {};
  const hadOwn = Object.prototype.hasOwnProperty.call(holder, method);
  const wrapped = wrap(original as AnyFunction);
  Object.defineProperty(holder, method, { value: wrapped, writable: true, configurable: true, enumerable: false });
  const set = marks ?? new Set<string>();
  if (!marks) Object.defineProperty(holder, HOOKED, { value: set, configurable: true, enumerable: false });
  set.add(method);
  return () => {
    set.delete(method);
    if (holder[method] !== wrapped) return; // someone wrapped on top of us: leave theirs in place
    if (hadOwn) Object.defineProperty(holder, method, { value: original, writable: true, configurable: true, enumerable: false });
    else delete holder[method];
  };
}

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
  Object.defineProperty(asJSON, 'name', { value: original.name });
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
export function hookJobs(bullmq: { Job?: unknown }): () => void {
  const undos: Array<() => void> = [];
  const Job = bullmq.Job as unknown;
  const proto = typeof Job === 'function' ? (Job.prototype as Holder | undefined) : undefined;
  if (typeof Job === 'function' && proto) {
    undos.push(hookOnce(proto, 'asJSON', captureAsJSON));
    undos.push(hookOnce(Job as unknown as Holder, 'create', (original) => settleFrom(original, jobsOfAdd)));
    undos.push(hookOnce(Job as unknown as Holder, 'createBulk', (original) => settleFrom(original, jobsOfAddBulk)));
  }
  return () => undos.forEach((undo) => undo());
}
