/**
 * The app of the request bench, in its own process: a realistic Koa route (reads a query,
 * enqueues one job, answers a few KB of JSON), bare or behind `taskscope()`. Prints
 * `port=<port>` once listening; stops on SIGTERM.
 */
import { Queue } from 'bullmq';
import Koa from 'koa';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

const [mode, host, port] = process.argv.slice(2);

const queue = new Queue(`bench-requests-${process.pid}`, { connection: { host, port: Number(port), maxRetriesPerRequest: null } });
await queue.waitUntilReady();
const app = new Koa();
if (mode === 'tracked') {
  // Loaded only here, so the bare process never pays for AsyncLocalStorage or the patch.
  const { taskscope } = await import('taskscope/koa');
  app.use(taskscope({ enabled: true }));
}
app.use(async function placeOrder(ctx) {
  const orderId = Number(ctx.query.id ?? 1);
  await queue.add('send-email', { orderId, to: 'customer@example.com' });
  ctx.body = { orderId, lines: Array.from({ length: 40 }, (_, i) => ({ sku: `SKU-${i}`, qty: i % 3, price: i * 1.25 })) };
});

const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
console.log(`port=${(server.address() as AddressInfo).port}`);
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  void queue.obliterate({ force: true }).finally(() => queue.close()).finally(() => process.exit(0));
});
