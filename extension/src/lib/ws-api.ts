import type { RequestStatusResponse, WsConnectionRecord, WsListResponse } from 'taskscope/protocol';
import { fetchChecked, type Fetcher, type Result } from './debug-api.js';

/** Where one server's debug API lives, and its token. */
export interface WsEndpoint {
  origin: string;
  prefix: string;
  token: string | null;
}

const isList = (b: unknown): boolean => !!b && typeof b === 'object' && Array.isArray((b as WsListResponse).connections);
const isConnection = (b: unknown): boolean => !!b && typeof b === 'object' && Array.isArray((b as WsConnectionRecord).messages);
const isStatus = (b: unknown): boolean => !!b && typeof b === 'object' && Array.isArray((b as RequestStatusResponse).jobs);

/**
 * `GET {prefix}/ws`: the server's WebSocket connections, newest first.
 *
 * @example
 * ```ts
 * const list = await fetchWsList(fetchJson, { origin: 'http://localhost:3000', prefix: '/__taskscope', token: null });
 * ```
 */
export function fetchWsList(fetcher: Fetcher, at: WsEndpoint): Promise<Result<WsListResponse>> {
  return fetchChecked(fetcher, `${at.origin}${at.prefix}/ws`, at.token, isList);
}

/** `GET {prefix}/ws/{id}?since=<seq>`: one connection, with only the messages after `since` when given. */
export function fetchWsConnection(fetcher: Fetcher, at: WsEndpoint, id: string, since: number | null): Promise<Result<WsConnectionRecord>> {
  const query = since === null ? '' : `?since=${since}`;
  return fetchChecked(fetcher, `${at.origin}${at.prefix}/ws/${encodeURIComponent(id)}${query}`, at.token, isConnection);
}

/** The live state of the jobs one received message enqueued. */
export function fetchWsMessageStatus(fetcher: Fetcher, at: WsEndpoint, id: string, seq: number): Promise<Result<RequestStatusResponse>> {
  return fetchChecked(fetcher, `${at.origin}${at.prefix}/ws/${encodeURIComponent(id)}/messages/${seq}/status`, at.token, isStatus);
}

/**
 * Merges an answer into the copy the panel holds: a `since` answer brings only newer
 * messages (and fresh copies of those it re-sent); the merged list keeps the newest `max`.
 *
 * @example
 * ```ts
 * connection = mergeConnection(connection, update, 100);
 * ```
 */
export function mergeConnection(current: WsConnectionRecord | null, update: WsConnectionRecord, max: number): WsConnectionRecord {
  if (!current || current.id !== update.id || update.since === null) return update;
  const bySeq = new Map(current.messages.map((m) => [m.seq, m]));
  for (const message of update.messages) bySeq.set(message.seq, message);
  const messages = [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-max);
  return { ...update, messages, since: null };
}

/** Messages asked for again at most per update, newest first: the cost of a chatty socket stays bounded. */
const MAX_REFETCHED = 50;
/** How long a received message without jobs may still get its first (late) one, as far as the panel waits for it. */
const FIRST_JOB_WINDOW_MS = 2_000;

/**
 * The `since` of the next update of a live connection: the last seq known, or before the oldest
 * received message that may still change — its late jobs and their results come while its
 * record's late window is open (`lateUntil` in the future, or `null` while its turn runs), so a
 * listed message's job count is never left as it first was.
 *
 * @example
 * ```ts
 * await fetchWsConnection(fetcher, at, id, refetchSince(connection, Date.now()));
 * ```
 */
export function refetchSince(connection: WsConnectionRecord, now: number): number {
  const floor = Math.max(0, connection.lastSeq - MAX_REFETCHED);
  let since = connection.lastSeq;
  for (const message of connection.messages) {
    if (message.seq <= floor || message.direction !== 'in') continue;
    const record = message.record;
    const open = record ? record.lateUntil === null || record.lateUntil > now : now - message.at < FIRST_JOB_WINDOW_MS;
    if (open) since = Math.min(since, message.seq - 1);
  }
  return since;
}
