import { newRecordId } from './record-id.js';
import { performance } from 'node:perf_hooks';
import { createSummary, detectNPlusOne } from './analyze.js';
import { PROTOCOL_VERSION, type NPlusOneGroup, type RecordSummary, type RequestRecord } from '../protocol.js';
import type { TrackedRequest } from './create-taskscope.js';
import { runInRequestScope, type CapturedTrace, type EnqueueSpec } from './scope.js';
import { trackingHeaders, type TrackingHeaders } from './tracking-headers.js';
import { recordedUrl } from './request-url.js';
import type { TaskscopeRuntime } from './runtime.js';
import type { TaskEntry } from './task-entry.js';
import { createTasks } from './create-tasks.js';
import { runDeferredWork } from './deferred-work.js';
import { PendingBatch, NOOP_BATCH } from './pending-batch.js';
import { RequestScope } from './request-scope.js';
import { linkSettledTasks } from '../worker/lineage.js';

const RECORD_BYTES = 600;
const EMPTY_SUMMARY: RecordSummary = Object.freeze({ ...createSummary(), byQueue: Object.freeze(createSummary().byQueue), byName: Object.freeze(createSummary().byName) });
const NOTHING_CHANGED: TaskEntry[] = Object.freeze([]) as unknown as TaskEntry[];
const NO_GROUPS: NPlusOneGroup[] = Object.freeze([]) as unknown as NPlusOneGroup[];

/** A recording takes tasks while open, late ones once finished, none once the grace period is over. */
type Phase = 'open' | 'finished' | 'closed';

/** The in-memory record: tasks are {@link TaskEntry}s, which serialise to the wire's TaskRecord. */
export type HeldRecord = Omit<RequestRecord, 'tasks'> & { tasks: TaskEntry[] };

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
export class RequestRecording implements TrackedRequest {
  readonly id = newRecordId();
  readonly record: HeldRecord;
  /** What the request's async context holds: lets go of this recording once the late window closes. */
  readonly scope = new RequestScope(this);
  private readonly startPerf = performance.now();
  private phase: Phase = 'open';
  private seq = 0;
  private saveQueued = false;
  private lateUntilPerf = Number.POSITIVE_INFINITY;
  // Tasks added or changed since the last save: a shared store writes only those. A new array
  // only once there is one: most recordings never change after their save, and the store keeps them.
  private changed: TaskEntry[] = NOTHING_CHANGED;
  private saves = 0;
  private saving = false;
  /** The record's JSON size as of its last save (an estimate). */
  private bytes = 0;

  constructor(readonly runtime: TaskscopeRuntime, method: string, url: string) {
    this.record = {
      version: PROTOCOL_VERSION,
      id: this.id,
      request: { method, url: recordedUrl(url, runtime.isSecretKey), status: null, startedAt: Date.now(), durationMs: null },
      // Shared empty ones until the first enqueue: most requests (pages, assets) enqueue nothing.
      summary: EMPTY_SUMMARY,
      tasks: [],
      nPlusOne: NO_GROUPS,
      droppedTasks: 0,
      revision: 0,
      lateUntil: null,
    };
  }

  get endsAtOnce(): boolean {
    return this.runtime.savesAtOnce;
  }

  /** Frames the instrumentation captures per enqueue (see `EnqueueRecorder.captureFrames`). */
  get captureFrames(): number {
    const { options } = this.runtime;
    return options.captureStacks && this.phase !== 'closed' ? options.limits.maxStackFrames : 0;
  }

  begin(specs: EnqueueSpec[], trace?: CapturedTrace): PendingBatch {
    if (this.phase === 'finished' && performance.now() > this.lateUntilPerf) this.close();
    if (this.phase === 'closed') return NOOP_BATCH;
    try {
      return this.track(specs, trace);
    } catch (error) {
      this.runtime.log.warnOnce('record', 'could not record an enqueue', error);
      return NOOP_BATCH;
    }
  }

  run<T>(fn: () => T): T {
    return runInRequestScope(this.scope, fn);
  }

  /**
   * Sets the response status and duration, stores the record (a bounded wait, see
   * `runtime.saveRecord`) and returns the headers to send.
   */
  finish(status: number): Promise<TrackingHeaders> {
    return Promise.resolve(this.end(status));
  }

  end(status: number): TrackingHeaders | Promise<TrackingHeaders> {
    let saving: Promise<void> | undefined;
    try {
      // Enqueues settled a moment ago are recorded before the record is: the response's record is whole.
      runDeferredWork();
      const now = performance.now();
      this.record.request.status = status;
      this.record.request.durationMs = round(now - this.startPerf);
      this.phase = 'finished';
      // A deadline checked when a late job comes (and by one shared sweep), not a timer per request.
      const grace = this.runtime.options.limits.lateGraceMs;
      this.lateUntilPerf = now + grace;
      this.record.lateUntil = Date.now() + grace;
      this.record.revision += 1;
      saving = this.save();
      this.runtime.lateWindows.add(this, this.lateUntilPerf, this.bytes);
    } catch (error) {
      this.runtime.log.warnOnce('finish', 'could not finish a request record', error);
    }
    const headers = trackingHeaders(this.runtime.options.prefix, this.record);
    return saving === undefined ? headers : saving.then(() => headers);
  }

  setStatus(status: number): void {
    if (this.record.request.status === status) return;
    this.record.request.status = status;
    this.record.revision += 1;
    if (this.phase !== 'open') this.queueSave();
  }

  /** The late window is over: no more tasks, and the request's async context lets go of us. */
  close(): void {
    this.phase = 'closed';
    this.scope.release();
  }

  /**
   * Called when the late window ends (late-windows.ts); `early` when newer windows took its
   * place first: the record's `lateUntil` then says when it closed (kept in place in the
   * MemoryStore; another store keeps the time given at the response).
   */
  release(early = false): void {
    if (this.phase === 'closed') return;
    this.close();
    if (!early) return;
    this.record.lateUntil = Date.now();
    this.record.revision += 1;
  }

  /** Called by {@link PendingBatch} when one of its tasks changed after the record was first saved. */
  changedAfterSave(entries: TaskEntry[]): void {
    linkSettledTasks(this.runtime, this.id, entries); // job runs (issue 11): each new job is linked to this request
    this.record.revision += 1;
    if (this.phase === 'open') return;
    for (const entry of entries) if (entry.seq <= this.record.tasks.length) this.markChanged(entry);
    this.queueSave();
  }

  warn(key: string, message: string, error: unknown): void {
    this.runtime.log.warnOnce(key, message, error);
  }

  private track(specs: EnqueueSpec[], trace: CapturedTrace | undefined): PendingBatch {
    const { record } = this;
    if (record.summary === EMPTY_SUMMARY) record.summary = createSummary();
    const late = this.phase === 'finished';
    const max = this.runtime.options.limits.maxTasksPerRequest;
    const batch = createTasks(this.runtime, specs, trace, { lastSeq: this.seq, startPerf: this.startPerf, late, summary: record.summary });
    this.seq += specs.length;
    record.revision += 1;
    // The first call's tasks in an array of their own size (a pushed-to empty array takes room for
    // 17): the store keeps the record, and most requests enqueue once.
    if (record.tasks.length === 0 && batch.length <= max) record.tasks = batch.slice();
    else {
      for (const entry of batch) {
        if (record.tasks.length < max) record.tasks.push(entry);
        else record.droppedTasks += 1;
      }
    }
    if (late) for (const entry of batch) if (entry.seq <= record.tasks.length) this.markChanged(entry);
    return new PendingBatch(this, batch, specs);
  }

  private markChanged(entry: TaskEntry): void {
    if (this.changed === NOTHING_CHANGED) this.changed = [];
    this.changed.push(entry);
  }

  /** Late changes (new tasks, results of tasks begun in time) are saved together once the current burst of work is done. */
  private queueSave(): void {
    if (this.saveQueued || this.saving) return;
    this.saveQueued = true;
    setImmediate(() => {
      this.saveQueued = false;
      try {
        void this.save();
      } catch (error) {
        this.runtime.log.warnOnce('save', 'could not store a request record', error);
      }
    });
  }

  /** Saves the record: `undefined` once done (the MemoryStore), else a promise that never rejects. */
  private save(): Promise<void> | undefined {
    const { runtime, record } = this;
    // What settled a moment ago goes into this save, not into one more.
    this.saving = true;
    try {
      runDeferredWork();
    } finally {
      this.saving = false;
    }
    if (record.tasks.length >= runtime.options.nPlusOneThreshold) {
      record.nPlusOne = detectNPlusOne(record.tasks, runtime.options.nPlusOneThreshold);
    }
    const first = this.saves === 0;
    // Large data is turned into its bounded snapshot after the response, not before it.
    let bytes = RECORD_BYTES + record.request.url.length;
    let compactLater = false;
    for (const task of record.tasks) {
      if (task.needsCompaction) {
        if (first) compactLater = true;
        else task.compact();
      }
      bytes += task.estimatedBytes;
    }
    this.bytes = bytes;
    const changed = first ? undefined : this.changed;
    this.changed = NOTHING_CHANGED;
    this.saves += 1;
    if (compactLater) this.queueSave();
    return runtime.saveRecord(record, { bytes, changedTasks: changed });
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
