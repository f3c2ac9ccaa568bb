/**
 * The app of the adapter bench, in its own process: the same realistic route as the request
 * bench (reads a query, enqueues one job, answers a few KB of JSON) on Koa, Express or Fastify,
 * bare or with Taskscope's adapter. Prints `port=<port>` once listening; stops on SIGTERM.
 *
 * `tsx adapters-server.ts <koa|express|fastify> <bare|tracked> <redis host> <redis port>`
 */
import { Queue } from 'bullmq';
import type { Server } from 'node:http';
import { serveUntilTerm } from './serve-app.js';

const [framework, mode, host, port] = process.argv.slice(2);
const tracked = mode === 'tracked';

const queue = new Queue(`bench-adapters-${process.pid}`, { connection: { host, port: Number(port), maxRetriesPerRequest: null } });
await queue.waitUntilReady();

async function placeOrder(id: unknown): Promise<object> {
  const orderId = Number(id ?? 1);
  await queue.add('send-email', { orderId, to: 'customer@example.com' });
  return { orderId, lines: Array.from({ length: 40 }, (_, i) => ({ sku: `SKU-${i}`, qty: i % 3, price: i * 1.25 })) };
}

// Each adapter is loaded only when tracked, so the bare process never pays for AsyncLocalStorage or the patch.
async function start(): Promise<{ server: Server; close(): Promise<unknown> }> {
  if (framework === 'koa') {
    const { default: Koa } = await import('koa');
    const app = new Koa();
    if (tracked) app.use((await import('taskscope/koa')).taskscope({ enabled: true }));
    app.use(async (ctx) => { ctx.body = await placeOrder(ctx.query.id); });
    const server = app.listen(0, '127.0.0.1');
    return { server, close: async () => server.close() };
  }
  if (framework === 'express') {
    const { default: express } = await import('express');
    const app = express();
    if (tracked) app.use((await import('taskscope/express')).taskscope({ enabled: true }));
    app.get('/orders', (req, res, next) => { placeOrder(req.query.id).then((body) => res.json(body), next); });
    const server = app.listen(0, '127.0.0.1');
    return { server, close: async () => server.close() };
  }
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  if (tracked) await app.register((await import('taskscope/fastify')).taskscope, { enabled: true });
  app.get<{ Querystring: { id?: string } }>('/orders', async (request) => placeOrder(request.query.id));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { server: app.server, close: () => app.close() };
}

const { server, close } = await start();
await serveUntilTerm(server, () => close().then(() => queue.obliterate({ force: true })).finally(() => queue.close()));
