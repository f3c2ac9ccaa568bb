import { performance } from 'node:perf_hooks';
import { createSummary, detectNPlusOne } from '../core/analyze.js';
import { NOOP_BATCH, PendingBatch, type BatchRecording } from '../core/pending-batch.js';
import { RequestScope } from '../core/request-scope.js';
import { deferWork, runDeferredWork } from '../core/deferred-work.js';
import type { TaskscopeRuntime } from '../core/runtime.js';
import type { CapturedTrace, EnqueueSpec } from '../core/scope.js';
import type { TaskEntry } from '../core/task-entry.js';
import type { JobLineage, JobRun, RunOutcome } from '../protocol-runs.js';
import type { RecordSummary, Snapshot } from '../protocol.js';
import { linkFollowUpTasks, type JobRunsContext } from './lineage.js';
import { describeError, MAX_LOG_LINE, pushNewest } from './run-outcome.js';
import { FollowUpParent, type JobKey } from './run-store.js';
import { saveAttempt, writeFinished, writeSoon, writtenNow } from './run-writes.js';
import { storeRun, type RunnerInfo, type RunParts, type StoredRun } from './stored-run.js';
import { clip } from '../core/clip.js';
import { createTasks } from '../core/create-tasks.js';

type Decision = 'unknown' | 'tracked' | 'untracked';

// What `parts()` shows of an attempt that reported no progress and logged nothing (nearly every
// one): shared and frozen, as a run's parts are only ever read (stored, or made JSON).
const NO_PROGRESS: JobRun['progress'] = Object.freeze({ count: 0, updates: Object.freeze([]) as unknown as JobRun['progress']['updates'] });
const NO_LOGS: JobRun['logs'] = Object.freeze({ count: 0, lines: Object.freeze([]) as unknown as JobRun['logs']['lines'] });

/**
 * One attempt of one job in this worker: its run (start, end, outcome, error, progress, logs)
 * and, as its processor's scope, the jobs it enqueues — recorded exactly like a request's tasks.
 * Whether the job descends from a tracked request may be known only after it started (the link
 * lives in a shared store): until then everything stays here, and is dropped if it does not.
 *
 * @example
 * ```ts
 * const run = new RunRecording(runtime, job, 1, runner);
 * run.decide(context, lineage);
 * await runInRequestScope(run.scope, () => processor(job));
 * run.finish('completed', undefined, null);
 * ```
 */
export class RunRecording implements BatchRecording {
  readonly scope = new RequestScope(this);
  readonly startedAt = Date.now();
  private readonly startPerf = performance.now();
  private decision: Decision = 'unknown';
  private owner: JobRunsContext | undefined;
  private lineage: JobLineage | undefined;
  /** What this attempt's follow-ups are linked to, made with the first of them. */
  private followUpParent: FollowUpParent | undefined;
  /** Made with the first enqueue: most attempts enqueue nothing, log nothing, report no progress. */
  private held: { summary: RecordSummary; tasks: TaskEntry[] } | undefined;
  private progress: JobRun['progress'] | undefined;
  private logs: JobRun['logs'] | undefined;
  private phase: 'open' | 'finished' | 'closed' = 'open';
  private lateUntilPerf = Number.POSITIVE_INFINITY;
  private seq = 0;
  private droppedTasks = 0;
  private beyondDepth = 0;
  /** Settled tasks whose jobs are linked once the decision is known. */
  private unlinked: TaskEntry[] | undefined;
  private droppedNoted = false;
  private finishedAt: number | null = null;
  private runMs: number | null = null;
  private outcome: RunOutcome = 'running';
  private retried: boolean | null = null;
  private error: JobRun['error'] = null;

  constructor(private readonly runtime: TaskscopeRuntime, readonly job: JobKey, readonly attempt: number, private readonly runner: RunnerInfo) {}

  /** Whether the job descends from a tracked request, once known (`lineage` undefined: it does not). */
  decide(owner: JobRunsContext | undefined, lineage: JobLineage | undefined): void {
    if (this.decision !== 'unknown') return;
    if (owner === undefined || lineage === undefined) {
      this.decision = 'untracked';
      this.unlinked = undefined;
      if (this.held !== undefined) this.held.tasks = [];
      this.close();
      return;
    }
    this.decision = 'tracked';
    this.owner = owner;
    this.lineage = lineage;
    if (this.unlinked !== undefined) this.linkFollowUps(this.unlinked);
    this.unlinked = undefined;
    this.changed();
  }

  get decided(): boolean {
    return this.decision !== 'unknown';
  }

  /** The summary and tasks of what this attempt enqueued (see {@link BatchRecording}). */
  get record(): { summary: RecordSummary; tasks: TaskEntry[] } {
    return (this.held ??= { summary: createSummary(), tasks: [] });
  }

  /** Frames the instrumentation captures per enqueue itself (see `EnqueueRecorder.captureFrames`). */
  get captureFrames(): number {
    const { options } = this.runtime;
    return options.captureStacks && this.phase !== 'closed' && this.decision !== 'untracked' ? options.limits.maxStackFrames : 0;
  }

  begin(specs: EnqueueSpec[], trace?: CapturedTrace): PendingBatch {
    if (this.phase === 'finished' && performance.now() > this.lateUntilPerf) this.close();
    if (this.phase === 'closed' || this.decision === 'untracked') return NOOP_BATCH;
    try {
      return this.track(specs, trace);
    } catch (error) {
      this.warn('run-record', 'could not record an enqueue inside a job', error);
      return NOOP_BATCH;
    }
  }

  /** Called by {@link PendingBatch} when an enqueue of this run settled: its new jobs are linked to this job. */
  changedAfterSave(entries: TaskEntry[]): void {
    if (this.decision === 'untracked') return;
    if (this.decision === 'unknown') (this.unlinked ??= []).push(...entries);
    else this.linkFollowUps(entries);
    this.changed();
  }

  warn(key: string, message: string, error: unknown): void {
    this.runtime.log.warnOnce(key, message, error);
  }

  addLog(line: unknown): void {
    if (this.decision === 'untracked') return;
    pushNewest((this.logs ??= { count: 0, lines: [] }), 'lines', { at: Date.now(), line: clip(String(line), MAX_LOG_LINE) }, this.runtime.options.limits.maxLogLines);
    this.changed();
  }

  addProgress(value: unknown): void {
    if (this.decision === 'untracked') return;
    const snapshot: Snapshot = this.runtime.serialize(value).value;
    pushNewest((this.progress ??= { count: 0, updates: [] }), 'updates', { at: Date.now(), value: snapshot }, this.runtime.options.limits.maxProgressUpdates);
    this.changed();
  }

  /** The attempt is over: its processor's outcome, error, and whether BullMQ will run the job again. */
  finish(outcome: RunOutcome, error: unknown, retried: boolean | null): void {
    const now = performance.now();
    this.finishedAt = Date.now();
    this.runMs = Math.round((now - this.startPerf) * 1000) / 1000;
    this.outcome = outcome;
    this.retried = retried;
    if (outcome === 'failed' || outcome === 'moved') this.error = error === undefined ? null : describeError(error);
    if (this.phase === 'open') {
      this.phase = 'finished';
      const grace = this.runtime.options.limits.lateGraceMs;
      this.lateUntilPerf = now + grace;
      this.runtime.runLateWindows.add(this.scope, this.lateUntilPerf);
    }
    // Written a moment later, while the worker waits on Redis for its next job, and after the
    // deferred work already waiting (this attempt's last enqueues settling) has run. The debug
    // API runs deferred work before it reads, so it never serves a finished run as running.
    if (this.decision === 'tracked') deferWork(writeFinished, this, undefined);
  }

  /** Late window over: no more tasks, and the job's async context lets go of this run. */
  close(): void {
    this.phase = 'closed';
    this.scope.release();
  }

  /** The run as it stands, its tasks as they are held (`JSON.stringify` gives the wire's {@link JobRun}). */
  parts(): RunParts {
    const held = this.held;
    const threshold = this.runtime.options.nPlusOneThreshold;
    return {
      attempt: this.attempt, worker: this.runner, startedAt: this.startedAt, finishedAt: this.finishedAt, runMs: this.runMs,
      outcome: this.outcome, retried: this.retried, error: this.error,
      progress: this.progress ?? NO_PROGRESS, logs: this.logs ?? NO_LOGS,
      enqueued: held === undefined || held.summary.total === 0 ? null : {
        summary: held.summary, tasks: held.tasks, nPlusOne: held.tasks.length >= threshold ? detectNPlusOne(held.tasks, threshold) : [],
        droppedTasks: this.droppedTasks, beyondDepth: this.beyondDepth,
      },
    };
  }

  /** The wire's form of the run as it stands. */
  toJSON(): JobRun {
    return this.parts() as JobRun;
  }

  private track(specs: EnqueueSpec[], trace: CapturedTrace | undefined): PendingBatch {
    const { record } = this;
    const max = this.runtime.options.limits.maxTasksPerRequest;
    const target = { lastSeq: this.seq, startPerf: this.startPerf, late: this.phase === 'finished', summary: record.summary };
    const batch = createTasks(this.runtime, specs, trace, target);
    this.seq += specs.length;
    for (const entry of batch) {
      if (record.tasks.length < max) record.tasks.push(entry);
      else this.droppedTasks += 1;
    }
    return new PendingBatch(this, batch, specs);
  }

  private linkFollowUps(entries: readonly TaskEntry[]): void {
    const owner = this.owner;
    const lineage = this.lineage;
    if (owner === undefined || lineage === undefined || entries.length === 0) return;
    const depth = lineage.depth + 1;
    if (depth > owner.runtime.options.limits.maxLineageDepth) {
      for (const entry of entries) if (entry.jobId !== null && entry.duplicate !== true) this.beyondDepth += 1;
      return;
    }
    const { prefix, queue, jobId } = this.job;
    this.followUpParent ??= new FollowUpParent(lineage.requestId, prefix, queue, jobId, this.attempt, depth);
    linkFollowUpTasks(owner, this.followUpParent, entries);
  }

  /** Something changed: written soon (run-writes.ts), so a short attempt is written once, when it ends. */
  private changed(): void {
    if (this.decision !== 'tracked') return; // written once decided
    writeSoon(this);
  }

  /** Writes the run now, with the enqueues settled a moment ago (from the shared timer). */
  flush(): void {
    // Enqueues settled a moment ago are part of this write, not the reason for one more.
    runDeferredWork();
    this.write();
  }

  /** The run as it stands, in its stored form (stored-run.ts): its tasks' data and options as BullMQ built them. */
  stored(): StoredRun {
    return storeRun(this.parts(), this.runtime.serialize);
  }

  /** Writes the run as it stands, in its stored form (stored-run.ts). */
  write(): void {
    writtenNow(this);
    const owner = this.owner;
    if (this.decision !== 'tracked' || owner === undefined) return;
    let stored: StoredRun | null;
    if (this.attempt > owner.runtime.options.limits.maxRunsPerJob) {
      if (this.droppedNoted) return;
      this.droppedNoted = true;
      stored = null;
    } else {
      try {
        stored = this.stored();
      } catch (error) {
        this.warn('run-json', 'could not record a job run', error);
        return;
      }
    }
    saveAttempt(owner, this.job, this.attempt, stored, this.runtime.log);
  }
}
