/**
 * A job run as the run stores keep it: the wire's {@link JobRun} with what equals its default
 * left out, times as integer offsets, and each task's frames the shared, frozen array every
 * task of the same call site has (core/stack.ts caches them). A MemoryRunStore keeps it as it
 * is, a RedisRunStore as its JSON; both give the wire's form back with {@link expandRun}.
 *
 * What is left out is checked, not assumed: a value is omitted only when the expansion gives
 * the very same value back, anything else goes into the `rare` JSON as it is. A run of a small
 * job that enqueued one follow-up is kept in about 250 bytes instead of its 1.2 KB JSON (issue 11).
 *
 * A task's data and options are kept as BullMQ built them (TaskEntry.storedSources) — the JSON of
 * the data BullMQ stored, the JSON of its copy of the options — and become bounded, redacted
 * snapshots only when the run is read, as a request's tasks do (TaskEntry): a worker writes
 * every run, and nearly none is ever read.
 */
import type { JobRun, RunEnqueues, RunOutcome } from '../protocol-runs.js';
import type { StackFrame, TaskRecord } from '../protocol.js';
import type { SnapshotResult } from '../core/serialize.js';
import { TaskEntry } from '../core/task-entry.js';
import { isSummaryOf } from './run-summary.js';
import { expandRun } from './expand-run.js';

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
    /**
     * `raw`: the JSON of the data BullMQ stored and of its copy of the options, made snapshots
     * when read; else the snapshots' JSON. Either is smaller than objects, and the same options
     * are one string (`sharedText`).
     */
    readonly data: string,
    readonly opts: string,
    readonly raw: boolean,
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
    /** Makes the snapshots of its `raw` tasks: the serializer (limits, redaction) of the instance that recorded it. */
    readonly serialize: Serialize | undefined = undefined,
  ) {}

  /** The wire's form: a stored run in JSON never holds a task's data as it came, unredacted. */
  toJSON(): JobRun {
    return expandRun(this);
  }
}

/** A Taskscope instance's snapshot function (`runtime.serialize`). */
export type Serialize = (value: unknown) => SnapshotResult;

/** What a run is made of, as its recording holds it; tasks as the wire shows them (`TaskEntry` is one). */
export interface RunParts extends Omit<JobRun, 'enqueued'> {
  enqueued: (Omit<RunEnqueues, 'tasks'> & { tasks: readonly TaskRecord[] }) | null;
}

/**
 * The stored form of a run. With the instance's `serialize`, tasks that still hold what BullMQ
 * built their jobs from keep that and are made snapshots when read; else their snapshots.
 *
 * @example
 * ```ts
 * const stored = storeRun(recording.parts(), runtime.serialize);
 * expandRun(stored); // the JobRun the recording's toJSON gives
 * ```
 */
export function storeRun(run: RunParts, serialize?: Serialize): StoredRun {
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
    const raw = serialize !== undefined;
    tasks = list.length === 1 ? storeTask(list[0]!, 0, startedAt, raw) : list.map((task, index) => storeTask(task, index, startedAt, raw));
    if (!isSummaryOf(enqueued.summary, list)) (rare ??= {}).summary = enqueued.summary;
    if (enqueued.nPlusOne.length > 0) (rare ??= {}).nPlusOne = enqueued.nPlusOne;
    if (enqueued.droppedTasks !== 0) (rare ??= {}).droppedTasks = enqueued.droppedTasks;
    if (enqueued.beyondDepth !== 0) (rare ??= {}).beyondDepth = enqueued.beyondDepth;
  }
  return new StoredRun(run.attempt, run.worker, startedAt, finishedAfter, runUs, run.outcome, tasks, rare === undefined ? undefined : JSON.stringify(rare), serialize);
}

function storeTask(task: TaskRecord, index: number, startedAt: number, keepRaw: boolean): StoredTask {
  let rare: Partial<TaskRecord> | undefined;
  const { seq, enqueuedAt, offsetMs, enqueueMs, jobTimestamp, stack } = task;
  if (seq !== index + 1) (rare ??= {}).seq = seq;
  if (task.prefix !== 'bull') (rare ??= {}).prefix = task.prefix;
  if (task.via !== 'add') (rare ??= {}).via = task.via;
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
  // Read from the task only when BullMQ built none of it that can be kept (that builds the snapshots now).
  const raw = keepRaw && task instanceof TaskEntry ? task.storedSources : undefined;
  let data: string, opts: string;
  if (raw !== undefined) {
    data = raw.data;
    opts = sharedText(raw.opts);
  } else {
    if (task.truncated) (rare ??= {}).truncated = true;
    data = JSON.stringify(task.data);
    opts = sharedText(JSON.stringify(task.opts));
  }
  return new StoredTask(task.jobId, task.queue, task.name, data, opts, raw !== undefined, enqueuedAfter, offsetUs, enqueueUs, timestampAfter, stack, rare === undefined ? undefined : JSON.stringify(rare));
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
