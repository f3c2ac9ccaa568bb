import { DEFAULT_PREFIX, headerValue, type HarEntryLike } from './headers.js';

/** The inspected page's own WebSocket, as DevTools' network log shows it. */
export interface PageSocket {
  /** The `X-Debug-Id` of its 101 response: the server's connection id. */
  id: string;
  /** The http(s) origin of its server, where the debug API answers. */
  origin: string;
  prefix: string;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;

/**
 * Picks a WebSocket handshake of the inspected page that Taskscope recorded (a `ws:`/`wss:`
 * request whose 101 carries `X-Debug-Id`), else `null`.
 *
 * @example
 * ```ts
 * pageSocketFromHar({ request: { method: 'GET', url: 'ws://localhost:3000/live' }, response: { status: 101, headers } });
 * // { id: '…', origin: 'http://localhost:3000', prefix: '/__taskscope' }
 * ```
 */
export function pageSocketFromHar(entry: HarEntryLike): PageSocket | null {
  let url: URL;
  try {
    url = new URL(entry.request.url);
  } catch {
    return null;
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return null;
  const headers = entry.response?.headers ?? [];
  const id = (headerValue(headers, 'x-debug-id') ?? '').split(',')[0]!.trim();
  if (!ID_PATTERN.test(id)) return null;
  const origin = `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
  return { id, origin, prefix: prefixOf(headerValue(headers, 'x-debug-url'), id) };
}

/** `/__taskscope/ws/<id>` gives `/__taskscope`; anything else the default prefix. */
function prefixOf(debugUrl: string | null, id: string): string {
  const suffix = `/ws/${id}`;
  const path = debugUrl?.trim() ?? '';
  if (path.startsWith('/') && !path.startsWith('//') && path.endsWith(suffix) && path.length > suffix.length) {
    return path.slice(0, -suffix.length);
  }
  return DEFAULT_PREFIX;
}
