/**
 * The wire's form of a stored run (stored-run.ts): what storing left out put back, and each
 * task's data and options, kept as BullMQ built them, turned into bounded, redacted snapshots
 * now that the run is read.
 */
import type { JobRun, RunEnqueues } from '../protocol-runs.js';
import type { Snapshot, StackFrame, TaskRecord } from '../protocol.js';
import { summaryOf } from './run-summary.js';
import type { Serialize, StoredRun, StoredTask } from './stored-run.js';

const NO_FRAMES: StackFrame[] = Object.freeze([]) as unknown as StackFrame[];

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
    const { serialize } = stored;
    const tasks = Array.isArray(stored.tasks)
      ? stored.tasks.map((task, index) => expandTask(task, index, startedAt, serialize))
      : [expandTask(stored.tasks, 0, startedAt, serialize)];
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

function expandTask(task: StoredTask, index: number, startedAt: number, serialize: Serialize | undefined): TaskRecord {
  const rare = (task.rare === undefined ? {} : JSON.parse(task.rare)) as Partial<TaskRecord>;
  const seq = rare.seq ?? index + 1;
  const enqueuedAt = rare.enqueuedAt ?? startedAt + task.enqueuedAfter;
  const stack = task.stack ?? NO_FRAMES;
  let data: Snapshot, opts: Snapshot, truncated: boolean;
  if (task.raw) {
    const dataSnap = snapshotOfJson(task.data, serialize);
    const optsSnap = snapshotOfJson(task.opts, serialize);
    data = dataSnap.value;
    opts = optsSnap.value;
    truncated = dataSnap.truncated || optsSnap.truncated;
  } else {
    data = JSON.parse(task.data) as Snapshot;
    opts = JSON.parse(task.opts) as Snapshot;
    truncated = rare.truncated ?? false;
  }
  // In TaskEntry#toJSON's order, so a stored run's JSON reads like the recording's.
  return {
    seq, jobId: task.jobId, queue: task.queue, prefix: rare.prefix ?? 'bull', name: task.name, via: rare.via ?? 'add',
    data, opts, truncated,
    enqueuedAt, offsetMs: rare.offsetMs ?? task.offsetUs / 1000, enqueueMs: rare.enqueueMs ?? task.enqueueUs / 1000,
    callSeq: rare.callSeq ?? seq, callSize: rare.callSize ?? 1, delayMs: rare.delayMs ?? 0, scheduledFor: rare.scheduledFor ?? null,
    late: rare.late ?? false, error: rare.error ?? null, duplicate: rare.duplicate ?? null, duplicateOf: rare.duplicateOf ?? null,
    jobTimestamp: rare.jobTimestamp ?? (task.timestampAfter === null ? null : enqueuedAt + task.timestampAfter),
    parent: rare.parent ?? null, schedulerId: rare.schedulerId ?? null,
    origin: rare.origin !== undefined ? rare.origin : (stack[0] ?? null), stack,
  };
}

const NOT_JSON: Snapshot = { $taskscope: 'unreadable', reason: 'not JSON' };
const NO_SERIALIZER: Snapshot = { $taskscope: 'unreadable', reason: 'serializer failed' };

/** The snapshot of a value kept as JSON, as TaskEntry makes it of the data BullMQ stored. */
function snapshotOfJson(json: string, serialize: Serialize | undefined): { value: Snapshot; truncated: boolean } {
  // Never without one (storeRun keeps raw tasks only with it); never the raw value either.
  if (serialize === undefined) return { value: NO_SERIALIZER, truncated: true };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { value: NOT_JSON, truncated: true };
  }
  return serialize(parsed);
}

