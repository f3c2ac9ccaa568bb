import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { taskscope } from 'taskscope/koa';
import { median, ms, percentile, report } from './stats.js';

const STORED = 1_000;
const FETCHES = 2_000;

/** Record fetch p99 with 1,000 stored requests (target ≤ 2 ms); one status call for 100 jobs. */
export async function benchFetch(connection: ConnectionOptions & { host: string; port: number }): Promise<boolean> {
  const queue = new Queue(`bench-fetch-${process.pid}`, { connection });
  await queue.waitUntilReady();
  const middleware = taskscope({ enabled: true });
  const app = new Koa();
  app.use(middleware);
  app.use(async (ctx) => {
    const count = Number(ctx.query.jobs ?? 5);
    await queue.addBulk(Array.from({ length: count }, (_, i) => ({ name: 'receipt', data: { line: i } })));
    ctx.body = 'ok';
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string) => new Promise<{ id: string | undefined; body: string }>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ id: res.headers['x-debug-id'] as string | undefined, body }));
    }).on('error', reject).end();
  });

  const ids: string[] = [];
  for (let i = 0; i < STORED; i++) ids.push((await get('/orders?jobs=5')).id!);
  const times: number[] = [];
  for (let i = 0; i < FETCHES; i++) {
    const start = performance.now();
    await get(`/__taskscope/requests/${ids[(i * 7919) % ids.length]}`);
    times.push(performance.now() - start);
  }
  const p99 = percentile(times, 99);
  report('record fetch, 1,000 stored', `median ${ms(median(times))}  p99 ${ms(p99)} (target ≤ 2 ms)`, p99 <= 2);

  const bulkId = (await get('/orders?jobs=100')).id!;
  const statusTimes: number[] = [];
  let jobs = 0;
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    jobs = JSON.parse((await get(`/__taskscope/requests/${bulkId}/status`)).body).jobs.length;
    statusTimes.push(performance.now() - start);
  }
  const redis = new Redis({ host: connection.host, port: connection.port });
  const pings: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    await redis.ping();
    pings.push(performance.now() - start);
  }
  report('status call, 100 jobs', `${jobs} jobs  median ${ms(median(statusTimes))}  p99 ${ms(percentile(statusTimes, 99))}  (one Redis PING: ${ms(median(pings))})`, jobs === 100);

  await redis.quit();
  agent.destroy();
  server.close();
  await middleware.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return p99 <= 2 && jobs === 100;
}
