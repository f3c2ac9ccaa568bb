import { performance } from 'node:perf_hooks';
import { createSummary, detectNPlusOne } from '../core/analyze.js';
import { NOOP_BATCH, PendingBatch, type BatchRecording } from '../core/pending-batch.js';
import { RequestScope } from '../core/request-scope.js';
import { runDeferredWork } from '../core/deferred-work.js';
import type { TaskscopeRuntime } from '../core/runtime.js';
import type { CapturedTrace, EnqueueSpec } from '../core/scope.js';
import type { TaskEntry } from '../core/task-entry.js';
import type { JobLineage, JobRun, RunOutcome } from '../protocol-runs.js';
import type { Snapshot } from '../protocol.js';
import type { JobRunsContext } from './lineage.js';
import { describeError, MAX_LOG_LINE, pushNewest } from './run-outcome.js';
import type { JobKey } from './run-store.js';
import { clip } from '../core/clip.js';
import { createTasks } from '../core/create-tasks.js';

/** Changes to a running attempt (progress, logs, enqueues) are written together at most this often. */
const FLUSH_MS = 50;

// One shared, unref'd timer writes the runs that changed, rather than a timer per run: most
// attempts are short and are written once, when they end, before the timer comes.
const changedRuns = new Set<RunRecording>();
let flushTimer: NodeJS.Timeout | undefined;
function flushChanged(): void {
  flushTimer = undefined;
  const runs = [...changedRuns];
  changedRuns.clear();
  for (const run of runs) run.flush();
}

type Decision = 'unknown' | 'tracked' | 'untracked';

/** The worker that runs an attempt. */
export interface RunnerInfo {
  host: string;
  pid: number;
  name: string | null;
}

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
  readonly record = { summary: createSummary(), tasks: [] as TaskEntry[] };
  readonly scope = new RequestScope(this);
  readonly startedAt = Date.now();
  private readonly startPerf = performance.now();
  private decision: Decision = 'unknown';
  private owner: JobRunsContext | undefined;
  private lineage: JobLineage | undefined;
  private phase: 'open' | 'finished' | 'closed' = 'open';
  private lateUntilPerf = Number.POSITIVE_INFINITY;
  private seq = 0;
  private droppedTasks = 0;
  private beyondDepth = 0;
  /** Settled tasks whose jobs are linked once the decision is known. */
  private unlinked: TaskEntry[] = [];
  private droppedNoted = false;
  private finishedAt: number | null = null;
  private runMs: number | null = null;
  private outcome: RunOutcome = 'running';
  private retried: boolean | null = null;
  private error: JobRun['error'] = null;
  private readonly progress: JobRun['progress'] = { count: 0, updates: [] };
  private readonly logs: JobRun['logs'] = { count: 0, lines: [] };

  constructor(private readonly runtime: TaskscopeRuntime, readonly job: JobKey, readonly attempt: number, private readonly runner: RunnerInfo) {}

  /** Whether the job descends from a tracked request, once known (`lineage` undefined: it does not). */
  decide(owner: JobRunsContext | undefined, lineage: JobLineage | undefined): void {
    if (this.decision !== 'unknown') return;
    if (owner === undefined || lineage === undefined) {
      this.decision = 'untracked';
      this.unlinked = [];
      this.record.tasks = [];
      this.close();
      return;
    }
    this.decision = 'tracked';
    this.owner = owner;
    this.lineage = lineage;
    this.linkFollowUps(this.unlinked);
    this.unlinked = [];
    this.changed();
  }

  get decided(): boolean {
    return this.decision !== 'unknown';
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
    if (this.decision === 'unknown') this.unlinked.push(...entries);
    else this.linkFollowUps(entries);
    this.changed();
  }

  warn(key: string, message: string, error: unknown): void {
    this.runtime.log.warnOnce(key, message, error);
  }

  addLog(line: unknown): void {
    if (this.decision === 'untracked') return;
    pushNewest(this.logs, 'lines', { at: Date.now(), line: clip(String(line), MAX_LOG_LINE) }, this.runtime.options.limits.maxLogLines);
    this.changed();
  }

  addProgress(value: unknown): void {
    if (this.decision === 'untracked') return;
    const snapshot: Snapshot = this.runtime.serialize(value).value;
    pushNewest(this.progress, 'updates', { at: Date.now(), value: snapshot }, this.runtime.options.limits.maxProgressUpdates);
    this.changed();
  }

  /** The attempt is over: its processor's outcome, error, and whether BullMQ will run the job again. */
  finish(outcome: RunOutcome, error: unknown, retried: boolean | null): void {
    this.finishedAt = Date.now();
    this.runMs = Math.round((performance.now() - this.startPerf) * 1000) / 1000;
    this.outcome = outcome;
    this.retried = retried;
    if (outcome === 'failed' || outcome === 'moved') this.error = error === undefined ? null : describeError(error);
    if (this.phase === 'open') {
      this.phase = 'finished';
      const grace = this.runtime.options.limits.lateGraceMs;
      this.lateUntilPerf = performance.now() + grace;
      this.runtime.lateWindows.add(this.scope, this.lateUntilPerf);
    }
    this.flush();
  }

  /** Late window over: no more tasks, and the job's async context lets go of this run. */
  close(): void {
    this.phase = 'closed';
    this.scope.release();
  }

  toJSON(): JobRun {
    const { summary, tasks } = this.record;
    const threshold = this.runtime.options.nPlusOneThreshold;
    return {
      attempt: this.attempt, worker: this.runner, startedAt: this.startedAt, finishedAt: this.finishedAt, runMs: this.runMs,
      outcome: this.outcome, retried: this.retried, error: this.error, progress: this.progress, logs: this.logs,
      enqueued: summary.total === 0 ? null : {
        summary, tasks, nPlusOne: tasks.length >= threshold ? detectNPlusOne(tasks, threshold) : [],
        droppedTasks: this.droppedTasks, beyondDepth: this.beyondDepth,
      },
    };
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
    if (owner === undefined || lineage === undefined) return;
    const depth = lineage.depth + 1;
    const links: Array<{ job: JobKey; lineage: JobLineage }> = [];
    for (const entry of entries) {
      if (entry.jobId === null || entry.duplicate === true) continue;
      if (depth > owner.runtime.options.limits.maxLineageDepth) {
        this.beyondDepth += 1;
        continue;
      }
      const { prefix, queue, jobId } = this.job;
      links.push({
        job: { prefix: entry.prefix, queue: entry.queue, jobId: entry.jobId },
        lineage: { requestId: lineage.requestId, parent: { kind: 'job', prefix, queue, jobId, attempt: this.attempt, seq: entry.seq }, depth },
      });
    }
    if (links.length > 0) owner.link(links);
  }

  /** Something changed: written within {@link FLUSH_MS}, so a short attempt is written once, when it ends. */
  private changed(): void {
    if (this.decision !== 'tracked') return; // written once decided
    changedRuns.add(this);
    if (flushTimer !== undefined) return;
    flushTimer = setTimeout(flushChanged, FLUSH_MS);
    flushTimer.unref();
  }

  /** Writes the run now (at its end, or from the shared timer). */
  flush(): void {
    // Enqueues settled a moment ago are part of this write, not the reason for one more.
    runDeferredWork();
    changedRuns.delete(this);
    const owner = this.owner;
    if (this.decision !== 'tracked' || owner === undefined) return;
    let json: string | null;
    if (this.attempt > owner.runtime.options.limits.maxRunsPerJob) {
      if (this.droppedNoted) return;
      this.droppedNoted = true;
      json = null;
    } else {
      try {
        json = JSON.stringify(this);
      } catch (error) {
        this.warn('run-json', 'could not record a job run', error);
        return;
      }
    }
    owner.runs.saveRun(this.job, this.attempt, json).catch((error: unknown) => this.warn('run-save', 'could not store a job run', error));
  }
}
