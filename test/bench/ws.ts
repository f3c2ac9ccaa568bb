/**
 * `ws` figures of issue 12: echo round trips per second with Taskscope recording the server's
 * connections / without (target ≥ 0.95, text messages of 200 B from a client in a worker thread,
 * rounds alternated in one run),
 * and heap retained per open connection with a full message buffer at default limits (≤ 100 KB).
 * Exported for bench/run.ts: `results.push(await benchWs())`.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import WebSocket, { WebSocketServer } from 'ws';
import { createTaskscope, type Taskscope } from 'taskscope';
import { median, report, sleep } from './stats.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MESSAGE = 'x'.repeat(200);
const ROUNDS = 8;
const ROUND_TRIPS = 2_000;
const CONNECTIONS = 50;
const MESSAGES_PER_CONNECTION = 100;

interface EchoServer {
  url: string;
  close(): Promise<void>;
}

async function startEcho(): Promise<EchoServer> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.close();
    },
  };
}

/** Taskscope on (ws recorded, MemoryStore, BullMQ left alone) or off (ws not even patched). */
function withTaskscope(on: boolean): Taskscope | undefined {
  return on ? createTaskscope({ enabled: true, bullmq: { instrument: false } }) : undefined;
}

/** Round trips per second of wall time, and per second of the server thread's busy time. */
interface Rate {
  wall: number;
  server: number;
}

// The client runs in a worker thread, as a browser would run elsewhere: the figure is the
// server's, not the client's, and the client's promises do not pay for the server's scopes.
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require(workerData.ws);
const client = new WebSocket(workerData.url);
const message = 'x'.repeat(200);
let left = workerData.count;
client.on('open', () => { parentPort.postMessage('open'); });
parentPort.on('message', () => client.send(message));
client.on('message', () => {
  left -= 1;
  if (left > 0) client.send(message);
  else { client.close(); parentPort.postMessage('done'); }
});
`;
const WS_PATH = createRequire(import.meta.url).resolve('ws');

async function roundTripsPerSecond(on: boolean): Promise<Rate> {
  const core = withTaskscope(on);
  const echo = await startEcho();
  const worker = new Worker(CLIENT, { eval: true, workerData: { url: echo.url, count: ROUND_TRIPS, ws: WS_PATH } });
  await once(worker, 'message');
  const started = performance.now();
  const busy = performance.eventLoopUtilization();
  worker.postMessage('go');
  await once(worker, 'message');
  const used = performance.eventLoopUtilization(busy);
  const rate = { wall: ROUND_TRIPS / ((performance.now() - started) / 1000), server: ROUND_TRIPS / (used.active / 1000) };
  await worker.terminate();
  await echo.close();
  await core?.close();
  return rate;
}

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed;
}

/** Heap with CONNECTIONS open connections that each exchanged MESSAGES_PER_CONNECTION messages. */
async function heapWithOpenConnections(on: boolean): Promise<number> {
  const core = withTaskscope(on);
  const echo = await startEcho();
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    const client = new WebSocket(echo.url);
    await once(client, 'open');
    return client;
  }));
  for (const client of clients) {
    for (let i = 0; i < MESSAGES_PER_CONNECTION / 2; i++) {
      client.send(MESSAGE);
      await once(client, 'message');
    }
  }
  const heap = await settledHeap();
  clients.forEach((client) => client.terminate());
  await echo.close();
  await core?.close();
  return heap;
}

/** Runs both figures; true when both targets are met. */
export async function benchWs(): Promise<boolean> {
  await roundTripsPerSecond(false); // warm-up
  await roundTripsPerSecond(true);
  const bare: Rate[] = [];
  const tracked: Rate[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(await roundTripsPerSecond(false));
    tracked.push(await roundTripsPerSecond(true));
  }
  // Judged on the server thread's busy time (what it can serve when CPU-bound), which unlike
  // wall time does not swing with other processes on a busy machine; wall time is shown too.
  const wall = median(tracked.map((r) => r.wall)) / median(bare.map((r) => r.wall));
  const server = median(tracked.map((r) => r.server)) / median(bare.map((r) => r.server));
  const ratioOk = server >= 0.95;
  report('ws echo round trips/s (200 B)', `server-busy tracked/bare ${server.toFixed(3)} (≥ 0.95); wall ${median(tracked.map((r) => r.wall)).toFixed(0)} / ${median(bare.map((r) => r.wall)).toFixed(0)} = ${wall.toFixed(3)}`, ratioOk);

  const bareHeap = await heapWithOpenConnections(false);
  const trackedHeap = await heapWithOpenConnections(true);
  const perConnection = Math.max(0, trackedHeap - bareHeap) / CONNECTIONS;
  const memoryOk = perConnection <= 100 * 1024;
  report('ws heap per open connection', `${(perConnection / 1024).toFixed(1)} KB with ${MESSAGES_PER_CONNECTION} messages kept (≤ 100 KB)`, memoryOk);
  return ratioOk && memoryOk;
}
