/**
 * The wire contract between the Taskscope server library and the DevTools panel (protocol v1).
 *
 * This module holds types and constants only, so the extension can import it without pulling
 * in any server code. docs/protocol.md describes the same contract in prose; keep them in step.
 *
 * @example
 * ```ts
 * import type { RequestRecord } from 'taskscope/protocol';
 * const record: RequestRecord = await (await fetch(url)).json();
 * ```
 */

// WebSocket connections (issue 12): their wire types live in their own module.
export * from './protocol-ws.js';
export * from './protocol-runs.js'; // job runs and lineage (issue 11)

/** The protocol version every debug-API answer carries in `version`. */
export const PROTOCOL_VERSION = 1 as const;

/** Response header carrying the record id of a tracked request. */
export const DEBUG_ID_HEADER = 'X-Debug-Id';
/** Response header carrying the record's URL, relative to the request's origin. */
export const DEBUG_URL_HEADER = 'X-Debug-Url';
/** Request header the panel sends when the server was given a `token`. */
export const TOKEN_HEADER = 'X-Taskscope-Token';
/** The standard header Taskscope appends its `tasks` and `taskscope` entries to. */
export const SERVER_TIMING_HEADER = 'Server-Timing';
/** Name of the Server-Timing entry whose `desc` is the record id. */
export const SERVER_TIMING_ID_ENTRY = 'taskscope';
/** Name of the Server-Timing entry whose `dur` is the total enqueue time. */
export const SERVER_TIMING_TASKS_ENTRY = 'tasks';
/** Default mount point of the debug API. */
export const DEFAULT_PREFIX = '/__taskscope';

/** The enqueue path a task went through. */
export type TaskVia = 'add' | 'addBulk' | 'flow' | 'scheduler';

/** One application stack frame. `file` is relative to the app's working directory when inside it. */
export interface StackFrame {
  file: string;
  line: number;
  column: number;
  /** `null` for anonymous code. */
  function: string | null;
}

/**
 * A value the serializer could not, or chose not to, copy as plain JSON. It stands in place of
 * the original value inside `data` and `opts` snapshots, so the panel can show why.
 */
export type SnapshotMarker =
  | { $taskscope: 'redacted' }
  | { $taskscope: 'circular' }
  /** Nesting deeper than `limits.maxDepth`. */
  | { $taskscope: 'depth' }
  /** A string longer than `limits.maxStringLength`: its first characters and its full length. */
  | { $taskscope: 'truncated'; preview: string; length: number }
  /** Array items or object keys left out past `limits.maxArrayLength` / `limits.maxKeys`; the last item or the key `"…"`. */
  | { $taskscope: 'more'; count: number }
  | { $taskscope: 'undefined' }
  | { $taskscope: 'bigint'; value: string }
  | { $taskscope: 'symbol'; description: string }
  | { $taskscope: 'function'; name: string }
  | { $taskscope: 'date'; iso: string | null }
  | { $taskscope: 'regexp'; source: string; flags: string }
  | { $taskscope: 'error'; name: string; message: string }
  | { $taskscope: 'binary'; type: string; length: number; preview: string }
  | { $taskscope: 'map'; size: number; entries: Array<[Snapshot, Snapshot]> }
  | { $taskscope: 'set'; size: number; values: Snapshot[] }
  /** A value whose reading threw (a throwing getter, a revoked Proxy, …). */
  | { $taskscope: 'unreadable'; reason: string };

/** A bounded, redacted, JSON-safe copy of a value. */
export type Snapshot =
  | null
  | boolean
  | number
  | string
  | Snapshot[]
  | { [key: string]: Snapshot }
  | SnapshotMarker;

/** One job enqueued during a request. */
export interface TaskRecord {
  /** 1-based order of enqueue within the request. */
  seq: number;
  /** BullMQ's job id; `null` when the add failed or the id is unknown. */
  jobId: string | null;
  queue: string;
  /** BullMQ's key prefix of the queue (`bull` unless the app set one); needed to read its status. */
  prefix: string;
  name: string;
  via: TaskVia;
  data: Snapshot;
  opts: Snapshot;
  /** True when `data` or `opts` lost anything to a limit (truncated, dropped, depth). */
  truncated: boolean;
  /** Epoch ms when the enqueue call started. */
  enqueuedAt: number;
  /** Ms from the request's start to the enqueue call. */
  offsetMs: number;
  /**
   * How long the enqueue call took, ms. A call that enqueued several jobs (addBulk, a flow) gives
   * each of them the whole call's time, with `callSize` > 1: totals count each call once.
   */
  enqueueMs: number;
  /** `seq` of the first task of the enqueue call this task came from (its own `seq` for a single add). */
  callSeq: number;
  /** How many jobs that enqueue call made or reached: 1 for `add`, more for `addBulk` and flows. */
  callSize: number;
  delayMs: number;
  /** Epoch ms the job becomes due, when delayed; otherwise `null`. */
  scheduledFor: number | null;
  /** Enqueued after the response was sent, still in the request's async context. */
  late: boolean;
  /** BullMQ's error message when the enqueue threw or rejected. */
  error: string | null;
  /**
   * The add returned a job that already existed (same `jobId`, or deduplicated), so no new job
   * was created. `null` when the add itself did not tell: then `JobStatus.duplicate` does (the
   * record is never changed by a status read).
   */
  duplicate: boolean | null;
  /**
   * `seq` of an earlier task of this request whose job this add was merged into (same queue and
   * job id: a custom `jobId` or deduplication). `null` otherwise.
   */
  duplicateOf: number | null;
  /**
   * `timestamp` of the Job object the add returned. A job in Redis with another timestamp is an
   * older one that the add returned instead of creating a new job.
   */
  jobTimestamp: number | null;
  /** Flow jobs: the parent's `queue` and `jobId`, else `null`. */
  parent: { queue: string; jobId: string | null } | null;
  /** Job scheduler (repeatable) tasks: the scheduler's id, else `null`. */
  schedulerId: string | null;
  /** The innermost application frame, or `null` when none was captured. */
  origin: StackFrame | null;
  /** Application frames only, innermost first, from the `limits.maxStackFrames` frames captured. */
  stack: StackFrame[];
}

export interface QueueTally {
  count: number;
  enqueueMs: number;
}

export interface RecordSummary {
  /** Adds: every job the request asked for, one per task (also failed and merged ones). */
  total: number;
  /** Jobs that exist because of those adds: `total − failed − duplicates`. */
  jobs: number;
  /** Adds merged into a job that already existed (same job id, deduplication), as far as known. */
  duplicates: number;
  /** Enqueue calls (one `addBulk` or flow is one call for many adds). */
  calls: number;
  immediate: number;
  delayed: number;
  /** Adds whose enqueue threw or rejected: they made no job. */
  failed: number;
  late: number;
  /** Time spent in enqueue calls, each call counted once. */
  enqueueMs: number;
  /** Per queue: `count` adds; `enqueueMs` counts each call once per queue it enqueued into. At most 100 queues. */
  byQueue: Record<string, QueueTally>;
  /** Per job name, as `byQueue`. At most 100 names. */
  byName: Record<string, QueueTally>;
  /** Adds not tallied in `byQueue` or `byName` because the table was full (still in every other count). */
  untallied: number;
}

/** Tasks of one queue and name enqueued one by one from the same line of code. */
export interface NPlusOneGroup {
  queue: string;
  name: string;
  origin: StackFrame | null;
  count: number;
  enqueueMs: number;
  seqs: number[];
  suggestion: string;
}

export interface RequestInfo {
  method: string;
  /** Path and query, as the server saw it. */
  url: string;
  /** `null` until the response status is known. */
  status: number | null;
  startedAt: number;
  /** `null` while the request is still running. */
  durationMs: number | null;
}

/** Everything Taskscope recorded for one HTTP request. `GET {prefix}/requests/{id}`. */
export interface RequestRecord {
  version: typeof PROTOCOL_VERSION;
  id: string;
  request: RequestInfo;
  summary: RecordSummary;
  tasks: TaskRecord[];
  nPlusOne: NPlusOneGroup[];
  /** Tasks not kept because the request passed `limits.maxTasksPerRequest` (still counted in `summary`). */
  droppedTasks: number;
  /** Grows with every change to the record (a late task, an enqueue result): compare to refetch. */
  revision: number;
  /** Epoch ms until which late tasks may still be added; `null` while the request runs. */
  lateUntil: number | null;
  /**
   * Present when the record was too large for its store: what is kept is a stub with the request,
   * the summary and no tasks (`droppedTasks` counts them).
   */
  tooLarge?: { bytes: number; limit: number };
}

/** One line of `GET {prefix}/requests`. */
export interface RequestListItem {
  id: string;
  method: string;
  url: string;
  status: number | null;
  startedAt: number;
  durationMs: number | null;
  taskCount: number;
  nPlusOneCount: number;
}

export interface RequestListResponse {
  version: typeof PROTOCOL_VERSION;
  requests: RequestListItem[];
  /** Records this process could not save to its store since it started (store down or too slow). */
  lost: number;
  /**
   * Set when the store could not be read: `requests` then lists only this process's records
   * that are not (yet) saved, which it still serves.
   */
  storeError?: string;
}

/** `GET {prefix}`: what the server is. */
export interface ApiIndexResponse {
  version: typeof PROTOCOL_VERSION;
  name: 'taskscope';
  endpoints: string[];
  /**
   * The app's root directory (absolute), which stack frame paths are relative to, so the panel
   * can open files in an editor on the same machine. `null` for a client not on loopback.
   */
  root: string | null;
}

/** BullMQ's job states, plus `removed` (no longer in Redis) and `unavailable` (Redis unreachable). */
export type JobState =
  | 'waiting'
  | 'delayed'
  | 'prioritized'
  | 'active'
  | 'completed'
  | 'failed'
  | 'waiting-children'
  | 'removed'
  | 'unavailable'
  | 'unknown';

/** Live state of one job, read from Redis. */
export interface JobStatus {
  /** The task's `seq` in its request, for status answers of a request. */
  seq?: number;
  queue: string;
  jobId: string;
  state: JobState;
  progress: Snapshot;
  attemptsMade: number;
  /** `opts.attempts`, default 1. */
  attempts: number;
  /** Attempts a worker started (BullMQ's `attemptsStarted`), when Redis has it; else `null`. */
  attemptsStarted: number | null;
  /** The job's delay when added, ms (0 when none). */
  delayMs: number;
  /** Epoch ms BullMQ created the job. */
  timestamp: number | null;
  processedOn: number | null;
  finishedOn: number | null;
  /**
   * Time in the queue once due: processedOn − timestamp − delay, or, while not yet active, how long
   * it has waited since it became due. `null` while still delayed.
   */
  waitMs: number | null;
  /** finishedOn − processedOn, or how long it has run so far while active. */
  runMs: number | null;
  returnValue: Snapshot;
  failedReason: string | null;
  stacktrace: string[];
  /** The newest `job.log()` lines (at most 50, each at most 1,000 characters) and how many there are. */
  logs: { count: number; lines: string[] };
  /** The job is an older one this request's add returned rather than created (see `TaskRecord.duplicate`). */
  duplicate?: boolean;
  /** Why the state is `unavailable` or `unknown`. */
  reason?: string;
}

export interface RequestStatusResponse {
  version: typeof PROTOCOL_VERSION;
  jobs: JobStatus[];
  /** The record's `revision` now: when it is newer than the panel's copy, refetch the record. */
  revision: number;
  /** The record's task count now (`summary.total`). */
  taskCount: number;
  /** As `RequestRecord.lateUntil`: poll for late tasks until then. */
  lateUntil: number | null;
}

export interface JobStatusResponse extends JobStatus {
  version: typeof PROTOCOL_VERSION;
}

/** Every debug-API error: a JSON body with a 4xx or 5xx status. */
export interface ErrorResponse {
  version: typeof PROTOCOL_VERSION;
  error: {
    /** Stable machine-readable code, e.g. `not_found`, `bad_id`, `forbidden_host`. */
    code: string;
    message: string;
  };
}
