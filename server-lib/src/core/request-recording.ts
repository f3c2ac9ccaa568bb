import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { addCallToSummary, addToSummary, createSummary, detectNPlusOne } from './analyze.js';
import { PROTOCOL_VERSION, type RequestRecord, type TaskRecord } from '../protocol.js';
import type { TrackedRequest } from './create-taskscope.js';
import { runInRequestScope, type EnqueueRecorder, type EnqueueSpec, type EnqueuedJob, type PendingEnqueue } from './scope.js';
import { trackingHeaders, type TrackingHeaders } from './tracking-headers.js';
import type { CallSite } from './stack.js';
import { clip } from './clip.js';
import { recordedUrl } from './request-url.js';
import { MemoryStore } from '../store/memory-store.js';
import { withTimeout } from './with-timeout.js';
import type { TaskscopeRuntime } from './runtime.js';

/** A task whose call site is still to be formatted; only `task` goes on the wire. */
interface UnformattedTask {
  task: TaskRecord;
  callSite: CallSite;
}

/** Longest a response waits for its record to be stored (a Redis store whose server went away). */
const STORE_TIMEOUT_MS = 1_000;
const RECORD_BYTES = 600;
const TASK_BYTES = 420;
const FRAME_BYTES = 90;

const DROPPED = { value: null, truncated: true, bytes: 0 } as const;

const NOOP_PENDING: PendingEnqueue = { settle() {} };

/** A recording takes tasks while open, late ones once finished, none once the grace period is over. */
type Phase = 'open' | 'finished' | 'closed';

/**
 * Records one HTTP request's enqueues into its {@link RequestRecord}. Instrumentation reaches
 * it through the request scope; the framework adapter calls `finish` before the response is
 * sent, so the record is stored by the time the client sees its id.
 *
 * @example
 * ```ts
 * const recording = new RequestRecording(runtime, 'POST', '/orders');
 * await recording.run(() => next());
 * const headers = await recording.finish(201); // X-Debug-Id, X-Debug-Url, Server-Timing
 * ```
 */
export class RequestRecording implements EnqueueRecorder, TrackedRequest {
  readonly id = randomUUID();
  readonly record: RequestRecord;
  private readonly startPerf = performance.now();
  // Emptied by every save, so a late save formats only what came since, and no Error (which can
  // hold on to the frames' closures) outlives the save that formatted it.
  private unformatted: UnformattedTask[] = [];
  private phase: Phase = 'open';
  private seq = 0;
  private saveQueued = false;
  private lateUntil = Number.POSITIVE_INFINITY;
  // A running estimate of the record's JSON size, so the memory store need not stringify it.
  private bytes = RECORD_BYTES;
  // First task seq per job (prefix, queue, id), to tell an add merged into an earlier one.
  private jobs: Map<string, number> | undefined;

  constructor(private readonly runtime: TaskscopeRuntime, method: string, url: string) {
    this.record = {
      version: PROTOCOL_VERSION,
      id: this.id,
      request: { method, url: recordedUrl(url, runtime.isSecretKey), status: null, startedAt: Date.now(), durationMs: null },
      summary: createSummary(),
      tasks: [],
      nPlusOne: [],
      droppedTasks: 0,
      revision: 0,
      lateUntil: null,
    };
  }

  begin(specs: EnqueueSpec[], caller?: Function): PendingEnqueue {
    if (this.phase === 'finished' && performance.now() > this.lateUntil) this.phase = 'closed';
    if (this.phase === 'closed') return NOOP_PENDING;
    try {
      return this.track(specs, caller);
    } catch (error) {
      this.runtime.log.warnOnce('record', 'could not record an enqueue', error);
      return NOOP_PENDING;
    }
  }

  run<T>(fn: () => T): T {
    return runInRequestScope(this, fn);
  }

  /**
   * Sets the response status and duration, finishes stacks and N+1 groups, stores the record
   * (awaited, so it can be fetched once the response is out) and returns the headers to send.
   */
  async finish(status: number): Promise<TrackingHeaders> {
    this.record.request.status = status;
    this.record.request.durationMs = round(performance.now() - this.startPerf);
    this.phase = 'finished';
    // A deadline checked when a late job comes, rather than a timer per request.
    this.lateUntil = performance.now() + this.runtime.options.limits.lateGraceMs;
    this.record.lateUntil = Date.now() + this.runtime.options.limits.lateGraceMs;
    await this.save();
    return trackingHeaders(this.runtime.options.prefix, this.record);
  }

  setStatus(status: number): void {
    if (this.record.request.status === status) return;
    this.record.request.status = status;
    this.record.revision += 1;
    if (this.phase !== 'open') this.queueSave();
  }

  private track(specs: EnqueueSpec[], caller: Function | undefined): PendingEnqueue {
    const { runtime, record } = this;
    const late = this.phase === 'finished';
    const callSite = runtime.options.captureStacks ? runtime.captureCallSite(caller) : undefined;
    const enqueuedAt = Date.now();
    const offsetMs = round(performance.now() - this.startPerf);
    const batch: TaskRecord[] = [];
    const callSeq = this.seq + 1;
    record.summary.calls += 1;
    record.revision += 1;
    for (const spec of specs) {
      const kept = record.tasks.length < runtime.options.limits.maxTasksPerRequest;
      const task = this.createTask(spec, enqueuedAt, offsetMs, late, kept, callSeq, specs.length);
      addToSummary(record.summary, task);
      batch.push(task);
      if (kept) {
        record.tasks.push(task);
        if (callSite) this.unformatted.push({ task, callSite });
      } else {
        record.droppedTasks += 1;
      }
    }
    return new PendingBatch(this, batch);
  }

  private createTask(spec: EnqueueSpec, enqueuedAt: number, offsetMs: number, late: boolean, kept: boolean, callSeq: number, callSize: number): TaskRecord {
    // A dropped task is only counted: its data is not worth a snapshot.
    const data = kept ? this.runtime.serialize(spec.data) : DROPPED;
    const opts = kept ? this.runtime.serialize(spec.opts ?? {}) : DROPPED;
    const rawOpts = (spec.opts ?? {}) as { delay?: unknown };
    const delayMs = typeof rawOpts.delay === 'number' && rawOpts.delay > 0 ? rawOpts.delay : 0;
    this.seq += 1;
    this.bytes += TASK_BYTES + data.bytes + opts.bytes + spec.queue.length + spec.name.length;
    return {
      seq: this.seq,
      jobId: null,
      queue: spec.queue,
      prefix: spec.prefix,
      name: spec.name,
      via: spec.via,
      data: data.value,
      opts: opts.value,
      truncated: data.truncated || opts.truncated,
      enqueuedAt,
      offsetMs,
      enqueueMs: 0,
      callSeq,
      callSize,
      delayMs,
      scheduledFor: delayMs > 0 ? enqueuedAt + delayMs : null,
      late,
      error: null,
      duplicate: null,
      duplicateOf: null,
      jobTimestamp: null,
      parent: spec.parent ?? null,
      schedulerId: spec.schedulerId ?? null,
      origin: null,
      stack: [],
    };
  }

  /** Called by {@link PendingBatch} once its enqueue call has resolved or rejected. */
  settle(batch: TaskRecord[], elapsedMs: number, outcome: { jobs: EnqueuedJob[] } | { error: unknown }): void {
    const summary = this.record.summary;
    const callMs = round(elapsedMs);
    const error = 'error' in outcome ? errorMessage(outcome.error) : null;
    this.record.revision += 1;
    addCallToSummary(summary, batch, callMs);
    batch.forEach((task, index) => {
      task.enqueueMs = callMs;
      if (error !== null) {
        task.error = error;
        summary.failed += 1;
        summary.jobs -= 1;
        return;
      }
      const job = 'jobs' in outcome ? outcome.jobs[index] : undefined;
      if (!job) return;
      task.jobId = job.jobId;
      task.jobTimestamp = job.timestamp ?? null;
      if (job.duplicate !== undefined) task.duplicate = job.duplicate;
      // Only kept tasks (always the first seqs) are remembered, so the map is bounded like the tasks.
      if (job.jobId !== null && task.seq <= this.record.tasks.length) this.noteJob(task, job.jobId);
      if (job.delayMs !== undefined && task.delayMs === 0) {
        task.delayMs = job.delayMs;
        task.scheduledFor = task.enqueuedAt + job.delayMs;
        summary.immediate -= 1;
        summary.delayed += 1;
      }
      if (task.parent && job.parentJobId !== undefined) task.parent.jobId = job.parentJobId;
    });
    if (this.phase !== 'open') this.queueSave();
  }

  /** An add that returned the job of an earlier add of this request was merged into it. */
  private noteJob(task: TaskRecord, jobId: string): void {
    const key = `${task.prefix}\u0000${task.queue}\u0000${jobId}`;
    this.jobs ??= new Map();
    const first = this.jobs.get(key);
    if (first === undefined || first === task.seq) {
      this.jobs.set(key, task.seq);
      return;
    }
    task.duplicateOf = first;
    task.duplicate = true;
    this.record.summary.duplicates += 1;
    this.record.summary.jobs -= 1;
  }

  /** Late changes (new tasks, or results of tasks begun in time) are saved together once the current burst of work is done. */
  private queueSave(): void {
    if (this.saveQueued) return;
    this.saveQueued = true;
    setImmediate(() => {
      this.saveQueued = false;
      void this.save();
    });
  }

  private async save(): Promise<void> {
    const { runtime, record } = this;
    try {
      const unformatted = this.unformatted;
      this.unformatted = [];
      for (const { task, callSite } of unformatted) {
        const formatted = runtime.formatCallSite(callSite);
        task.origin = formatted.origin;
        task.stack = formatted.stack;
        this.bytes += FRAME_BYTES * formatted.stack.length;
      }
      if (record.tasks.length >= runtime.options.nPlusOneThreshold) {
        record.nPlusOne = detectNPlusOne(record.tasks, runtime.options.nPlusOneThreshold);
      }
      const saved = runtime.store.save(record, { bytes: this.bytes });
      // The memory store is done at once; a shared store gets a bounded wait.
      await (runtime.store instanceof MemoryStore ? saved : withTimeout(saved, STORE_TIMEOUT_MS, 'storing a request record'));
    } catch (error) {
      runtime.noteLostRecord(error);
    }
  }

  warn(key: string, message: string, error: unknown): void {
    this.runtime.log.warnOnce(key, message, error);
  }

}

/** One enqueue call in flight; a class rather than a closure, as it is made on every enqueue. */
class PendingBatch implements PendingEnqueue {
  private readonly started = performance.now();
  private settled = false;

  constructor(private readonly recording: RequestRecording, private readonly batch: TaskRecord[]) {}

  settle(outcome: { jobs: EnqueuedJob[] } | { error: unknown }): void {
    if (this.settled) return;
    this.settled = true;
    try {
      this.recording.settle(this.batch, performance.now() - this.started, outcome);
    } catch (error) {
      this.recording.warn('settle', 'could not record an enqueue result', error);
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return clip(error.message || error.name);
    return clip(String(error));
  } catch {
    return 'unknown error';
  }
}
