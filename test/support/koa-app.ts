import Koa from 'koa';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { taskscope, type TaskscopeMiddleware } from 'taskscope/koa';
import type { Taskscope, TaskscopeOptions } from 'taskscope';
import type { AdapterApp, AdapterUnderTest } from './adapter-app.js';

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

/**
 * Koa under the shared adapter suite: `taskscope()` first (unless bare), a small JSON body
 * reader, then the route.
 *
 * @example
 * ```ts
 * const app = await koa.start({}, () => ({ body: 'ok' }));
 * ```
 */
export const koa: AdapterUnderTest = {
  name: 'koa',
  async start(options, route) {
    const app = new Koa();
    app.silent = true;
    const middleware = options === 'bare' ? undefined : taskscope(options);
    if (middleware) app.use(middleware);
    app.use(async (ctx) => {
      let body: unknown;
      if (ctx.is('application/json')) {
        let text = '';
        for await (const chunk of ctx.req) text += chunk;
        body = JSON.parse(text);
      }
      const reply = await route({ method: ctx.method, path: ctx.path, query: new URLSearchParams(ctx.querystring), body });
      if (!reply) return;
      if (reply.status !== undefined) ctx.status = reply.status;
      if (reply.headers) ctx.set(reply.headers);
      if (reply.body !== undefined) ctx.body = reply.body;
    });
    return listen(app.callback(), middleware?.taskscope, () => middleware?.close());
  },
};

/** Serves `handler` on a free loopback port; `close` ends every connection, then `release`. */
export async function listen(handler: Parameters<typeof createServer>[1], core: Taskscope | undefined, release: () => Promise<unknown> | undefined): Promise<AdapterApp> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    core,
    async close() {
      server.closeAllConnections();
      server.close();
      await release();
    },
  };
}
