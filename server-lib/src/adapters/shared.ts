import type { IncomingHttpHeaders } from 'node:http';
import type { ApiRequest } from '../api/debug-api.js';
import type { TrackingHeaders } from '../core/create-taskscope.js';
import { DEBUG_ID_HEADER, DEBUG_URL_HEADER, SERVER_TIMING_HEADER } from '../protocol.js';

/** What every adapter needs to write the three headers, whatever its response object. */
export interface HeaderTarget {
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): unknown;
}

/**
 * Sets `X-Debug-Id` and `X-Debug-Url`, and appends our `Server-Timing` entries to the app's own
 * (several metrics in one header are comma-separated, per the Server-Timing spec). Node's
 * `ServerResponse` is a target as it is: no object or closure made per response.
 *
 * @example
 * ```ts
 * setTrackingHeaders(res, headers);
 * ```
 */
export function setTrackingHeaders(target: HeaderTarget, headers: TrackingHeaders): void {
  target.setHeader(DEBUG_ID_HEADER, headers[DEBUG_ID_HEADER]);
  target.setHeader(DEBUG_URL_HEADER, headers[DEBUG_URL_HEADER]);
  const existing = target.getHeader(SERVER_TIMING_HEADER);
  const appTiming = Array.isArray(existing) ? existing.join(', ') : existing === undefined || existing === null ? '' : String(existing);
  target.setHeader(SERVER_TIMING_HEADER, appTiming ? `${appTiming}, ${headers.serverTiming}` : headers.serverTiming);
}

/** `/a/b` of `/a/b?c=d`, still percent-encoded, as the debug API expects it. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** A debug-API request from the parts every framework has. */
export function apiRequest(method: string, url: string, headers: IncomingHttpHeaders, remoteAddress: string | undefined): ApiRequest {
  const query = url.indexOf('?');
  return {
    method,
    path: pathOf(url),
    query: new URLSearchParams(query === -1 ? '' : url.slice(query + 1)),
    headers,
    remoteAddress,
  };
}

/**
 * CORS headers an app's middleware may have set before Taskscope answered. The debug API never
 * wants them (the panel needs none, and the app's own page is same-origin), and an
 * Origin-reflecting CORS middleware in front must not open it to other websites: they go.
 */
export const CORS_HEADERS: readonly string[] = [
  'access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers',
  'access-control-allow-headers', 'access-control-allow-methods', 'access-control-allow-private-network',
];
