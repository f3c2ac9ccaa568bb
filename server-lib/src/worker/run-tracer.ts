/**
 * Starts and ends the {@link RunRecording} of each attempt a patched Worker processes, deciding
 * whether the job descends from a tracked request: from this process's links at once, else from
 * the shared store while the processor already runs (never delaying it).
 */
import { hostname } from 'node:os';
import { activeJobRuns, type JobRunsContext } from './lineage.js';
import { outcomeOf } from './run-outcome.js';
import { RunRecording } from './run-recording.js';
import type { RunnerInfo } from './stored-run.js';
import type { JobKey } from './run-store.js';
import type { JobLineage } from '../protocol-runs.js';

/**
 * A job added this recently may be picked up before its link reached the shared store (the web
 * app writes it once BullMQ's add answered, while a blocked worker is woken by the same add), or
 * before the job that enqueued it knew its own lineage: it is asked again, less and less often.
 */
const RECHECK_WINDOW_MS = 5_000;
const RECHECK_AFTER_MS = [5, 20, 50, 100, 250, 500, 1000, 2000];
/** In this process the link comes within a turn or two of the event loop, or never. */
const LOCAL_RECHECK_AFTER_MS = [1, 10];

/** What of a BullMQ Worker the tracer reads. */
export interface WorkerLike {
  name: string;
  opts?: { prefix?: string; name?: string };
}

/** What of a BullMQ Job the tracer reads. */
export interface JobLike {
  id?: string;
  attemptsStarted?: number;
  attemptsMade?: number;
  timestamp?: number;
  finishedOn?: number;
  failedReason?: string;
}

/** An attempt in progress: its recording and what its processor did. */
export interface ActiveRun {
  run: RunRecording;
  job: JobLike;
  attemptsMadeBefore: number;
  /** Set when the processor settled: `{}` resolved, `{ error }` threw. */
  processed?: { error?: unknown };
}

let runner: RunnerInfo | undefined;
// One object per worker name, shared by every run stored in this process's memory.
const named = new Map<string, RunnerInfo>();
const MAX_NAMED = 100;
function runnerOf(worker: WorkerLike): RunnerInfo {
  runner ??= { host: hostname(), pid: process.pid, name: null };
  const name = typeof worker.opts?.name === 'string' ? worker.opts.name : null;
  if (name === null) return runner;
  let info = named.get(name);
  if (info === undefined) {
    info = { ...runner, name };
    if (named.size < MAX_NAMED) named.set(name, info);
  }
  return info;
}

/** The job's place in BullMQ, as the worker processing it sees it. */
export function jobKeyOf(worker: WorkerLike, jobId: string): JobKey {
  return { prefix: worker.opts?.prefix ?? 'bull', queue: worker.name, jobId };
}

function isYoung(job: JobLike): boolean {
  return typeof job.timestamp === 'number' && Date.now() - job.timestamp < RECHECK_WINDOW_MS;
}

/** Asks the shared stores for the job's link, again while it is young, until found or not. */
function lookUp(active: ActiveRun, contexts: JobRunsContext[], primary: JobRunsContext, round: number): void {
  const { run, job } = active;
  findInStores(contexts, run.job).then(
    (found) => {
      if (found) return run.decide(found[0], found[1]);
      const delay = RECHECK_AFTER_MS[round];
      if (delay === undefined || !isYoung(job)) return run.decide(undefined, undefined);
      setTimeout(() => lookUp(active, contexts, primary, round + 1), delay).unref();
    },
    (error: unknown) => {
      primary.runtime.log.warnOnce('runs-lookup', 'could not read the link of a job to its request', error);
      run.decide(undefined, undefined);
    },
  );
}

/** Asks this process's links again, a few milliseconds apart, before deciding the job is not tracked. */
function recheckLocal(active: ActiveRun, contexts: JobRunsContext[], round: number): void {
  const delay = LOCAL_RECHECK_AFTER_MS[round];
  if (delay === undefined) return active.run.decide(undefined, undefined);
  setTimeout(() => {
    for (const context of contexts) {
      const lineage = context.localLineage(active.run.job);
      if (lineage !== undefined) return active.run.decide(context, lineage);
    }
    recheckLocal(active, contexts, round + 1);
  }, delay).unref();
}

async function findInStores(contexts: JobRunsContext[], key: JobKey): Promise<[JobRunsContext, JobLineage] | undefined> {
  for (const context of contexts) {
    if (context.localOnly) continue;
    const lineage = await context.runs.lineage(key);
    if (lineage !== undefined) return [context, lineage];
  }
  return undefined;
}

/**
 * Begins recording an attempt, or `undefined` when it certainly is not part of a tracked
 * request's lineage (then the worker runs exactly as without Taskscope).
 *
 * @example
 * ```ts
 * const active = startRun(worker, job);
 * ```
 */
export function startRun(worker: WorkerLike, job: JobLike): ActiveRun | undefined {
  const registry = activeJobRuns();
  if (registry.size === 0 || job.id === undefined) return undefined;
  const key = jobKeyOf(worker, String(job.id));
  const attempt = typeof job.attemptsStarted === 'number' && job.attemptsStarted > 0 ? job.attemptsStarted : (job.attemptsMade ?? 0) + 1;
  // The registry itself, not a copy: this runs for every job, and a link is nearly always local.
  for (const context of registry) {
    const lineage = context.localLineage(key, job.timestamp);
    if (lineage === undefined) continue;
    const run = new RunRecording(context.runtime, key, attempt, runnerOf(worker));
    run.decide(context, lineage);
    return { run, job, attemptsMadeBefore: job.attemptsMade ?? 0 };
  }
  const contexts = [...registry];
  const primary = contexts[contexts.length - 1]!;
  if (contexts.every((context) => context.localOnly)) {
    // The reply to the add that made this job may come in just after the worker got the job
    // (BullMQ's moveToFinished fetches the next job in the same round trip): ask once more shortly.
    if (!isYoung(job)) return undefined;
    const active: ActiveRun = { run: new RunRecording(primary.runtime, key, attempt, runnerOf(worker)), job, attemptsMadeBefore: job.attemptsMade ?? 0 };
    recheckLocal(active, contexts, 0);
    return active;
  }
  const active: ActiveRun = { run: new RunRecording(primary.runtime, key, attempt, runnerOf(worker)), job, attemptsMadeBefore: job.attemptsMade ?? 0 };
  lookUp(active, contexts, primary, 0);
  return active;
}

/**
 * Ends the attempt once BullMQ is done with it (moved to completed, failed, delayed or waiting).
 *
 * @example
 * ```ts
 * endRun(active);
 * ```
 */
export function endRun(active: ActiveRun): void {
  const { run, job, processed } = active;
  const outcome = outcomeOf(processed, job.failedReason);
  let retried: boolean | null = null;
  if (outcome === 'failed') {
    if (typeof job.finishedOn === 'number' && job.finishedOn >= run.startedAt) retried = false;
    else if ((job.attemptsMade ?? 0) > active.attemptsMadeBefore) retried = true;
  }
  const error = processed && 'error' in processed ? processed.error : outcome === 'failed' ? new Error(String(job.failedReason)) : undefined;
  run.finish(outcome, error, retried);
}
