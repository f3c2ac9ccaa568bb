import type { RequestRecord } from 'taskscope/protocol';
import { parseServerTiming } from './server-timing.js';

// Mirrors of the protocol's header constants. The extension imports only types from
// server-lib, so the values are repeated here; test/extension checks they match.
export const DEBUG_ID_HEADER = 'x-debug-id';
export const DEBUG_URL_HEADER = 'x-debug-url';
export const SERVER_TIMING_HEADER = 'server-timing';
export const SERVER_TIMING_ID_ENTRY = 'taskscope';
export const SERVER_TIMING_TASKS_ENTRY = 'tasks';
export const DEFAULT_PREFIX = '/__taskscope';
/** The protocol version this panel understands; typed so a protocol bump is a compile error here. */
export const SUPPORTED_VERSION: RequestRecord['version'] = 1;

/** The part of a HAR entry the panel reads. */
export interface HarEntryLike {
  startedDateTime?: string;
  time?: number;
  request: { method: string; url: string };
  response: { status: number; headers: Array<{ name: string; value: string }> };
}

/** A response that carried Taskscope headers: enough to list it before its record is fetched. */
export interface TrackedResponse {
  id: string;
  /** Origin of the request, e.g. `http://localhost:3000`; records are fetched from it. */
  origin: string;
  /** Absolute URL of the record. */
  recordUrl: string;
  /** Absolute URL of the record's live job status. */
  statusUrl: string;
  method: string;
  /** Path and query of the request. */
  path: string;
  status: number;
  /** Epoch ms the request started (from HAR), or when the panel saw it. */
  startedAt: number;
  durationMs: number | null;
  /** From `Server-Timing: tasks;desc="<n> tasks"`, when present. */
  taskCount: number | null;
  /** From `Server-Timing: tasks;dur=<ms>`, when present. */
  enqueueMs: number | null;
}

// Ids are random tokens (a UUID v4 in practice). Anything else is not ours, and is never
// put into a URL path.
const ID_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;

/** Reads a header case-insensitively; repeated headers are joined with `, ` as HTTP allows. */
export function headerValue(headers: Array<{ name: string; value: string }>, name: string): string | null {
  const values = headers.filter((h) => h.name.toLowerCase() === name).map((h) => h.value);
  return values.length ? values.join(', ') : null;
}

/**
 * Builds the record URL: `X-Debug-Url` when it points into the request's own origin,
 * otherwise `{origin}/__taskscope/requests/{id}`. A header pointing at another origin is
 * ignored so a page cannot make the panel send a token elsewhere.
 */
export function recordUrlFor(origin: string, id: string, debugUrl: string | null): string {
  if (debugUrl) {
    try {
      const resolved = new URL(debugUrl.trim(), origin + '/');
      if (resolved.origin === origin && (resolved.protocol === 'http:' || resolved.protocol === 'https:')) {
        resolved.hash = '';
        return resolved.href.replace(/\/+$/, '');
      }
    } catch {
      // fall through to the default prefix
    }
  }
  return `${origin}${DEFAULT_PREFIX}/requests/${encodeURIComponent(id)}`;
}

/**
 * Picks the Taskscope data out of a finished request, or `null` when the response carries
 * neither `X-Debug-Id` nor a `taskscope` Server-Timing entry.
 */
export function trackedFromHar(entry: HarEntryLike, now: number = Date.now()): TrackedResponse | null {
  const headers = entry.response?.headers ?? [];
  const timing = parseServerTiming(headerValue(headers, SERVER_TIMING_HEADER) ?? '');
  const idEntry = timing.find((t) => t.name.toLowerCase() === SERVER_TIMING_ID_ENTRY);
  const tasksEntry = timing.find((t) => t.name.toLowerCase() === SERVER_TIMING_TASKS_ENTRY);
  const id = (headerValue(headers, DEBUG_ID_HEADER)?.split(',')[0] ?? idEntry?.desc ?? '').trim();
  if (!ID_PATTERN.test(id)) return null;

  let url: URL;
  try {
    url = new URL(entry.request.url);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const recordUrl = recordUrlFor(url.origin, id, headerValue(headers, DEBUG_URL_HEADER));
  const started = entry.startedDateTime ? Date.parse(entry.startedDateTime) : NaN;
  const countMatch = /(\d+)/.exec(tasksEntry?.desc ?? '');
  return {
    id,
    origin: url.origin,
    recordUrl,
    statusUrl: `${recordUrl}/status`,
    method: entry.request.method,
    path: url.pathname + url.search,
    status: entry.response.status,
    startedAt: Number.isFinite(started) ? started : now,
    durationMs: typeof entry.time === 'number' && entry.time >= 0 ? entry.time : null,
    taskCount: countMatch ? Number(countMatch[1]) : null,
    enqueueMs: tasksEntry?.dur ?? null,
  };
}
