/**
 * A job run as the run stores keep it: the wire's {@link JobRun} with what equals its default
 * left out, times as integer offsets, and each task's frames the shared, frozen array every
 * task of the same call site has (core/stack.ts caches them). A MemoryRunStore keeps it as it
 * is, a RedisRunStore as its JSON; both give the wire's form back with {@link expandRun}.
 *
 * What is left out is checked, not assumed: a value is omitted only when the expansion gives
 * the very same value back, anything else goes into the `rare` JSON as it is. A run of a small
 * job that enqueued one follow-up is kept in about 250 bytes instead of its 1.2 KB JSON (issue 11).
 */
import { addCallToSummary, addToSummary, createSummary } from '../core/analyze.js';
import type { JobRun, RunEnqueues, RunOutcome } from '../protocol-runs.js';
import type { RecordSummary, Snapshot, StackFrame, TaskRecord } from '../protocol.js';

/** The worker that ran an attempt: one object per process (and worker name), shared by its runs. */
export interface RunnerInfo {
  host: string;
  pid: number;
  name: string | null;
}

/** One task of a stored run: the fields that differ from task to task; the others are in `rare`. */
export class StoredTask {
  constructor(
    readonly jobId: string | null,
    readonly queue: string,
    readonly name: string,
    /** The snapshots' JSON: smaller than the objects, and the same options are one string (`sharedText`). */
    readonly data: string,
    readonly opts: string,
    /** `enqueuedAt` − the run's `startedAt`, ms (these offsets are small integers: no heap number each). */
    readonly enqueuedAfter: number,
    /** `offsetMs` and `enqueueMs` in µs: integers, which V8 keeps without a heap number. */
    readonly offsetUs: number,
    readonly enqueueUs: number,
    /** `jobTimestamp` − `enqueuedAt`, ms; `null` when there is no timestamp. */
    readonly timestampAfter: number | null,
    /** `stack`; `origin` is its first frame. */
    readonly stack: StackFrame[],
    /** JSON of the fields whose value is not the default (see `storeTask`), else `undefined`. */
    readonly rare: string | undefined,
  ) {}
}

/** A stored run. `tasks` is `undefined` when it enqueued nothing, a single task as it is. */
export class StoredRun {
  constructor(
    readonly attempt: number,
    readonly worker: RunnerInfo,
    readonly startedAt: number,
    /** `finishedAt` − `startedAt`, ms; `undefined` while running. */
    readonly finishedAfter: number | undefined,
    /** `runMs` in µs; `undefined` while running. */
    readonly runUs: number | undefined,
    readonly outcome: RunOutcome,
    readonly tasks: StoredTask | StoredTask[] | undefined,
    /** JSON of the run's fields whose value is not the default, else `undefined`. */
    readonly rare: string | undefined,
  ) {}
}

/** What a run is made of, as its recording holds it; tasks as the wire shows them (`TaskEntry` is one). */
export interface RunParts extends Omit<JobRun, 'enqueued'> {
  enqueued: (Omit<RunEnqueues, 'tasks'> & { tasks: readonly TaskRecord[] }) | null;
}

const NO_FRAMES: StackFrame[] = Object.freeze([]) as unknown as StackFrame[];

/**
 * The stored form of a run.
 *
 * @example
 * ```ts
 * const stored = storeRun(recording.parts());
 * expandRun(stored); // the JobRun the recording's toJSON gives
 * ```
 */
export function storeRun(run: RunParts): StoredRun {
  // The fields to keep as they are, made with the first (no closure: this runs for every run).
  let rare: Record<string, unknown> | undefined;
  const { startedAt, finishedAt, runMs } = run;
  let finishedAfter: number | undefined;
  if (finishedAt !== null) {
    finishedAfter = (finishedAt - startedAt) | 0;
    if (startedAt + finishedAfter !== finishedAt) (rare ??= {}).finishedAt = finishedAt;
  }
  const runUs = runMs === null ? undefined : micros(runMs);
  if (runMs !== null && runUs! / 1000 !== runMs) (rare ??= {}).runMs = runMs;
  if (run.retried !== null) (rare ??= {}).retried = run.retried;
  if (run.error !== null) (rare ??= {}).error = run.error;
  if (run.progress.count !== 0 || run.progress.updates.length !== 0) (rare ??= {}).progress = run.progress;
  if (run.logs.count !== 0 || run.logs.lines.length !== 0) (rare ??= {}).logs = run.logs;
  let tasks: StoredTask | StoredTask[] | undefined;
  const enqueued = run.enqueued;
  if (enqueued !== null) {
    const list = enqueued.tasks;
    tasks = list.length === 1 ? storeTask(list[0]!, 0, startedAt) : list.map((task, index) => storeTask(task, index, startedAt));
    if (!isSummaryOf(enqueued.summary, list)) (rare ??= {}).summary = enqueued.summary;
    if (enqueued.nPlusOne.length > 0) (rare ??= {}).nPlusOne = enqueued.nPlusOne;
    if (enqueued.droppedTasks !== 0) (rare ??= {}).droppedTasks = enqueued.droppedTasks;
    if (enqueued.beyondDepth !== 0) (rare ??= {}).beyondDepth = enqueued.beyondDepth;
  }
  return new StoredRun(run.attempt, run.worker, startedAt, finishedAfter, runUs, run.outcome, tasks, rare === undefined ? undefined : JSON.stringify(rare));
}

function storeTask(task: TaskRecord, index: number, startedAt: number): StoredTask {
  let rare: Partial<TaskRecord> | undefined;
  const { seq, enqueuedAt, offsetMs, enqueueMs, jobTimestamp, stack } = task;
  if (seq !== index + 1) (rare ??= {}).seq = seq;
  if (task.prefix !== 'bull') (rare ??= {}).prefix = task.prefix;
  if (task.via !== 'add') (rare ??= {}).via = task.via;
  if (task.truncated) (rare ??= {}).truncated = true;
  const enqueuedAfter = (enqueuedAt - startedAt) | 0;
  if (startedAt + enqueuedAfter !== enqueuedAt) (rare ??= {}).enqueuedAt = enqueuedAt;
  const offsetUs = micros(offsetMs);
  if (offsetUs / 1000 !== offsetMs) (rare ??= {}).offsetMs = offsetMs;
  const enqueueUs = micros(enqueueMs);
  if (enqueueUs / 1000 !== enqueueMs) (rare ??= {}).enqueueMs = enqueueMs;
  if (task.callSeq !== seq) (rare ??= {}).callSeq = task.callSeq;
  if (task.callSize !== 1) (rare ??= {}).callSize = task.callSize;
  if (task.delayMs !== 0) (rare ??= {}).delayMs = task.delayMs;
  if (task.scheduledFor !== null) (rare ??= {}).scheduledFor = task.scheduledFor;
  if (task.late) (rare ??= {}).late = true;
  if (task.error !== null) (rare ??= {}).error = task.error;
  if (task.duplicate !== null) (rare ??= {}).duplicate = task.duplicate;
  if (task.duplicateOf !== null) (rare ??= {}).duplicateOf = task.duplicateOf;
  let timestampAfter: number | null = null;
  if (jobTimestamp !== null) {
    timestampAfter = (jobTimestamp - enqueuedAt) | 0;
    if (enqueuedAt + timestampAfter !== jobTimestamp) (rare ??= {}).jobTimestamp = jobTimestamp;
  }
  if (task.parent !== null) (rare ??= {}).parent = task.parent;
  if (task.schedulerId !== null) (rare ??= {}).schedulerId = task.schedulerId;
  if (task.origin !== (stack[0] ?? null)) (rare ??= {}).origin = task.origin;
  const data = JSON.stringify(task.data);
  const opts = sharedText(JSON.stringify(task.opts));
  return new StoredTask(task.jobId, task.queue, task.name, data, opts, enqueuedAfter, offsetUs, enqueueUs, timestampAfter, stack, rare === undefined ? undefined : JSON.stringify(rare));
}

/**
 * The wire's form of a stored run, or of a run stored as a whole `JobRun` (by a worker with an
 * older Taskscope, in a shared Redis): returned as it is.
 *
 * @example
 * ```ts
 * const run = expandRun(JSON.parse(json));
 * ```
 */
export function expandRun(stored: StoredRun | JobRun): JobRun {
  if ('progress' in stored) return stored;
  const rare = (stored.rare === undefined ? {} : JSON.parse(stored.rare)) as Partial<JobRun & RunEnqueues>;
  const { startedAt, finishedAfter, runUs } = stored;
  let enqueued: RunEnqueues | null = null;
  if (stored.tasks !== undefined) {
    const tasks = Array.isArray(stored.tasks)
      ? stored.tasks.map((task, index) => expandTask(task, index, startedAt))
      : [expandTask(stored.tasks, 0, startedAt)];
    enqueued = {
      summary: rare.summary ?? summaryOf(tasks), tasks, nPlusOne: rare.nPlusOne ?? [],
      droppedTasks: rare.droppedTasks ?? 0, beyondDepth: rare.beyondDepth ?? 0,
    };
  }
  return {
    attempt: stored.attempt, worker: stored.worker, startedAt,
    finishedAt: rare.finishedAt ?? (finishedAfter === undefined ? null : startedAt + finishedAfter),
    runMs: rare.runMs ?? (runUs === undefined ? null : runUs / 1000),
    outcome: stored.outcome, retried: rare.retried ?? null, error: rare.error ?? null,
    progress: rare.progress ?? { count: 0, updates: [] }, logs: rare.logs ?? { count: 0, lines: [] },
    enqueued,
  };
}

function expandTask(task: StoredTask, index: number, startedAt: number): TaskRecord {
  const rare = (task.rare === undefined ? {} : JSON.parse(task.rare)) as Partial<TaskRecord>;
  const seq = rare.seq ?? index + 1;
  const enqueuedAt = rare.enqueuedAt ?? startedAt + task.enqueuedAfter;
  const stack = task.stack ?? NO_FRAMES;
  // In TaskEntry#toJSON's order, so a stored run's JSON reads like the recording's.
  return {
    seq, jobId: task.jobId, queue: task.queue, prefix: rare.prefix ?? 'bull', name: task.name, via: rare.via ?? 'add',
    data: JSON.parse(task.data) as Snapshot, opts: JSON.parse(task.opts) as Snapshot, truncated: rare.truncated ?? false,
    enqueuedAt, offsetMs: rare.offsetMs ?? task.offsetUs / 1000, enqueueMs: rare.enqueueMs ?? task.enqueueUs / 1000,
    callSeq: rare.callSeq ?? seq, callSize: rare.callSize ?? 1, delayMs: rare.delayMs ?? 0, scheduledFor: rare.scheduledFor ?? null,
    late: rare.late ?? false, error: rare.error ?? null, duplicate: rare.duplicate ?? null, duplicateOf: rare.duplicateOf ?? null,
    jobTimestamp: rare.jobTimestamp ?? (task.timestampAfter === null ? null : enqueuedAt + task.timestampAfter),
    parent: rare.parent ?? null, schedulerId: rare.schedulerId ?? null,
    origin: rare.origin !== undefined ? rare.origin : (stack[0] ?? null), stack,
  };
}

/**
 * Integers V8 keeps in the object itself (a small integer, no 16-byte heap number): each caller
 * checks that the value comes back, and keeps the original in `rare` when it does not.
 */
function micros(ms: number): number {
  return Math.round(ms * 1000) | 0;
}

/** JSON texts seen lately, so equal ones (a queue's options, job after job) are one string. */
const texts = new Map<string, string>();
const MAX_TEXTS = 256;

function sharedText(text: string): string {
  const known = texts.get(text);
  if (known !== undefined) return known;
  if (texts.size >= MAX_TEXTS) texts.clear();
  texts.set(text, text);
  return text;
}

/**
 * The summary the tasks give when nothing was dropped and calls settled in the order they
 * started: what a run's summary is nearly always. Counted exactly as the recording counts.
 */
function summaryOf(tasks: readonly TaskRecord[]): RecordSummary {
  const summary = createSummary();
  let callStart = 0;
  for (let index = 0; index < tasks.length; index += 1) {
    const task = tasks[index]!;
    addToSummary(summary, task);
    if (task.error !== null) {
      summary.failed += 1;
      summary.jobs -= 1;
    } else if (task.duplicateOf !== null) {
      summary.duplicates += 1;
      summary.jobs -= 1;
    }
    const next = tasks[index + 1];
    if (next === undefined || next.callSeq !== task.callSeq) {
      summary.calls += 1;
      addCallToSummary(summary, tasks.slice(callStart, index + 1), task.enqueueMs);
      callStart = index + 1;
    }
  }
  return summary;
}

/**
 * Whether {@link summaryOf} gives `summary` back. Checked without building one when every task
 * went to one queue under one name (nearly every run): then both tallies took every call's time
 * exactly as the total did, and, nothing untallied, that queue's and that name's counts being
 * the total leaves room for no other key (every add is counted in both, see `RecordSummary`).
 */
function isSummaryOf(summary: RecordSummary, tasks: readonly TaskRecord[]): boolean {
  const first = tasks[0];
  if (first === undefined || summary.untallied !== 0) return sameSummary(summary, summaryOf(tasks));
  let jobs = 0, duplicates = 0, failed = 0, delayed = 0, late = 0, calls = 0, enqueueMs = 0;
  for (let index = 0; index < tasks.length; index += 1) {
    const task = tasks[index]!;
    if (task.queue !== first.queue || task.name !== first.name) return sameSummary(summary, summaryOf(tasks));
    if (task.error !== null) failed += 1;
    else if (task.duplicateOf !== null) duplicates += 1;
    else jobs += 1;
    if (task.delayMs > 0) delayed += 1;
    if (task.late) late += 1;
    if (tasks[index + 1]?.callSeq !== task.callSeq) {
      calls += 1;
      enqueueMs = Math.round((enqueueMs + task.enqueueMs) * 1000) / 1000;
    }
  }
  const n = tasks.length;
  const queue = summary.byQueue[first.queue];
  const name = summary.byName[first.name];
  return summary.total === n && summary.jobs === jobs && summary.duplicates === duplicates && summary.failed === failed
    && summary.delayed === delayed && summary.immediate === n - delayed && summary.late === late && summary.calls === calls
    && summary.enqueueMs === enqueueMs && queue?.count === n && queue.enqueueMs === enqueueMs && name?.count === n && name.enqueueMs === enqueueMs;
}

function sameSummary(a: RecordSummary, b: RecordSummary): boolean {
  return a.total === b.total && a.jobs === b.jobs && a.duplicates === b.duplicates && a.calls === b.calls
    && a.immediate === b.immediate && a.delayed === b.delayed && a.failed === b.failed && a.late === b.late
    && a.enqueueMs === b.enqueueMs && a.untallied === b.untallied && sameTallies(a.byQueue, b.byQueue) && sameTallies(a.byName, b.byName);
}

function sameTallies(a: RecordSummary['byQueue'], b: RecordSummary['byQueue']): boolean {
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (let index = 0; index < keysA.length; index += 1) {
    const key = keysA[index]!;
    if (key !== keysB[index] || a[key]!.count !== b[key]!.count || a[key]!.enqueueMs !== b[key]!.enqueueMs) return false;
  }
  return true;
}
