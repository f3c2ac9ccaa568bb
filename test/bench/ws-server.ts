/**
 * The app of the `ws` bench, in its own process: a `ws` echo server on an HTTP server, in one
 * of three variants:
 * - `bare`: no taskscope loaded at all;
 * - `tracked`: `createTaskscope()` with its defaults (ws recorded, BullMQ instrumented, MemoryStore);
 * - `floor`: each received message's listeners run in an AsyncLocalStorage scope of their own,
 *   nothing else — the least any per-message tracker pays (on Node 20 that turns on async hooks).
 * `GET /__bench/cpu` answers the process's CPU time in µs, so the load generator can take the
 * server's CPU per round trip. Prints `port=<port>` once listening; stops on SIGTERM.
 *
 * `tsx ws-server.ts <bare|tracked|floor>`
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveUntilTerm } from './serve-app.js';

const [mode] = process.argv.slice(2);

const server = createServer((req, res) => {
  const { user, system } = process.cpuUsage();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ cpuUs: user + system, path: req.url }));
});
let close = async (): Promise<unknown> => undefined;
let wrapListener = (listener: (data: unknown, isBinary: boolean) => void) => listener;
if (mode === 'tracked') {
  // Loaded only here, so the other variants never pay for the patch.
  const { createTaskscope } = await import('taskscope');
  const core = createTaskscope({ enabled: true });
  close = () => core.close();
} else if (mode === 'floor') {
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const als = new AsyncLocalStorage<{ seq: number }>();
  let seq = 0;
  wrapListener = (listener) => (data, isBinary) => als.run({ seq: seq++ }, listener, data, isBinary);
} else if (mode !== 'bare') {
  throw new Error(`unknown variant ${mode}`);
}

const wss = new WebSocketServer({ server });
wss.on('connection', (socket: WebSocket) => {
  socket.on('message', wrapListener((data, isBinary) => socket.send(data as Buffer, { binary: isBinary })));
});
server.listen(0, '127.0.0.1');
await serveUntilTerm(server, async () => {
  for (const client of wss.clients) client.terminate();
  wss.close();
  await close();
});
