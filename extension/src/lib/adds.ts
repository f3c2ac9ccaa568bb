import type { JobStatus, RequestRecord, TaskRecord } from 'taskscope/protocol';

/**
 * What one add made: a job of its own, nothing (the enqueue failed), or no new job because
 * BullMQ merged it into a job that already existed (same jobId, or deduplication).
 */
export type AddOutcome =
  | { kind: 'job' }
  | { kind: 'failed'; error: string }
  /** `intoSeq`: the earlier add of this request that made the job, or `null` for a job of another request. */
  | { kind: 'merged'; intoSeq: number | null; deduplicated: boolean };

function deduplicated(task: TaskRecord): boolean {
  const opts = task.opts;
  return !!opts && typeof opts === 'object' && !Array.isArray(opts) && 'deduplication' in opts && !!opts.deduplication;
}

/** What BullMQ did with one add, from the record and (for merges into other requests' jobs) the live status. */
export function addOutcome(task: TaskRecord, status: JobStatus | undefined): AddOutcome {
  if (task.error !== null) return { kind: 'failed', error: task.error };
  if (task.duplicateOf !== null) return { kind: 'merged', intoSeq: task.duplicateOf, deduplicated: deduplicated(task) };
  if (task.duplicate === true || status?.duplicate === true) return { kind: 'merged', intoSeq: null, deduplicated: deduplicated(task) };
  return { kind: 'job' };
}

/** `deduplicated into #1`, `same jobId as #1`, `merged into an existing job`. */
export function mergedLabel(outcome: Extract<AddOutcome, { kind: 'merged' }>): string {
  if (outcome.intoSeq === null) return outcome.deduplicated ? 'deduplicated into an existing job' : 'existing job (same jobId)';
  return outcome.deduplicated ? `deduplicated into #${outcome.intoSeq}` : `same jobId as #${outcome.intoSeq}`;
}

/** The counts a request's summary line shows. */
export interface AddCounts {
  /** Every add the request made (also failed and merged ones). */
  adds: number;
  /** Jobs that exist because of them. */
  jobs: number;
  merged: number;
  failed: number;
  /** Jobs (not adds) that run now, and later. */
  immediate: number;
  delayed: number;
  late: number;
  /** Enqueue calls: one addBulk or flow is one call for many adds. */
  calls: number;
}

/**
 * Counts adds and the jobs they made. From the tasks and their live status when the record
 * kept every task; from the server's summary when some were dropped (it counts them all).
 */
export function countAdds(record: RequestRecord, statuses: ReadonlyMap<number, JobStatus>): AddCounts {
  const s = record.summary;
  if (record.droppedTasks > 0 || record.tasks.length !== s.total) {
    const merged = s.duplicates;
    return { adds: s.total, jobs: s.jobs, merged, failed: s.failed, immediate: s.immediate, delayed: s.delayed, late: s.late, calls: s.calls };
  }
  const counts: AddCounts = { adds: 0, jobs: 0, merged: 0, failed: 0, immediate: 0, delayed: 0, late: 0, calls: 0 };
  for (const task of record.tasks) {
    counts.adds++;
    if (task.late) counts.late++;
    if (task.callSeq === task.seq) counts.calls++;
    const outcome = addOutcome(task, statuses.get(task.seq));
    if (outcome.kind === 'failed') counts.failed++;
    else if (outcome.kind === 'merged') counts.merged++;
    else {
      counts.jobs++;
      if (task.delayMs > 0) counts.delayed++;
      else counts.immediate++;
    }
  }
  return counts;
}

/** True when the task made a job of its own that a worker will run (not failed, not merged). */
export function madeJob(task: TaskRecord, status: JobStatus | undefined): boolean {
  return addOutcome(task, status).kind === 'job';
}
