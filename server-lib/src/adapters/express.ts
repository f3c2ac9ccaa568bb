import type { IncomingMessage, ServerResponse } from 'node:http';
import { createTaskscope, type Taskscope } from '../core/create-taskscope.js';
import type { TaskscopeOptions } from '../core/options.js';
import { finishAtHead } from './finish-at-head.js';
import { holdResponseUntilFinished } from './hold-response.js';
import { apiRequest, CORS_HEADERS, pathOf } from './shared.js';

/** The request as Express (4 or 5) hands it over; only Node's own fields are needed. */
type ExpressRequest = IncomingMessage & { originalUrl?: string };
type NextFunction = (error?: unknown) => void;

/** The Express middleware, with a handle on the core and a way to release its resources. */
export interface TaskscopeMiddleware {
  (req: ExpressRequest, res: ServerResponse, next: NextFunction): void;
  readonly taskscope: Taskscope;
  close(): Promise<void>;
}

/**
 * Taskscope for Express 4 and 5 (and NestJS on its Express platform): records the BullMQ jobs
 * each request enqueues, sends `X-Debug-Id`, `X-Debug-Url` and `Server-Timing` on every response
 * (error pages of Express's error handler included), and serves the debug API under `prefix`.
 * Use it first, so it sees every request.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { taskscope } from 'taskscope/express';
 *
 * const app = express();
 * app.use(taskscope());
 * ```
 */
export function taskscope(options?: TaskscopeOptions): TaskscopeMiddleware {
  const core = createTaskscope(options);
  const middleware = (req: ExpressRequest, res: ServerResponse, next: NextFunction): void => {
    if (!core.enabled) return next();
    const url = req.originalUrl ?? req.url ?? '/';
    if (core.api?.owns(pathOf(url))) return serveApi(core, req, res, url, next);
    const tracked = core.track(req.method ?? 'GET', url);
    if (!tracked) return next();
    // A store that saves at once (the MemoryStore) needs nothing held: the head takes the headers.
    if (tracked.endsAtOnce) finishAtHead(res, tracked);
    else holdResponseUntilFinished(res, tracked);
    // Body parsers call `next` from the request's stream events, which Node ≥ 20.19 emits in
    // this scope even for a body arriving after the head (tested).
    tracked.run(next);
  };
  return Object.assign(middleware, { taskscope: core, close: () => core.close() });
}

function serveApi(core: Taskscope, req: ExpressRequest, res: ServerResponse, url: string, next: NextFunction): void {
  core.api!.handle(apiRequest(req.method ?? 'GET', url, req.headers, req.socket.remoteAddress)).then((answer) => {
    res.statusCode = answer.status;
    for (const name of CORS_HEADERS) res.removeHeader(name);
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    res.end(answer.body);
  }, next);
}
