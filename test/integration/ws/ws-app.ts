import Koa from 'koa';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer, type ServerOptions } from 'ws';
import { taskscope, type TaskscopeMiddleware } from 'taskscope/koa';
import type { TaskscopeOptions } from 'taskscope';

/** A Koa app with `taskscope()` and a plain `ws` server on the same port (0), as apps attach them. */
export interface WsTestApp {
  url: string;
  wsUrl: string;
  wss: WebSocketServer;
  server: Server;
  middleware: TaskscopeMiddleware | undefined;
  close(): Promise<void>;
}

/**
 * Starts the app; `onConnection` is the app's own code. `options: false` runs it without Taskscope.
 *
 * @example
 * ```ts
 * const app = await startWsApp({}, (socket) => socket.on('message', (m) => socket.send(m)));
 * ```
 */
export async function startWsApp(
  options: TaskscopeOptions | false,
  onConnection: (socket: WebSocket, req: IncomingMessage) => void,
  serverOptions: ServerOptions = {},
): Promise<WsTestApp> {
  const app = new Koa();
  app.silent = true;
  const middleware = options === false ? undefined : taskscope(options);
  if (middleware) app.use(middleware);
  app.use((ctx) => { ctx.body = 'ok'; });
  const server = createServer(app.callback());
  const wss = new WebSocketServer({ ...serverOptions, server });
  wss.on('connection', onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    wss,
    server,
    middleware,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      server.close();
      await middleware?.close();
    },
  };
}

/** Opens a client and resolves once open, with the 101's headers. */
export async function connect(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions): Promise<{ client: WebSocket; headers: IncomingMessage['headers'] }> {
  const client = new WebSocket(url, protocols, options);
  let headers: IncomingMessage['headers'] = {};
  client.on('upgrade', (response) => { headers = response.headers; });
  await once(client, 'open');
  return { client, headers };
}

/** GETs JSON. */
export async function getJson<T = any>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

/** Polls `read` until `check` passes (or 3 s go by), returning the last value. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await read();
  }
  return value;
}
