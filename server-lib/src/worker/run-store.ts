import type { JobLineage, JobRun } from '../protocol-runs.js';
import type { StoredRun } from './stored-run.js';

/** Where a job lives in BullMQ: its key prefix, queue name and id. */
export interface JobKey {
  prefix: string;
  queue: string;
  jobId: string;
}

/** What is kept about one job of a lineage. */
export interface StoredJob {
  lineage: JobLineage | null;
  /** In attempt order. */
  runs: JobRun[];
  droppedRuns: number;
  /** Epoch ms at which a worker found the job stalled. */
  stalls: number[];
}

/**
 * The job whose attempt enqueued follow-ups, as each follow-up's lineage names it: one object
 * per attempt, shared by all its follow-ups (a store in memory keeps it instead of a lineage each).
 */
export class FollowUpParent {
  constructor(
    readonly requestId: string,
    readonly prefix: string,
    readonly queue: string,
    readonly jobId: string,
    readonly attempt: number,
    /** The follow-ups' depth: the parent's plus one. */
    readonly depth: number,
  ) {}

  /** The lineage of the follow-up that is task `seq` of this attempt. */
  lineageOf(seq: number): JobLineage {
    const { requestId, prefix, queue, jobId, attempt, depth } = this;
    return { requestId, parent: { kind: 'job', prefix, queue, jobId, attempt, seq }, depth };
  }
}

/**
 * Where job links and runs live, next to the records of the same store: the link of a job to
 * its lineage (written when the request or job that enqueued it sees the add settle), and one
 * entry per attempt. Every method is async so the store can be shared by processes; none is
 * ever awaited by the app's request or by a worker's job.
 *
 * @example
 * ```ts
 * await runs.link([{ job: { prefix: 'bull', queue: 'emails', jobId: '12' }, lineage }]);
 * await runs.saveRun(job, 1, storeRun(recording.parts()));
 * const [stored] = await runs.read([job]);
 * ```
 */
export interface RunStore {
  /** Links each job to its lineage. */
  link(entries: ReadonlyArray<{ job: JobKey; lineage: JobLineage }>): Promise<void>;
  /** The job's lineage, `undefined` when it is not linked to a tracked request. */
  lineage(job: JobKey): Promise<JobLineage | undefined>;
  /** Stores one attempt's run (see stored-run.ts) under its attempt number; `null` counts the run as dropped. */
  saveRun(job: JobKey, attempt: number, run: StoredRun | null): Promise<void>;
  /** Notes that a worker found the job stalled; ignored for a job that is not linked. */
  noteStall(job: JobKey, at: number): Promise<void>;
  /** What is kept about each job, in order, runs as the wire shows them; `undefined` for a job never linked (or expired). */
  read(jobs: readonly JobKey[]): Promise<Array<StoredJob | undefined>>;
  close?(): Promise<void>;
}

/** A string key of a job, unambiguous whatever characters its parts hold. */
export function jobKeyString(job: JobKey): string {
  return `${encodeURIComponent(job.prefix)}:${encodeURIComponent(job.queue)}:${encodeURIComponent(job.jobId)}`;
}

/**
 * The stored job as the wire shows it: a run still `running` while a later attempt began, or
 * after a worker found the job stalled, is `stalled`.
 *
 * @example
 * ```ts
 * settleStalled({ lineage, runs, droppedRuns: 0, stalls: [Date.now()] });
 * ```
 */
export function settleStalled(stored: StoredJob): StoredJob {
  const runs = stored.runs.map((run, index) => {
    if (run.outcome !== 'running') return run;
    const later = stored.runs[index + 1];
    const stalledAt = stored.stalls.find((at) => at >= run.startedAt);
    if (later === undefined && stalledAt === undefined) return run;
    const finishedAt = later?.startedAt ?? stalledAt!;
    return { ...run, outcome: 'stalled' as const, finishedAt, runMs: Math.max(0, finishedAt - run.startedAt), retried: later !== undefined ? true : null };
  });
  return { ...stored, runs };
}
