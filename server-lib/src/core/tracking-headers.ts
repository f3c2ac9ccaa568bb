import {
  DEBUG_ID_HEADER, DEBUG_URL_HEADER, SERVER_TIMING_ID_ENTRY, SERVER_TIMING_TASKS_ENTRY, type RequestRecord,
} from '../protocol.js';

/** Response headers of a tracked request; `serverTiming` is to be appended to the app's own. */
export interface TrackingHeaders {
  [DEBUG_ID_HEADER]: string;
  [DEBUG_URL_HEADER]: string;
  serverTiming: string;
}

/**
 * The headers that lead the panel to a record: its id, its URL under `prefix`, and the
 * Server-Timing entries `tasks` (total enqueue time, count) and `taskscope` (the id).
 *
 * @example
 * ```ts
 * trackingHeaders('/__taskscope', record).serverTiming;
 * // 'tasks;dur=0.7;desc="1 task", taskscope;desc="0b7c…"'
 * ```
 */
export function trackingHeaders(prefix: string, record: RequestRecord): TrackingHeaders {
  const { total, enqueueMs } = record.summary;
  return {
    [DEBUG_ID_HEADER]: record.id,
    [DEBUG_URL_HEADER]: `${prefix}/requests/${record.id}`,
    serverTiming: `${SERVER_TIMING_TASKS_ENTRY};dur=${enqueueMs};desc="${total} ${total === 1 ? 'task' : 'tasks'}", `
      + `${SERVER_TIMING_ID_ENTRY};desc="${record.id}"`,
  };
}
