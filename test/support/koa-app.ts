import Koa from 'koa';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { taskscope, type TaskscopeMiddleware } from 'taskscope/koa';
import type { TaskscopeOptions } from 'taskscope';

/** A real Koa app with `taskscope()` first, listening on a free loopback port. */
export interface TestApp {
  app: Koa;
  middleware: TaskscopeMiddleware;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a Koa app on port 0 with `app.use(taskscope(options))` followed by `handlers`.
 *
 * @example
 * ```ts
 * const app = await startTestApp({}, async (ctx) => { await queue.add('a', {}); ctx.body = 'ok'; });
 * const res = await fetch(`${app.url}/`);
 * ```
 */
export async function startTestApp(options: TaskscopeOptions, ...handlers: Koa.Middleware[]): Promise<TestApp> {
  const app = new Koa();
  app.silent = true;
  const middleware = taskscope(options);
  app.use(middleware);
  for (const handler of handlers) app.use(handler);
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    app,
    middleware,
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      server.close();
      await middleware.close();
    },
  };
}

/** GETs a debug-API path (or any path) and parses the JSON answer. */
export async function getJson<T = any>(url: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}
