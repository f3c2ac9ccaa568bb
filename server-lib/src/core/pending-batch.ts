import { performance } from 'node:perf_hooks';
import { addCallToSummary } from './analyze.js';
import { clip } from './clip.js';
import type { BuiltJob, EnqueueSpec, EnqueuedJob, PendingEnqueue } from './scope.js';
import type { TaskEntry } from './task-entry.js';
import type { RecordSummary } from '../protocol.js';

/** What a batch records into: a request's recording, or a job run's (worker/job-run.ts). */
export interface BatchRecording {
  readonly record: { summary: RecordSummary; tasks: TaskEntry[] };
  changedAfterSave(entries: TaskEntry[]): void;
  warn(key: string, message: string, error: unknown): void;
}

/**
 * One enqueue call in flight: the scope's recorder while BullMQ's method runs, so the jobs BullMQ
 * builds are matched to its tasks, then settled once with the call's outcome. A class rather
 * than closures, as one is made on every enqueue; it lets go of the recording once settled.
 *
 * @example
 * ```ts
 * const pending = recording.begin(specs, wrapper);
 * pending.built({ job, json });          // from Job#asJSON
 * pending.settle({ jobs: [{ jobId: '1' }] });
 * ```
 */
export class PendingBatch implements PendingEnqueue {
  readonly inside = true;
  entered = false;
  private readonly started = performance.now();
  private settled = false;
  private matched = 0;
  private recording: BatchRecording | undefined;
  private specs: EnqueueSpec[] | undefined;

  private batch: TaskEntry[];

  constructor(recording: BatchRecording | undefined, batch: TaskEntry[], specs: EnqueueSpec[]) {
    this.recording = recording;
    this.batch = batch;
    this.specs = specs;
  }

  begin(): PendingEnqueue {
    return NOOP_BATCH;
  }

  built({ job, json }: BuiltJob): void {
    const recording = this.recording;
    if (recording === undefined || this.settled) return;
    try {
      const index = this.indexOf(job);
      if (index === -1) return;
      const entry = this.batch[index]!;
      const opts = job.opts as { parent?: { id?: unknown; queue?: unknown } } | undefined;
      entry.keepBuilt(json, opts);
      if (typeof job.id === 'string' && job.id !== '') entry.jobId = job.id;
      if (typeof job.timestamp === 'number') entry.jobTimestamp = job.timestamp;
      if (typeof job.delay === 'number' && job.delay > 0 && entry.delayMs === 0) this.delay(entry, job.delay);
      const parent = opts?.parent;
      if (parent != null && parent.id != null && parent.queue != null) {
        entry.parent = { queue: queueOfQualified(String(parent.queue)), jobId: String(parent.id) };
      }
    } catch (error) {
      recording.warn('built', 'could not record a job BullMQ built', error);
    }
  }

  settle(outcome: { jobs: EnqueuedJob[] } | { error: unknown }): void {
    const recording = this.recording;
    if (this.settled || recording === undefined) return;
    this.settled = true;
    try {
      this.apply(recording, outcome);
    } catch (error) {
      recording.warn('settle', 'could not record an enqueue result', error);
    } finally {
      // A leaked async context (a connection opened inside the call) may hold this object: only it.
      this.recording = undefined;
      this.specs = undefined;
      this.batch = [];
    }
  }

  private apply(recording: BatchRecording, outcome: { jobs: EnqueuedJob[] } | { error: unknown }): void {
    const { record } = recording;
    const summary = record.summary;
    const callMs = Math.round((performance.now() - this.started) * 1000) / 1000;
    const error = 'error' in outcome ? errorMessage(outcome.error) : null;
    addCallToSummary(summary, this.batch, callMs);
    this.batch.forEach((entry, index) => {
      entry.enqueueMs = callMs;
      if (error !== null) {
        entry.error = error;
        summary.failed += 1;
        summary.jobs -= 1;
        return;
      }
      if (!entry.built) this.keepUnbuilt(recording, entry, index);
      const job = 'jobs' in outcome ? outcome.jobs[index] : undefined;
      if (job) {
        if (job.jobId !== null) entry.jobId = job.jobId;
        if (job.timestamp !== undefined) entry.jobTimestamp = job.timestamp;
        if (job.duplicate !== undefined) entry.duplicate = job.duplicate;
        if (job.delayMs !== undefined && entry.delayMs === 0) this.delay(entry, job.delayMs);
        if (entry.parent && job.parentJobId !== undefined) entry.parent.jobId = job.parentJobId;
      }
      // Only kept tasks (always the first seqs) are looked up, so the work is bounded like the tasks.
      if (entry.jobId !== null && entry.mayShareJob && entry.seq <= record.tasks.length && noteMerged(record.tasks, entry)) {
        summary.duplicates += 1;
        summary.jobs -= 1;
      }
    });
    recording.changedAfterSave(this.batch);
    if (this.batch.some((entry) => entry.needsCompaction)) setImmediate(compactAll, this.batch);
  }

  /** A job BullMQ built out of sight (job schedulers): the app's values are snapshot once, now. */
  private keepUnbuilt(recording: BatchRecording, entry: TaskEntry, index: number): void {
    const spec = this.specs?.[index];
    if (spec === undefined || entry.seq > recording.record.tasks.length) return;
    entry.keepValues(spec.data, spec.opts);
  }

  private delay(entry: TaskEntry, delayMs: number): void {
    const summary = this.recording?.record.summary;
    entry.delayMs = delayMs;
    entry.scheduledFor = entry.enqueuedAt + delayMs;
    if (summary) {
      summary.immediate -= 1;
      summary.delayed += 1;
    }
  }

  /** The task a built job belongs to: in call order, checked by queue and by the data's identity. */
  private indexOf(job: BuiltJob['job']): number {
    const specs = this.specs;
    if (specs === undefined) return -1;
    for (let index = this.matched; index < specs.length; index += 1) {
      const spec = specs[index]!;
      if (this.batch[index]!.built) continue;
      if (spec.data === job.data && (job.queueName === undefined || spec.queue === job.queueName)) {
        if (index === this.matched) this.matched += 1;
        return index;
      }
    }
    // Data BullMQ copied on the way (an app's subclass): the next unmatched task, in order.
    for (let index = this.matched; index < specs.length; index += 1) {
      if (!this.batch[index]!.built) return index;
    }
    return -1;
  }
}

/**
 * Large data is turned into its bounded snapshot right after its add, off the app's await, so
 * a request that is still running holds no more than its limits allow.
 */
function compactAll(entries: TaskEntry[]): void {
  try {
    for (const entry of entries) if (entry.needsCompaction) entry.compact();
  } catch {
    // A snapshot never throws; this only guards the timer callback.
  }
}

/**
 * Marks `entry` as merged into an earlier task of the request with the same job (same queue and
 * job id: a custom `jobId` or deduplication). A look back over at most `maxTasksPerRequest` tasks.
 */
function noteMerged(tasks: TaskEntry[], entry: TaskEntry): boolean {
  const limit = Math.min(entry.seq - 1, tasks.length);
  for (let index = 0; index < limit; index += 1) {
    const task = tasks[index]!;
    if (task.jobId === entry.jobId && task.queue === entry.queue && task.prefix === entry.prefix && task.duplicateOf === null) {
      entry.duplicateOf = task.seq;
      entry.duplicate = true;
      return true;
    }
  }
  return false;
}

function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return clip(error.message || error.name);
    return clip(String(error));
  } catch {
    return 'unknown error';
  }
}

/** The batch of a recording that takes no more tasks: still marks "inside an enqueue". */
export const NOOP_BATCH = new PendingBatch(undefined, [], []);

/** The queue name of a qualified one (`bull:orders` → `orders`), as BullMQ writes a job's parent. */
function queueOfQualified(qualifiedName: string): string {
  return qualifiedName.slice(qualifiedName.lastIndexOf(':') + 1);
}
