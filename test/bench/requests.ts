import { Queue, type ConnectionOptions } from 'bullmq';
import Koa from 'koa';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { taskscope } from 'taskscope/koa';
import { report } from './stats.js';

const DURATION_MS = 3_000;
const CONNECTIONS = 16;
const ROUNDS = 3;

/** A realistic route: reads a query, builds a JSON body of a few KB and enqueues one job. */
function createApp(queue: Queue, tracked: boolean) {
  const app = new Koa();
  if (tracked) app.use(taskscope({ enabled: true }));
  app.use(async (ctx) => {
    const orderId = Number(ctx.query.id ?? 1);
    await queue.add('send-email', { orderId, to: 'customer@example.com' });
    ctx.body = { orderId, lines: Array.from({ length: 40 }, (_, i) => ({ sku: `SKU-${i}`, qty: i % 3, price: i * 1.25 })) };
  });
  return app;
}

async function throughput(app: Koa): Promise<number> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let done = 0;
  const end = performance.now() + DURATION_MS;
  const get = () => new Promise<void>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: `/orders?id=${done}`, agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject).end();
  });
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() < end) {
      await get();
      done++;
    }
  }));
  agent.destroy();
  server.close();
  return done / (DURATION_MS / 1000);
}

/** Requests per second of bare Koa and Koa with taskscope(), alternated. Target: ≥ 95 %. */
export async function benchRequests(connection: ConnectionOptions): Promise<boolean> {
  const queue = new Queue(`bench-requests-${process.pid}`, { connection });
  await queue.waitUntilReady();
  const bare = createApp(queue, false);
  const tracked = createApp(queue, true);
  await throughput(bare); // warm-up
  let bareTotal = 0;
  let trackedTotal = 0;
  for (let round = 0; round < ROUNDS; round++) {
    bareTotal += await throughput(bare);
    trackedTotal += await throughput(tracked);
  }
  await queue.obliterate({ force: true });
  await queue.close();
  const ratio = trackedTotal / bareTotal;
  report('requests/s, bare Koa', `${(bareTotal / ROUNDS).toFixed(0)}`, undefined);
  report('requests/s, with taskscope()', `${(trackedTotal / ROUNDS).toFixed(0)}  ratio ${ratio.toFixed(3)} (target ≥ 0.95)`, ratio >= 0.95);
  return ratio >= 0.95;
}
