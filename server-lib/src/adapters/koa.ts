import type { Context, Middleware, Next } from 'koa';
import { STATUS_CODES } from 'node:http';
import { createTaskscope, type Taskscope, type TrackedRequest, type TrackingHeaders } from '../core/create-taskscope.js';
import type { TaskscopeOptions } from '../core/options.js';
import { DEBUG_ID_HEADER, DEBUG_URL_HEADER, SERVER_TIMING_HEADER } from '../protocol.js';
import { CORS_HEADERS } from './shared.js';

/** The Koa middleware, with a handle on the core and a way to release its resources. */
export interface TaskscopeMiddleware extends Middleware {
  readonly taskscope: Taskscope;
  close(): Promise<void>;
}

/**
 * Taskscope for Koa: records the BullMQ jobs each request enqueues, sends `X-Debug-Id`,
 * `X-Debug-Url` and `Server-Timing`, and serves the debug API under `prefix`.
 * Use it first, so it sees every request and every error.
 *
 * @example
 * ```ts
 * import Koa from 'koa';
 * import { taskscope } from 'taskscope/koa';
 *
 * const app = new Koa();
 * app.use(taskscope());
 * ```
 */
export function taskscope(options?: TaskscopeOptions): TaskscopeMiddleware {
  const core = createTaskscope(options);
  // Not an async function: on Node 20 every promise runs AsyncLocalStorage's hooks, and one
  // `then` on the app's chain is one promise less per request than `async`/`await`.
  const middleware = (ctx: Context, next: Next): Promise<void> => {
    if (!core.enabled) return next();
    if (core.api?.owns(ctx.path)) return serveApi(core, ctx);
    const tracked = core.track(ctx.method, ctx.originalUrl);
    if (!tracked) return next();
    let done: Promise<void>;
    try {
      done = tracked.run(next);
    } catch (error) {
      done = Promise.reject(error);
    }
    return done.then(() => answered(ctx, tracked), (error: unknown) => failed(ctx, tracked, error));
  };
  return Object.assign(middleware, { taskscope: core, close: () => core.close() });
}

function answered(ctx: Context, tracked: TrackedRequest): void | Promise<void> {
  const headers = tracked.end(ctx.status);
  if (!(headers instanceof Promise)) return setHeaders(ctx, headers, true);
  return headers.then((stored) => setHeaders(ctx, stored, true));
}

async function failed(ctx: Context, tracked: TrackedRequest, error: unknown): Promise<never> {
  keepHeadersThroughOnerror(ctx, await tracked.end(onerrorStatus(ctx, error)), tracked);
  throw error;
}

async function serveApi(core: Taskscope, ctx: Context): Promise<void> {
  const answer = await core.api!.handle({
    method: ctx.method,
    path: ctx.path,
    query: new URLSearchParams(ctx.querystring),
    headers: ctx.headers,
    remoteAddress: ctx.req.socket.remoteAddress,
  });
  ctx.status = answer.status;
  for (const name of CORS_HEADERS) ctx.remove(name);
  ctx.set(answer.headers);
  ctx.body = answer.body;
}

// Node's own setHeader: what ctx.set ends in, without its argument juggling (it runs per request).
function setHeaders(ctx: Context, headers: TrackingHeaders, appendTiming: boolean): void {
  const res = ctx.res;
  if (res.headersSent) return;
  res.setHeader(DEBUG_ID_HEADER, headers[DEBUG_ID_HEADER]);
  res.setHeader(DEBUG_URL_HEADER, headers[DEBUG_URL_HEADER]);
  const existing = appendTiming ? res.getHeader(SERVER_TIMING_HEADER) : undefined;
  const appTiming = Array.isArray(existing) ? existing.join(', ') : existing === undefined ? '' : String(existing);
  res.setHeader(SERVER_TIMING_HEADER, appTiming ? `${appTiming}, ${headers.serverTiming}` : headers.serverTiming);
}

const OUR_HEADERS = new Set([DEBUG_ID_HEADER, DEBUG_URL_HEADER, SERVER_TIMING_HEADER].map((h) => h.toLowerCase()));

/**
 * Koa's `ctx.onerror` removes every header before writing the error response. Failed requests
 * are the ones most worth debugging, so for this one response our headers are spared, without
 * touching the app's error object. Once it has answered, the record takes the status it sent,
 * should this Koa decide otherwise than {@link onerrorStatus} (Koa 2 answers ENOENT with 404).
 */
function keepHeadersThroughOnerror(ctx: Context, headers: TrackingHeaders, tracked: TrackedRequest): void {
  setHeaders(ctx, headers, false);
  const onerror = ctx.onerror;
  ctx.onerror = function (this: Context, error: Error) {
    const res = this.res;
    const removeHeader = res.removeHeader;
    res.removeHeader = (name: string) => {
      if (!OUR_HEADERS.has(name.toLowerCase())) removeHeader.call(res, name);
    };
    try {
      return onerror.call(this, error);
    } finally {
      delete (res as { removeHeader?: unknown }).removeHeader;
      if (res.removeHeader !== removeHeader) res.removeHeader = removeHeader;
      tracked.setStatus(res.statusCode);
    }
  };
}

/**
 * The status Koa 3's `ctx.onerror` will send for `error`: its `status` (or `statusCode`) when
 * that is a known HTTP status, else 500; a non-Error thrown becomes a plain 500; when the head
 * is already out, the status already sent (issue 9, item 8: a 302 was recorded as 500, a 499
 * as 499 and ENOENT as 404 while Koa sent 302, 500 and 500).
 */
function onerrorStatus(ctx: Context, error: unknown): number {
  if (ctx.headerSent || !ctx.writable) return ctx.res.statusCode;
  const isError = error instanceof Error || Object.prototype.toString.call(error) === '[object Error]';
  if (!isError) return 500;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const candidate = status || statusCode;
  return typeof candidate === 'number' && STATUS_CODES[candidate] ? candidate : 500;
}
