/**
 * The app of the request bench, in its own process: a realistic Koa route (reads a query,
 * enqueues one job, answers a few KB of JSON), in one of three variants:
 * - `bare`: no taskscope loaded at all;
 * - `tracked`: behind `taskscope()` with its defaults (stacks on);
 * - `floor`: behind a middleware that runs the request in an AsyncLocalStorage scope and takes
 *   one 6-frame stack capture, nothing else — the least any per-request tracker pays.
 * `GET /__bench/cpu` (ahead of everything) answers the process's CPU time in µs, so the load
 * generator can take the app's CPU per request. Prints `port=<port>` once listening; stops on
 * SIGTERM.
 */
import { Queue } from 'bullmq';
import Koa from 'koa';
import { serveUntilTerm } from './serve-app.js';

const [mode, host, port] = process.argv.slice(2);
const FLOOR_FRAMES = 6;

const queue = new Queue(`bench-requests-${process.pid}`, { connection: { host, port: Number(port), maxRetriesPerRequest: null } });
await queue.waitUntilReady();
const app = new Koa();
app.use(async function cpu(ctx, next) {
  if (ctx.path !== '/__bench/cpu') return next();
  const { user, system } = process.cpuUsage();
  ctx.body = { cpuUs: user + system };
});
if (mode === 'tracked') {
  // Loaded only here, so the other variants never pay for the patch.
  const { taskscope } = await import('taskscope/koa');
  app.use(taskscope({ enabled: true }));
} else if (mode === 'floor') {
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const als = new AsyncLocalStorage<{ id: number }>();
  let id = 0;
  let last: object | undefined;
  app.use(function floor(ctx, next) {
    return als.run({ id: id++ }, () => {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = FLOOR_FRAMES;
      const site = {};
      Error.captureStackTrace(site, floor);
      Error.stackTraceLimit = limit;
      last = site; // kept for one request, so V8 cannot drop the capture as dead code
      return next();
    });
  });
  void last;
} else if (mode !== 'bare') {
  throw new Error(`unknown variant ${mode}`);
}
app.use(async function placeOrder(ctx) {
  const orderId = Number(ctx.query.id ?? 1);
  await queue.add('send-email', { orderId, to: 'customer@example.com' });
  ctx.body = { orderId, lines: Array.from({ length: 40 }, (_, i) => ({ sku: `SKU-${i}`, qty: i % 3, price: i * 1.25 })) };
});

await serveUntilTerm(app.listen(0, '127.0.0.1'), () => queue.obliterate({ force: true }).finally(() => queue.close()));
