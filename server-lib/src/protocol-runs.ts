/**
 * Wire types of job runs and lineage (protocol v1 additions): what each job did in a worker
 * with Taskscope, and the jobs it enqueued. Types only, like protocol.ts, which re-exports them.
 *
 * @example
 * ```ts
 * import type { JobRunsResponse } from 'taskscope/protocol';
 * const runs: JobRunsResponse = await (await fetch(`${prefix}/jobs/emails/12/runs`)).json();
 * ```
 */
import type { JobStatus, NPlusOneGroup, PROTOCOL_VERSION, RecordSummary, Snapshot, TaskRecord } from './protocol.js';

/**
 * How one attempt ended: `running` while it runs; `stalled` when its worker stopped renewing the
 * lock (died, or blocked the event loop) and BullMQ took the job back; `moved` when the processor
 * moved the job itself (`DelayedError`, `WaitingChildrenError`, a rate limit) rather than finish it.
 */
export type RunOutcome = 'running' | 'completed' | 'failed' | 'stalled' | 'moved';

/** Who enqueued a job: the tracked request, or a job (one attempt of it) that descends from one. */
export type LineageParent =
  | { kind: 'request'; requestId: string; seq: number }
  | { kind: 'job'; queue: string; prefix: string; jobId: string; attempt: number; seq: number };

/** How a job is linked to the request at the root of its lineage. Kept by Taskscope, never in the job. */
export interface JobLineage {
  /** The tracked request the job descends from. */
  requestId: string;
  parent: LineageParent;
  /** 1 for a job the request enqueued, 2 for a job that job enqueued, … at most `limits.maxLineageDepth`. */
  depth: number;
}

/** What one attempt's processor enqueued: recorded exactly like a request's tasks. */
export interface RunEnqueues {
  summary: RecordSummary;
  tasks: TaskRecord[];
  nPlusOne: NPlusOneGroup[];
  droppedTasks: number;
  /**
   * Follow-up jobs not linked because they would pass `limits.maxLineageDepth`: they exist and
   * are listed in `tasks`, but their own runs are not recorded.
   */
  beyondDepth: number;
}

/** One attempt of a job, as the worker that ran it recorded it. */
export interface JobRun {
  /** 1-based: BullMQ's `attemptsStarted` when this attempt began. */
  attempt: number;
  worker: { host: string; pid: number; name: string | null };
  startedAt: number;
  finishedAt: number | null;
  runMs: number | null;
  outcome: RunOutcome;
  /**
   * The attempt failed or stalled and BullMQ will run the job again; `false` when it was the
   * last; `null` while running or when not known.
   */
  retried: boolean | null;
  /** The processor's error (name, message, and at most 20 stack lines), else `null`. */
  error: { name: string; message: string; stack: string[] } | null;
  /** `job.updateProgress` calls of this attempt: the newest `limits.maxProgressUpdates` and how many there were. */
  progress: { count: number; updates: Array<{ at: number; value: Snapshot }> };
  /** `job.log` lines of this attempt: the newest `limits.maxLogLines` (each ≤ 1,000 characters) and how many there were. */
  logs: { count: number; lines: Array<{ at: number; line: string }> };
  /** What the processor enqueued during this attempt, `null` when nothing. */
  enqueued: RunEnqueues | null;
}

/** `GET {prefix}/jobs/{queue}/{jobId}/runs?prefix=bull`: everything recorded about one job's runs. */
export interface JobRunsResponse {
  version: typeof PROTOCOL_VERSION;
  queue: string;
  prefix: string;
  jobId: string;
  /** `null` when the job is not linked to a tracked request (or its link expired). */
  lineage: JobLineage | null;
  /** In attempt order. Empty when no worker with Taskscope ran the job (yet). */
  runs: JobRun[];
  /** Attempts past `limits.maxRunsPerJob`, not kept. */
  droppedRuns: number;
}

/** One job of a request's lineage tree. */
export interface LineageNode {
  queue: string;
  prefix: string;
  jobId: string;
  name: string;
  depth: number;
  /** The job that enqueued this one, `null` when the request did. */
  parent: { queue: string; prefix: string; jobId: string } | null;
  /**
   * A flow child (`FlowProducer.add`): its parent in the flow, enqueued by the same call — a
   * panel nests it there rather than directly under `parent`. `null` otherwise; absent from
   * servers before it was added.
   */
  flowParent?: { queue: string; prefix: string; jobId: string } | null;
  /** The task's `seq` in the request (depth 1) or in the parent run's `enqueued.tasks`. */
  seq: number;
  /** Runs recorded, and the outcome of the newest one (`null` before any). */
  runCount: number;
  lastOutcome: RunOutcome | null;
  /** Attempts that failed (including ones BullMQ retried). */
  failedRuns: number;
  /** Jobs this one enqueued, over all its runs, and its N+1 groups. */
  enqueuedCount: number;
  nPlusOneCount: number;
  /** Live state from Redis. */
  status: JobStatus;
}

/** `GET {prefix}/requests/{id}/lineage`: every job descending from the request, breadth first. */
export interface RequestLineageResponse {
  version: typeof PROTOCOL_VERSION;
  requestId: string;
  jobs: LineageNode[];
  /** Jobs left out because the tree passed `maxJobs` nodes. */
  droppedJobs: number;
  maxJobs: number;
  maxDepth: number;
  /** Runs that failed anywhere in the tree (the request's descendants failed when > 0). */
  failedRuns: number;
}
