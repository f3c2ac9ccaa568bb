import type { ApiIndexResponse, ErrorResponse, JobStatus, RequestListResponse, RequestRecord, RequestStatusResponse } from 'taskscope/protocol';
import { SUPPORTED_VERSION } from './headers.js';

/** What a fetch of the debug API answered: a status and the parsed JSON body (or `null`). */
export interface FetchAnswer {
  status: number;
  body: unknown;
}

/**
 * Fetches JSON from the debug API. Rejects only when the server could not be reached.
 * Implemented in browser.ts; tests pass a fake.
 */
export type Fetcher = (url: string, token: string | null) => Promise<FetchAnswer>;

/** Why something could not be shown, in terms the panel explains to the user. */
export type Problem =
  | { kind: 'unreachable'; origin: string; detail: string }
  | { kind: 'expired'; origin: string }
  | { kind: 'token'; origin: string; status: number; message: string }
  | { kind: 'version'; origin: string; got: unknown }
  | { kind: 'server'; origin: string; status: number; code: string; message: string };

export type Result<T> = { ok: true; value: T } | { ok: false; problem: Problem };

/** Backoff steps (ms) for a record that 404s right after its response: ~3 s in all. */
export const RECORD_RETRY_DELAYS = [100, 250, 500, 1000, 1500] as const;

/** How long after a response a 404 is still worth retrying: the record may not be written yet. */
export const FRESH_RESPONSE_MS = 10_000;

function errorOf(body: unknown): { code: string; message: string } {
  const error = (body as Partial<ErrorResponse> | null)?.error;
  return {
    code: typeof error?.code === 'string' ? error.code : 'unknown',
    message: typeof error?.message === 'string' ? error.message : '',
  };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** Turns an answer into a value or a problem; `isValue` guards the body's shape. */
export function classifyAnswer<T>(url: string, answer: FetchAnswer, isValue: (body: unknown) => boolean): Result<T> {
  const origin = originOf(url);
  const { status, body } = answer;
  const version = (body as { version?: unknown } | null)?.version;
  if (status === 401 || status === 403) {
    return { ok: false, problem: { kind: 'token', origin, status, message: errorOf(body).message } };
  }
  if (status === 404) {
    // A 404 from something that is not the debug API (no JSON error) means the prefix is not mounted.
    const { code, message } = errorOf(body);
    if (body && typeof body === 'object' && 'error' in body) return { ok: false, problem: { kind: 'expired', origin } };
    return { ok: false, problem: { kind: 'server', origin, status, code, message: message || 'Not found' } };
  }
  if (body && typeof body === 'object' && version !== undefined && version !== SUPPORTED_VERSION) {
    return { ok: false, problem: { kind: 'version', origin, got: version } };
  }
  if (status >= 200 && status < 300 && isValue(body)) return { ok: true, value: body as T };
  const { code, message } = errorOf(body);
  return {
    ok: false,
    problem: { kind: 'server', origin, status, code, message: message || `Unexpected answer (HTTP ${status})` },
  };
}

/**
 * GETs `url` and classifies the answer: the body when `isValue` recognises it, else the problem
 * in plain words (unreachable, expired, token needed, server error). Every route's fetch is one.
 *
 * @example
 * ```ts
 * const result = await fetchChecked<WsListResponse>(fetchJson, `${origin}/__taskscope/ws`, null, isList);
 * ```
 */
export async function fetchChecked<T>(fetcher: Fetcher, url: string, token: string | null, isValue: (b: unknown) => boolean): Promise<Result<T>> {
  let answer: FetchAnswer;
  try {
    answer = await fetcher(url, token);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, problem: { kind: 'unreachable', origin: originOf(url), detail } };
  }
  return classifyAnswer<T>(url, answer, isValue);
}

const isRecord = (b: unknown): boolean =>
  !!b && typeof b === 'object' && Array.isArray((b as RequestRecord).tasks) && typeof (b as RequestRecord).request === 'object';
const isStatus = (b: unknown): boolean => !!b && typeof b === 'object' && Array.isArray((b as RequestStatusResponse).jobs);
const isList = (b: unknown): boolean => !!b && typeof b === 'object' && Array.isArray((b as RequestListResponse).requests);

export interface RecordFetchOptions {
  /** When the response arrived (epoch ms); a 404 is retried only shortly after it. */
  respondedAt: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  delays?: readonly number[];
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Fetches a request's record. A 404 right after the response is retried with backoff, since a
 * record written by another process (or a late job) may land a moment after the headers.
 */
export async function fetchRecord(
  fetcher: Fetcher,
  url: string,
  token: string | null,
  options: RecordFetchOptions,
): Promise<Result<RequestRecord>> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const delays = options.delays ?? RECORD_RETRY_DELAYS;
  let result = await fetchChecked<RequestRecord>(fetcher, url, token, isRecord);
  for (const delay of delays) {
    if (result.ok || result.problem.kind !== 'expired') break;
    if (now() - options.respondedAt > FRESH_RESPONSE_MS) break;
    await sleep(delay);
    result = await fetchChecked<RequestRecord>(fetcher, url, token, isRecord);
  }
  return result;
}

/** Fetches the live status of every job of a request: one call, one Redis round trip server-side. */
export function fetchStatus(fetcher: Fetcher, url: string, token: string | null): Promise<Result<RequestStatusResponse>> {
  return fetchChecked<RequestStatusResponse>(fetcher, url, token, isStatus);
}

/** Fetches the server's most recent requests, newest first. */
export function fetchRecent(fetcher: Fetcher, origin: string, prefix: string, token: string | null): Promise<Result<RequestListResponse>> {
  return fetchChecked<RequestListResponse>(fetcher, `${origin}${prefix}/requests`, token, isList);
}

const isIndex = (b: unknown): boolean => !!b && typeof b === 'object' && (b as ApiIndexResponse).name === 'taskscope';

/** Fetches `GET {prefix}`: what the server is, and its root directory when this machine is its host. */
export function fetchIndex(fetcher: Fetcher, origin: string, prefix: string, token: string | null): Promise<Result<ApiIndexResponse>> {
  return fetchChecked<ApiIndexResponse>(fetcher, `${origin}${prefix}`, token, isIndex);
}

/** True while late (fire-and-forget) tasks may still be added to the record. */
export function lateWindowOpen(record: RequestRecord, now: number): boolean {
  return record.lateUntil === null ? record.request.status === null || record.request.durationMs === null : now < record.lateUntil;
}

/** States after which a job will not change by itself. */
const FINISHED = new Set<JobStatus['state']>(['completed', 'failed', 'removed']);

/** True when a job's state is final, so polling it further is pointless. */
export function isFinished(status: JobStatus | undefined): boolean {
  return !!status && FINISHED.has(status.state);
}

/**
 * True when every task that created a job has a final status. Tasks whose enqueue failed
 * (`jobId: null`) have no job and count as finished.
 */
export function allFinished(record: RequestRecord, statuses: ReadonlyMap<number, JobStatus>): boolean {
  return record.tasks.every((task) => task.jobId === null || isFinished(statuses.get(task.seq)));
}

/**
 * Matches the status answer to the record's tasks by `seq`, falling back to queue and job id
 * for servers that leave `seq` out.
 */
export function indexStatuses(record: RequestRecord, jobs: JobStatus[]): Map<number, JobStatus> {
  const bySeq = new Map<number, JobStatus>();
  const byJob = new Map<string, JobStatus>();
  for (const job of jobs) {
    if (typeof job.seq === 'number') bySeq.set(job.seq, job);
    byJob.set(`${job.queue}\u0000${job.jobId}`, job);
  }
  const out = new Map<number, JobStatus>();
  for (const task of record.tasks) {
    const status = bySeq.get(task.seq) ?? (task.jobId !== null ? byJob.get(`${task.queue}\u0000${task.jobId}`) : undefined);
    if (status) out.set(task.seq, status);
  }
  return out;
}

/**
 * A job state the server could not read this time only: Redis was still busy with another status
 * read on the same connection (the server never queues reads behind one another).
 */
export function isBusyRead(status: JobStatus | undefined): boolean {
  return status?.state === 'unavailable' && /previous status read/.test(status.reason ?? '');
}

/**
 * The new statuses, each job's previous one kept where the new one is only a busy read
 * ({@link isBusyRead}): two reads that met on the server do not make live jobs flicker to
 * "unavailable". A Redis that is down still shows, with its reason.
 */
export function keepKnownStatuses<K>(previous: ReadonlyMap<K, JobStatus>, next: Map<K, JobStatus>): Map<K, JobStatus> {
  for (const [key, status] of next) {
    const before = previous.get(key);
    if (isBusyRead(status) && before && before.state !== 'unavailable') next.set(key, before);
  }
  return next;
}
