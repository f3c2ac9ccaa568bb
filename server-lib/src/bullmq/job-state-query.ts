/**
 * What the status reader asks Redis about one job, and how it turns the replies into a
 * `JobStatus`. Read with plain commands (no Lua), so it works on any client, including one
 * that never loaded BullMQ's scripts.
 */
import { clip, MAX_TRACE_LINES } from '../core/clip.js';
import type { JobState, JobStatus, Snapshot } from '../protocol.js';
import type { StatusPipeline } from './redis-client.js';

/** One job to look up. `source` is the Queue or FlowProducer that enqueued it, when known. */
export interface JobRef {
  queue: string;
  prefix: string;
  jobId: string;
  seq?: number;
  /** `timestamp` of the Job object the add returned; a stored job with another one is older. */
  timestamp?: number;
  source?: object;
}

export type SerializeValue = (value: unknown) => { value: Snapshot; truncated: boolean; bytes: number };

// Sorted sets first, cheap (ZSCORE is O(1)) and in the order of bullmq's own getState script.
const SORTED_SET_STATES = ['completed', 'failed', 'delayed', 'prioritized', 'waiting-children'] as const;
/** Replies queued per job: HGETALL, one ZSCORE per sorted-set state, LPOS on `active`, LLEN and LRANGE of its logs. */
export const REPLIES_PER_JOB = 4 + SORTED_SET_STATES.length;
/** `job.log()` lines sent per job, the newest. */
export const MAX_LOG_LINES = 50;
const MAX_LOG_LINE_LENGTH = 1000;

/**
 * Queues the commands that give `ref`'s hash and state on `pipeline`.
 *
 * `wait` and `paused` lists are not searched: LPOS is linear in the list, and a list of a million
 * waiting jobs would stall Redis for every status poll. A job that exists and is in no other
 * state is waiting (BullMQ's state transitions are atomic scripts, so there is no in-between).
 * `active` is searched, being as short as the workers' concurrency.
 *
 * @example
 * ```ts
 * queueJobStateCommands(pipeline, ref);
 * ```
 */
export function queueJobStateCommands(pipeline: StatusPipeline, ref: JobRef): void {
  const base = `${ref.prefix}:${ref.queue}:`;
  pipeline.hgetall(base + ref.jobId);
  for (const state of SORTED_SET_STATES) pipeline.zscore(base + state, ref.jobId);
  pipeline.lpos(`${base}active`, ref.jobId);
  pipeline.llen(`${base}${ref.jobId}:logs`);
  pipeline.lrange(`${base}${ref.jobId}:logs`, -MAX_LOG_LINES, -1);
}

function integer(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) ? parsed : null;
}

function parseJson(raw: string | undefined, fallback: unknown): unknown {
  if (raw === undefined) return fallback;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function stacktraceOf(raw: string | undefined): string[] {
  const parsed = parseJson(raw, []);
  if (!Array.isArray(parsed)) return [];
  return parsed.filter((line): line is string => typeof line === 'string').slice(-MAX_TRACE_LINES).map((line) => clip(line));
}

function logsOf(replies: Array<[Error | null, unknown]>): { count: number; lines: string[] } {
  const count = replies[2 + SORTED_SET_STATES.length]?.[1];
  const lines = replies[3 + SORTED_SET_STATES.length]?.[1];
  return {
    count: typeof count === 'number' ? count : 0,
    lines: Array.isArray(lines) ? lines.filter((line): line is string => typeof line === 'string').map((line) => clip(line, MAX_LOG_LINE_LENGTH)) : [],
  };
}

function attemptsOf(rawOpts: string | undefined): number {
  const attempts = (parseJson(rawOpts, {}) as { attempts?: unknown } | null)?.attempts;
  return typeof attempts === 'number' && attempts >= 1 ? attempts : 1;
}

function stateOf(replies: Array<[Error | null, unknown]>): JobState {
  for (let index = 0; index < SORTED_SET_STATES.length; index += 1) {
    const [, score] = replies[1 + index] ?? [null, null];
    if (score !== null && score !== undefined) return SORTED_SET_STATES[index]!;
  }
  const [, position] = replies[1 + SORTED_SET_STATES.length] ?? [null, null];
  return typeof position === 'number' ? 'active' : 'waiting';
}

/** A `JobStatus` with nothing known but why. */
export function unavailableStatus(ref: JobRef, reason: string, state: JobState = 'unavailable'): JobStatus {
  return {
    ...(ref.seq === undefined ? {} : { seq: ref.seq }),
    queue: ref.queue, jobId: ref.jobId, state, progress: null, attemptsMade: 0, attempts: 1,
    attemptsStarted: null, delayMs: 0, logs: { count: 0, lines: [] }, timestamp: null, processedOn: null, finishedOn: null, waitMs: null, runMs: null,
    returnValue: null, failedReason: null, stacktrace: [], reason,
  };
}

/**
 * Builds `ref`'s status from its `REPLIES_PER_JOB` pipeline replies.
 *
 * @example
 * ```ts
 * const status = decodeJobStatus(ref, replies.slice(i * REPLIES_PER_JOB, (i + 1) * REPLIES_PER_JOB), serialize, Date.now());
 * ```
 */
export function decodeJobStatus(ref: JobRef, replies: Array<[Error | null, unknown]>, serialize: SerializeValue, now: number): JobStatus {
  const failure = replies.find(([error]) => error !== null)?.[0];
  // A ReplyError is Redis's own answer (WRONGTYPE, or LPOS on Redis < 6.0.6): the job's state is
  // unknown. Any other error is ioredis giving up on the connection: Redis is unavailable.
  if (failure) {
    return failure.name === 'ReplyError'
      ? unavailableStatus(ref, `Redis answered with an error: ${failure.message}`, 'unknown')
      : unavailableStatus(ref, `could not read from Redis: ${failure.message}`);
  }
  const hash = (replies[0]?.[1] ?? {}) as Record<string, string>;
  const seq = ref.seq === undefined ? {} : { seq: ref.seq };
  if (Object.keys(hash).length === 0) {
    return { ...unavailableStatus(ref, 'the job no longer exists', 'removed'), ...seq };
  }
  const state = stateOf(replies);
  const timestamp = integer(hash.timestamp);
  const processedOn = integer(hash.processedOn);
  const finishedOn = integer(hash.finishedOn);
  const delay = integer(hash.delay) ?? 0;
  const notStarted = state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children';

  // Waiting starts when the job is due: a delayed job that is not yet due has not waited at all.
  let waitMs: number | null = null;
  if (timestamp !== null && processedOn !== null) waitMs = Math.max(0, processedOn - timestamp - delay);
  else if (timestamp !== null && notStarted && now >= timestamp + delay) waitMs = now - timestamp - delay;

  let runMs: number | null = null;
  if (processedOn !== null && finishedOn !== null) runMs = Math.max(0, finishedOn - processedOn);
  else if (processedOn !== null && state === 'active') runMs = Math.max(0, now - processedOn);

  const status: JobStatus = {
    ...seq,
    queue: ref.queue,
    jobId: ref.jobId,
    state,
    progress: serialize(parseJson(hash.progress, 0)).value,
    attemptsMade: integer(hash.atm ?? hash.attemptsMade) ?? 0,
    attempts: attemptsOf(hash.opts),
    attemptsStarted: integer(hash.ats ?? hash.attemptsStarted),
    delayMs: delay,
    timestamp,
    processedOn,
    finishedOn,
    waitMs,
    runMs,
    returnValue: hash.returnvalue === undefined ? null : serialize(parseJson(hash.returnvalue, null)).value,
    failedReason: hash.failedReason === undefined ? null : clip(hash.failedReason),
    stacktrace: stacktraceOf(hash.stacktrace),
    logs: logsOf(replies),
  };
  if (ref.timestamp !== undefined && timestamp !== null) status.duplicate = timestamp !== ref.timestamp;
  return status;
}
