import type { TaskscopeLog } from '../core/log.js';
import type { JobRunsContext } from './lineage.js';
import { MemoryRunStore } from './memory-run-store.js';
import type { JobKey } from './run-store.js';
import type { StoredRun } from './stored-run.js';

/** Changes to a running attempt (progress, logs, enqueues) are written together at most this often. */
const FLUSH_MS = 50;

/** A run that can be written: what the shared flush and the finish ask of a RunRecording. */
interface WritableRun {
  flush(): void;
  write(): void;
}

// One shared, unref'd timer writes the runs that changed, rather than a timer per run: most
// attempts are short and are written once, when they end, before the timer comes.
const changedRuns = new Set<WritableRun>();
let flushTimer: NodeJS.Timeout | undefined;

function flushChanged(): void {
  flushTimer = undefined;
  const runs = [...changedRuns];
  changedRuns.clear();
  for (const run of runs) run.flush();
}

/**
 * Has `run` written within {@link FLUSH_MS}: so a short attempt is written once, when it ends.
 *
 * @example
 * ```ts
 * writeSoon(run); // a log line came
 * ```
 */
export function writeSoon(run: WritableRun): void {
  changedRuns.add(run);
  if (flushTimer !== undefined) return;
  flushTimer = setTimeout(flushChanged, FLUSH_MS);
  flushTimer.unref();
}

/**
 * `run` is being written now: the shared timer need not write it again.
 *
 * @example
 * ```ts
 * writtenNow(run);
 * ```
 */
export function writtenNow(run: WritableRun): void {
  changedRuns.delete(run);
}

/**
 * Writes a finished run; given to `deferWork`, so it runs with the next batch of deferred work,
 * off the worker's path to its next job.
 *
 * @example
 * ```ts
 * deferWork(writeFinished, run, undefined);
 * ```
 */
export function writeFinished(run: WritableRun): void {
  run.write();
}

/**
 * Saves one attempt's stored form in the owner's run store: at once in this process's memory
 * (no promise per run written), else in the background; a failure is logged once, never thrown.
 *
 * @example
 * ```ts
 * saveAttempt(owner, job, 2, stored, runtime.log);
 * ```
 */
export function saveAttempt(owner: JobRunsContext, job: JobKey, attempt: number, stored: StoredRun | null, log: TaskscopeLog): void {
  const runs = owner.runs;
  if (!(runs instanceof MemoryRunStore)) {
    runs.saveRun(job, attempt, stored).catch((error: unknown) => log.warnOnce('run-save', 'could not store a job run', error));
    return;
  }
  try {
    runs.saveRunNow(job, attempt, stored);
  } catch (error) {
    log.warnOnce('run-save', 'could not store a job run', error);
  }
}
