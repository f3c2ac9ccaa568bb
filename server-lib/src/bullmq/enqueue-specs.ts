/**
 * Turns the arguments of a Queue's enqueue methods (`add`, `addBulk`, `upsertJobScheduler`)
 * into `EnqueueSpec`s, and their results into `EnqueuedJob`s in the same order; flow-specs.ts
 * does the same for FlowProducer. Pure functions over duck-typed shapes, so they work for every
 * bullmq version whose classes have these fields (5.40+ and 6.x).
 */
import type { EnqueueSpec, EnqueuedJob } from '../core/scope.js';
import { rememberQueue } from './source-registry.js';
import { sliceWhole } from '../core/clip.js';

type Options = Record<string, unknown>;

/** The fields of a Queue the specs need (`jobsOpts` holds the queue's defaultJobOptions). */
export interface QueueLike {
  name: string;
  opts?: { prefix?: string };
  jobsOpts?: Options;
}

/** The fields of a Job the results need. */
export interface JobLike {
  id?: string | null;
  timestamp?: number;
}

/** BullMQ's key prefix when none is given. */
export const DEFAULT_PREFIX = 'bull';

/** Longest queue or job name kept in a record; a longer one ends with `…`. */
export const MAX_NAME_LENGTH = 256;

/**
 * A job or queue name as a record shows it, bounded. A name that is not a string is turned into
 * one as BullMQ would (`String`), and one whose `toString` throws is shown as `[unprintable]`:
 * the add still reaches BullMQ, which decides what happens.
 *
 * @example
 * ```ts
 * displayName('x'.repeat(10_000)).length; // 257
 * ```
 */
export function displayName(name: unknown): string {
  let text: string;
  try {
    text = typeof name === 'string' ? name : String(name);
  } catch {
    return '[unprintable]';
  }
  return text.length > MAX_NAME_LENGTH ? `${sliceWhole(text, MAX_NAME_LENGTH)}…` : text;
}

// The data and options are passed on by reference and never read here: the jobs BullMQ builds
// from them (Job#asJSON) are what the record shows, with the queue's defaults BullMQ applied.
function queueSpec(queue: QueueLike, via: EnqueueSpec['via'], name: unknown, data: unknown, opts: unknown): EnqueueSpec {
  const prefix = queue.opts?.prefix ?? DEFAULT_PREFIX;
  rememberQueue(prefix, queue.name, queue);
  return { via, queue: displayName(queue.name), prefix, name: displayName(name), data, opts, source: queue };
}

/** The id (and creation time) of a job BullMQ returned. */
export function fromJob(job: JobLike | undefined | null, withTimestamp = true): EnqueuedJob {
  if (job == null || typeof job !== 'object') return { jobId: null };
  const jobId = job.id == null ? null : String(job.id);
  return withTimestamp && typeof job.timestamp === 'number' ? { jobId, timestamp: job.timestamp } : { jobId };
}

/** `jobs` cut or padded to `count`; a negative count: the jobs as they are (a call settled from inside BullMQ, see settleFrom). */
export function padTo(jobs: EnqueuedJob[], count: number): EnqueuedJob[] {
  if (count < 0) return jobs;
  while (jobs.length < count) jobs.push({ jobId: null });
  return jobs.length > count ? jobs.slice(0, count) : jobs;
}

/**
 * Specs of `queue.add(name, data, opts)`.
 *
 * @example
 * ```ts
 * recorder.begin(describeAdd(queue, ['send', { to }, { delay: 1000 }]));
 * ```
 */
export function describeAdd(queue: QueueLike, args: unknown[]): EnqueueSpec[] {
  return [queueSpec(queue, 'add', args[0], args[1], args[2])];
}

/**
 * Specs of `queue.addBulk(jobs)`, one per job.
 *
 * @example
 * ```ts
 * describeAddBulk(queue, [[{ name: 'a', data: {} }]]);
 * ```
 */
export function describeAddBulk(queue: QueueLike, args: unknown[]): EnqueueSpec[] {
  const jobs = Array.isArray(args[0]) ? (args[0] as Array<{ name?: unknown; data?: unknown; opts?: unknown } | null>) : [];
  return jobs.map((job) => queueSpec(queue, 'addBulk', job?.name, job?.data, job?.opts));
}

/**
 * Spec of `queue.upsertJobScheduler(id, repeatOpts, template)`: the scheduler's first job, with
 * the repeat options folded into `opts` so the panel can show the schedule.
 *
 * @example
 * ```ts
 * describeUpsertJobScheduler(queue, ['every-minute', { every: 60_000 }, { name: 'tick' }]);
 * ```
 */
export function describeUpsertJobScheduler(queue: QueueLike, args: unknown[]): EnqueueSpec[] {
  const schedulerId = args[0] == null ? null : String(args[0]);
  const template = (args[2] ?? {}) as { name?: unknown; data?: unknown; opts?: Options };
  const spec = queueSpec(queue, 'scheduler', template.name ?? schedulerId, template.data ?? {}, { ...template.opts, repeat: args[1] });
  spec.schedulerId = schedulerId;
  return [spec];
}

/**
 * The job `queue.add` resolved to. Its `timestamp` is the one BullMQ wrote for a new job; when
 * the id already existed (custom `jobId`, deduplication) BullMQ still returns a fresh Job object
 * with a fresh timestamp and the old id, so a duplicate can only be told later, from Redis.
 *
 * @example
 * ```ts
 * pending.settle({ jobs: jobsOfAdd(await original, specs.length) });
 * ```
 */
export function jobsOfAdd(result: unknown, count: number): EnqueuedJob[] {
  return padTo([fromJob(result as JobLike)], count);
}

/**
 * The jobs `queue.addBulk` resolved to, in input order.
 *
 * @example
 * ```ts
 * jobsOfAddBulk(jobs, specs.length);
 * ```
 */
export function jobsOfAddBulk(result: unknown, count: number): EnqueuedJob[] {
  return padTo(Array.isArray(result) ? result.map((job: JobLike) => fromJob(job)) : [], count);
}

/**
 * The next job `upsertJobScheduler` resolved to (`undefined` when the schedule has ended).
 * Its timestamp is left out: BullMQ stamps the stored job with a second `Date.now()` taken
 * in the backend, so comparing the two would report false duplicates.
 *
 * @example
 * ```ts
 * jobsOfUpsertJobScheduler(job, 1);
 * ```
 */
export function jobsOfUpsertJobScheduler(result: unknown, count: number): EnqueuedJob[] {
  const job = fromJob(result as JobLike, false);
  // The first iteration of a schedule is usually due later: its delay is only known from the result.
  const delay = (result as { delay?: unknown } | null | undefined)?.delay;
  if (typeof delay === 'number' && delay > 0) job.delayMs = delay;
  return padTo([job], count);
}

