/**
 * The app of the fault soak, in its own process: a Koa one-job route, bare or behind
 * `taskscope()` with a `RedisStore` on its own Redis (the one the soak pauses and kills; the
 * queue's Redis stays up). Prints `port=<port>` once listening; stops on SIGTERM.
 */
import { Queue } from 'bullmq';
import Koa from 'koa';
import { serveUntilTerm } from './serve-app.js';

const [mode, host, port, storeUrl] = process.argv.slice(2) as [string, string, string, string];

const queue = new Queue(`bench-soak-${process.pid}`, { connection: { host, port: Number(port), maxRetriesPerRequest: null } });
await queue.waitUntilReady();
const app = new Koa();
let close = async () => {};
if (mode === 'tracked') {
  const [{ taskscope }, { RedisStore }] = await Promise.all([import('taskscope/koa'), import('taskscope')]);
  // Room for every record of the soak, so a missing record was lost, not trimmed or expired.
  const store = new RedisStore({ connection: storeUrl, maxRecords: 100_000, ttlMs: 3_600_000 });
  const middleware = taskscope({ enabled: true, store });
  app.use(middleware);
  close = async () => {
    await middleware.close();
    await store.close();
  };
} else if (mode !== 'bare') {
  throw new Error(`unknown variant ${mode}`);
}
app.use(async function placeOrder(ctx) {
  const orderId = Number(ctx.query.id ?? 1);
  await queue.add('send-email', { orderId, to: 'customer@example.com' }, { removeOnComplete: true });
  ctx.body = { orderId, ok: true };
});

await serveUntilTerm(app.listen(0, '127.0.0.1'), () => close().catch(() => {}).then(() => queue.obliterate({ force: true })).finally(() => queue.close()));
