import type { Context, Middleware, Next } from 'koa';
import { createTaskscope, type Taskscope, type TrackingHeaders } from '../core/create-taskscope.js';
import type { TaskscopeOptions } from '../core/options.js';
import { DEBUG_ID_HEADER, DEBUG_URL_HEADER, SERVER_TIMING_HEADER } from '../protocol.js';

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
  const middleware = async (ctx: Context, next: Next): Promise<void> => {
    if (!core.enabled) return next();
    if (core.api?.owns(ctx.path)) return serveApi(core, ctx);
    const tracked = core.track(ctx.method, ctx.originalUrl);
    if (!tracked) return next();
    try {
      await tracked.run(next);
    } catch (error) {
      keepHeadersThroughOnerror(ctx, await tracked.finish(errorStatus(error)));
      throw error;
    }
    setHeaders(ctx, await tracked.finish(ctx.status), true);
  };
  return Object.assign(middleware, { taskscope: core, close: () => core.close() });
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
  ctx.set(answer.headers);
  ctx.body = answer.body;
}

function setHeaders(ctx: Context, headers: TrackingHeaders, appendTiming: boolean): void {
  ctx.set(DEBUG_ID_HEADER, headers[DEBUG_ID_HEADER]);
  ctx.set(DEBUG_URL_HEADER, headers[DEBUG_URL_HEADER]);
  const existing = appendTiming ? ctx.response.get(SERVER_TIMING_HEADER) : '';
  const appTiming = Array.isArray(existing) ? existing.join(', ') : String(existing ?? '');
  ctx.set(SERVER_TIMING_HEADER, appTiming ? `${appTiming}, ${headers.serverTiming}` : headers.serverTiming);
}

const OUR_HEADERS = new Set([DEBUG_ID_HEADER, DEBUG_URL_HEADER, SERVER_TIMING_HEADER].map((h) => h.toLowerCase()));

/**
 * Koa's `ctx.onerror` removes every header before writing the error response. Failed requests
 * are the ones most worth debugging, so for this one response our headers are spared, without
 * touching the app's error object.
 */
function keepHeadersThroughOnerror(ctx: Context, headers: TrackingHeaders): void {
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
    }
  };
}

function errorStatus(error: unknown): number {
  const candidate = (error as { status?: unknown; statusCode?: unknown } | null)?.status
    ?? (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof candidate === 'number' && candidate >= 400 && candidate < 600) return candidate;
  if ((error as { code?: unknown } | null)?.code === 'ENOENT') return 404;
  return 500;
}
