/**
 * The links request → job → follow-up job, kept by Taskscope (never in a job's data or options),
 * and the registry of Taskscope instances that record job runs in this process.
 */
import type { JobLineage } from '../protocol-runs.js';
import type { TaskscopeRuntime } from '../core/runtime.js';
import type { TaskEntry } from '../core/task-entry.js';
import { MemoryStore } from '../store/memory-store.js';
import { runDeferredWork } from '../core/deferred-work.js';
import type { RedisStore } from '../store/redis-store.js';
import type { Store } from '../store/store.js';
import { MemoryRunStore } from './memory-run-store.js';
import { RedisRunStore } from './redis-run-store.js';
import { jobKeyString, type FollowUpParent, type JobKey, type RunStore } from './run-store.js';

/** Links this process wrote, remembered so a worker in the same process needs no store round trip. */
const MAX_LOCAL_LINKS = 10_000;

/** Job runs of one Taskscope instance: its runtime, where runs live, and the links it wrote. */
export interface JobRunsContext {
  readonly runtime: TaskscopeRuntime;
  readonly runs: RunStore;
  /** Links `job` to `lineage`: remembered here at once, written to the store in the background. */
  link(entries: ReadonlyArray<{ job: JobKey; lineage: JobLineage }>): void;
  /**
   * A link this process wrote, or, for a store in memory, the only place links can be: sync.
   * `createdAt` (the job's timestamp) lets a link written since be trusted without first running
   * the deferred work (which may hold a newer link), so that work stays off the worker's path.
   */
  localLineage(job: JobKey, createdAt?: number): JobLineage | undefined;
  /** True when `localLineage` is the whole answer (the store is this process's memory). */
  readonly localOnly: boolean;
}

const REGISTRY = Symbol.for('taskscope.job-runs');
const globals = globalThis as { [REGISTRY]?: Set<JobRunsContext> };
// One set per process, even with two copies of taskscope loaded, like the request scope's storage.
const active: Set<JobRunsContext> = (globals[REGISTRY] ??= new Set());
const byRuntime = new WeakMap<TaskscopeRuntime, JobRunsContext>();
const runStores = new WeakMap<Store, RunStore>();

/**
 * The run store kept next to `store`: a `RedisStore`'s Redis (shared by processes), else this
 * process's memory. One per store, so every instance sharing a store shares its runs.
 */
function runStoreFor(runtime: TaskscopeRuntime): RunStore {
  const store = runtime.store;
  let runs = runStores.get(store);
  if (runs === undefined) {
    // Duck-typed, so loading the core never loads ioredis (and a RedisStore of another copy of taskscope counts).
    if (typeof (store as Partial<RedisStore>).runKeys === 'function') runs = new RedisRunStore((store as RedisStore).runKeys());
    else {
      if (!(store instanceof MemoryStore)) {
        runtime.log.warnOnce('runs-store', 'job runs are kept in this process only: the store is neither a MemoryStore nor a RedisStore');
      }
      runs = new MemoryRunStore();
    }
    runStores.set(store, runs);
  }
  return runs;
}

/**
 * Starts recording job runs for `runtime`: BullMQ Workers of this process find it through the
 * registry. Returns the undo (at `close`).
 *
 * @example
 * ```ts
 * const stop = registerJobRuns(runtime);
 * ```
 */
export function registerJobRuns(runtime: TaskscopeRuntime): () => void {
  const runs = runStoreFor(runtime);
  const local = new Map<string, JobLineage>();
  const context: JobRunsContext = {
    runtime,
    runs,
    localOnly: runs instanceof MemoryRunStore,
    link(entries) {
      // A store in this process's memory is its own local copy; a shared one gets one here too.
      if (runs instanceof MemoryRunStore) {
        runs.linkNow(entries);
        return;
      }
      for (const { job, lineage } of entries) {
        const key = jobKeyString(job);
        local.delete(key);
        local.set(key, lineage);
      }
      for (const [key] of local) {
        if (local.size <= MAX_LOCAL_LINKS) break;
        local.delete(key);
      }
      runs.link(entries).catch((error: unknown) => runtime.log.warnOnce('runs-link', 'could not store the link of a job to its request', error));
    },
    localLineage(job, createdAt) {
      if (runs instanceof MemoryRunStore && createdAt !== undefined) {
        const linked = runs.lineageNow(job, createdAt);
        if (linked !== undefined) return linked;
      }
      runDeferredWork(); // jobs settled a moment ago are linked before a worker of this process asks
      return runs instanceof MemoryRunStore ? runs.lineageNow(job) : local.get(jobKeyString(job));
    },
  };
  byRuntime.set(runtime, context);
  active.add(context);
  return () => {
    active.delete(context);
    byRuntime.delete(runtime);
  };
}

/** The job-runs context of a Taskscope instance, when it records runs. */
export function jobRunsOf(runtime: TaskscopeRuntime): JobRunsContext | undefined {
  return byRuntime.get(runtime);
}

/** Every instance recording job runs in this process, newest last. */
export function activeJobRuns(): ReadonlySet<JobRunsContext> {
  return active;
}

/**
 * Links the jobs a request's enqueue just settled to the request. Called by the request's
 * recording for every settled call; never throws.
 *
 * @example
 * ```ts
 * linkSettledTasks(runtime, recording.id, batch);
 * ```
 */
export function linkSettledTasks(runtime: TaskscopeRuntime, requestId: string, entries: readonly TaskEntry[]): void {
  const context = byRuntime.get(runtime);
  if (context === undefined) return;
  try {
    // In this process's memory a link is two numbers, made into a lineage only when read.
    if (context.runs instanceof MemoryRunStore) return context.runs.linkRequestTasks(requestId, entries);
    const links: Array<{ job: JobKey; lineage: JobLineage }> = [];
    for (const entry of entries) {
      if (entry.jobId === null || entry.duplicate === true) continue;
      links.push({
        job: { prefix: entry.prefix, queue: entry.queue, jobId: entry.jobId },
        lineage: { requestId, parent: { kind: 'request', requestId, seq: entry.seq }, depth: 1 },
      });
    }
    if (links.length > 0) context.link(links);
  } catch (error) {
    runtime.log.warnOnce('runs-link', 'could not link a job to its request', error);
  }
}

/**
 * Links the follow-ups an attempt's enqueue just settled to that attempt. Called by the run's
 * recording once it knows its own lineage; never throws.
 *
 * @example
 * ```ts
 * linkFollowUpTasks(context, new FollowUpParent(requestId, 'bull', 'orders', '7', 1, 2), batch);
 * ```
 */
export function linkFollowUpTasks(context: JobRunsContext, parent: FollowUpParent, entries: readonly TaskEntry[]): void {
  try {
    // In this process's memory every follow-up of the attempt shares `parent`: no lineage object each.
    if (context.runs instanceof MemoryRunStore) return context.runs.linkFollowUps(parent, entries);
    const links: Array<{ job: JobKey; lineage: JobLineage }> = [];
    for (const entry of entries) {
      if (entry.jobId === null || entry.duplicate === true) continue;
      links.push({ job: { prefix: entry.prefix, queue: entry.queue, jobId: entry.jobId }, lineage: parent.lineageOf(entry.seq) });
    }
    if (links.length > 0) context.link(links);
  } catch (error) {
    context.runtime.log.warnOnce('runs-link', 'could not link a follow-up job to its parent', error);
  }
}
