/**
 * One measurement of the request bench, in its own process: a realistic Koa route (reads a
 * query, enqueues one job, answers a few KB of JSON), bare or behind `taskscope()`, driven by
 * 16 keep-alive connections for 3 s. Prints `rps=<requests per second>`.
 */
import { Queue } from 'bullmq';
import Koa from 'koa';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { taskscope } from 'taskscope/koa';

const [mode, host, port] = process.argv.slice(2);
const DURATION_MS = 3_000;
const CONNECTIONS = 16;

const queue = new Queue(`bench-requests-${process.pid}`, { connection: { host, port: Number(port), maxRetriesPerRequest: null } });
await queue.waitUntilReady();
const app = new Koa();
if (mode === 'tracked') app.use(taskscope({ enabled: true }));
app.use(async function placeOrder(ctx) {
  const orderId = Number(ctx.query.id ?? 1);
  await queue.add('send-email', { orderId, to: 'customer@example.com' });
  ctx.body = { orderId, lines: Array.from({ length: 40 }, (_, i) => ({ sku: `SKU-${i}`, qty: i % 3, price: i * 1.25 })) };
});

const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port: appPort } = server.address() as AddressInfo;
const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
const get = (id: number) => new Promise<void>((resolve, reject) => {
  request({ host: '127.0.0.1', port: appPort, path: `/orders?id=${id}`, agent }, (res) => {
    res.resume();
    res.on('end', resolve);
  }).on('error', reject).end();
});
const run = async (ms: number) => {
  let done = 0;
  const end = performance.now() + ms;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() < end) await get(done++);
  }));
  return done;
};
await run(500); // warm-up: JIT, connections
const cpu = process.cpuUsage();
const done = await run(DURATION_MS);
const used = process.cpuUsage(cpu);
console.log(`rps=${(done / (DURATION_MS / 1000)).toFixed(1)} cpu/request=${((used.user + used.system) / done).toFixed(0)}µs`);
agent.destroy();
server.close();
await queue.obliterate({ force: true });
await queue.close();
process.exit(0);
