import { PROTOCOL_VERSION, type RequestStatusResponse, type WsConnectionRecord, type WsListResponse } from '../protocol.js';
import type { JobRef, JobStatusReader } from '../bullmq/job-status.js';
import { withTimeout } from '../core/with-timeout.js';
import type { WsTracker } from '../ws/tracker.js';

/** A refusal of a `ws` route: the debug API turns it into its usual JSON error. */
export class WsRouteError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const STORE_TIMEOUT_MS = 2_000;

/**
 * Answers `GET {prefix}/ws`, `GET {prefix}/ws/{id}?since=<seq>` and
 * `GET {prefix}/ws/{id}/messages/{seq}/status` (the live state of one message's jobs).
 * The guards, method check and error format are the debug API's.
 *
 * @example
 * ```ts
 * if (first === 'ws') return routeWs(tracker, statusReader, segments.slice(1), query);
 * ```
 */
export async function routeWs(tracker: WsTracker | undefined, statusReader: JobStatusReader, segments: string[], query: URLSearchParams): Promise<unknown> {
  const [id, third, seq, fifth, sixth] = segments;
  if (!tracker) throw new WsRouteError(404, 'not_found', 'WebSocket recording is off (ws.instrument: false, or ws is not installed).');
  if (id === undefined) {
    const options = tracker.options;
    const answer: WsListResponse = {
      version: PROTOCOL_VERSION,
      connections: await fromStore(tracker.list(listLimit(query, options.maxConnections))),
      droppedConnections: tracker.droppedConnections,
      limits: {
        maxConnections: options.maxConnections, maxMessages: options.maxMessages, maxTextBytes: options.maxTextBytes,
        maxBinaryPreviewBytes: options.maxBinaryPreviewBytes, closedTtlMs: options.closedTtlMs,
      },
    };
    return answer;
  }
  if (!UUID.test(id)) throw new WsRouteError(400, 'bad_id', 'A connection id is a UUID, as sent in the X-Debug-Id header of the 101 response.');
  const record = await fromStore(tracker.get(id));
  if (!record) throw new WsRouteError(404, 'not_found', `No WebSocket connection ${id}: it was never recorded here, or it expired.`);
  if (third === undefined) return withSince(record, query);
  if (third === 'messages' && seq !== undefined && fifth === 'status' && sixth === undefined) {
    const message = record.messages.find((m) => String(m.seq) === seq);
    if (!message) throw new WsRouteError(404, 'not_found', `No message ${seq.slice(0, 20)} kept on connection ${id}.`);
    const jobs = message.record;
    const refs: JobRef[] = (jobs?.tasks ?? []).filter((task) => task.jobId !== null).map((task) => ({
      queue: task.queue, prefix: task.prefix, jobId: task.jobId!, seq: task.seq,
      ...(task.jobTimestamp !== null ? { timestamp: task.jobTimestamp } : {}),
    }));
    const answer: RequestStatusResponse = {
      version: PROTOCOL_VERSION, jobs: await statusReader.read(refs),
      revision: jobs?.revision ?? 0, taskCount: jobs?.summary.total ?? 0, lateUntil: jobs?.lateUntil ?? null,
    };
    return answer;
  }
  throw new WsRouteError(404, 'not_found', 'No such Taskscope WebSocket endpoint.');
}

function withSince(record: WsConnectionRecord, query: URLSearchParams): WsConnectionRecord {
  const raw = query.get('since');
  if (raw === null) return record;
  const since = Number(raw);
  if (!Number.isInteger(since) || since < 0) throw new WsRouteError(400, 'bad_since', 'since is a message seq: an integer >= 0.');
  return { ...record, since, messages: record.messages.filter((message) => message.seq > since) };
}

function listLimit(query: URLSearchParams, max: number): number {
  const raw = query.get('limit');
  if (raw === null) return max;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new WsRouteError(400, 'bad_limit', 'limit is an integer from 1 to 1000.');
  return limit;
}

async function fromStore<T>(pending: Promise<T>): Promise<T> {
  try {
    return await withTimeout(pending, STORE_TIMEOUT_MS, 'reading the store');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new WsRouteError(503, 'store_unavailable', `Taskscope's store could not be read: ${reason}`.slice(0, 300));
  }
}
