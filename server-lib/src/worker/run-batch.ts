/**
 * One enqueue call of a job run: a request's {@link PendingBatch}, which also hands the run
 * what BullMQ built each task's job from (built-sources.ts), so the run is written without
 * making snapshots (stored-run.ts).
 */
import { PendingBatch, type BatchRecording } from '../core/pending-batch.js';
import type { BuiltJob, EnqueueSpec, EnqueuedJob } from '../core/scope.js';
import type { TaskEntry } from '../core/task-entry.js';

/** What a run batch reports to: the run's recording. */
export interface BuiltRecording extends BatchRecording {
  /** BullMQ built `entry`'s job from `json` (its data as stored) and `opts` (its own copy of the options). */
  keepBuilt(entry: TaskEntry, json: string, opts: unknown): void;
}

/**
 * @example
 * ```ts
 * const pending = new RunBatch(recording, createTasks(runtime, specs, trace, target), specs);
 * ```
 */
export class RunBatch extends PendingBatch {
  private run: BuiltRecording | undefined;
  private entries: TaskEntry[] | undefined;
  /** Tasks before it are built: BullMQ builds a call's jobs in order, so the one just built is nearly always this one. */
  private next = 0;
  /** Tasks after `next` found built out of order, already handed on. */
  private keptOutOfOrder: Set<TaskEntry> | undefined;

  constructor(run: BuiltRecording, entries: TaskEntry[], specs: EnqueueSpec[]) {
    super(run, entries, specs);
    this.run = run;
    this.entries = entries;
  }

  override built(job: BuiltJob): void {
    super.built(job);
    const entries = this.entries;
    if (entries === undefined) return;
    try {
      const entry = this.justBuilt(entries);
      if (entry !== undefined) this.run?.keepBuilt(entry, job.json, job.job.opts);
    } catch (error) {
      this.run?.warn('run-built', 'could not record a job BullMQ built', error);
    }
  }

  override settle(outcome: { jobs: EnqueuedJob[] } | { error: unknown }): void {
    // Let go first, as the batch does: a leaked async context may hold this object, only it.
    this.run = undefined;
    this.entries = undefined;
    super.settle(outcome);
  }

  /** The task the batch just matched to a built job (it marks it built), if any. */
  private justBuilt(entries: TaskEntry[]): TaskEntry | undefined {
    const kept = this.keptOutOfOrder;
    while (kept !== undefined && this.next < entries.length && kept.has(entries[this.next]!)) this.next += 1;
    const next = entries[this.next];
    if (next !== undefined && next.built) {
      this.next += 1;
      return next;
    }
    // Out of order (an app's subclass copied the data on the way): the first built one not kept yet.
    for (let index = this.next + 1; index < entries.length; index += 1) {
      const entry = entries[index]!;
      if (entry.built && kept?.has(entry) !== true) {
        (this.keptOutOfOrder ??= new Set()).add(entry);
        return entry;
      }
    }
    return undefined;
  }
}
