import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { TOKEN_HEADER } from '../protocol.js';
import type { ResolvedOptions } from '../core/options.js';

/** The parts of an HTTP request the debug API's checks look at. */
export interface GuardedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  /** The TCP peer's address (not a forwarded header: those are the client's to forge). */
  remoteAddress: string | undefined;
}

/** Why a request was refused: HTTP status, stable code, plain message. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

const EXTENSION_ORIGIN = /^(chrome|moz|safari-web)-extension:\/\//;

/**
 * Checks a debug-API request against the secure defaults: loopback clients only, a Host from
 * the allow-list (DNS rebinding), no browser requests from other web origins, and the token
 * when one is set. Returns the first refusal, or `undefined` when the request may proceed.
 *
 * @example
 * ```ts
 * const refusal = checkApiRequest(options, { method: 'GET', headers, remoteAddress: '127.0.0.1' });
 * if (refusal) return json(refusal.status, { error: refusal });
 * ```
 */
export function checkApiRequest(options: ResolvedOptions, request: GuardedRequest): Refusal | undefined {
  if (!options.allowRemote && !isLoopback(request.remoteAddress)) {
    return { status: 403, code: 'forbidden_remote', message: 'The Taskscope debug API answers loopback clients only (set allowRemote to change this).' };
  }
  const host = hostName(header(request.headers, 'host'));
  if (!host || !hostAllowed(host, options.allowedHosts)) {
    return { status: 403, code: 'forbidden_host', message: `Host "${(header(request.headers, 'host') ?? '').slice(0, 100)}" is not in allowedHosts.` };
  }
  const origin = header(request.headers, 'origin');
  // `Origin: null` (a sandboxed iframe, a data: URL) is any website at all: refused like the rest.
  if (origin !== undefined && !EXTENSION_ORIGIN.test(origin) && !sameHost(origin, header(request.headers, 'host'))) {
    return { status: 403, code: 'forbidden_origin', message: 'Requests from other web origins are refused.' };
  }
  if (options.token !== undefined) {
    const given = header(request.headers, TOKEN_HEADER.toLowerCase());
    if (!given) return { status: 401, code: 'token_required', message: `This server requires a token in the ${TOKEN_HEADER} header.` };
    if (!sameSecret(given, options.token)) return { status: 403, code: 'bad_token', message: 'The token is not valid.' };
  }
  return undefined;
}

function header(headers: GuardedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(plain) === 4) return plain.startsWith('127.');
  return plain === '::1';
}

/** The host of a Host header, lower-cased, without port; `[::1]` keeps its brackets. */
function hostName(value: string | undefined): string | undefined {
  if (!value || value.length > 255) return undefined;
  const host = value.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(0, end + 1) : undefined;
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function hostAllowed(host: string, allowed: readonly string[]): boolean {
  return allowed.some((rule) => rule === '*' || rule === host
    || (rule.startsWith('*.') && host.endsWith(rule.slice(1)) && host.length > rule.length - 1));
}

function sameHost(origin: string, hostHeader: string | undefined): boolean {
  try {
    return hostHeader !== undefined && new URL(origin).host === hostHeader.toLowerCase();
  } catch {
    return false;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
