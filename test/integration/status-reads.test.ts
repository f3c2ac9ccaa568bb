import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, RedisStore } from 'taskscope';
import { getJson, startTestApp, type TestApp } from '../support/koa-app.js';
import { freshQueueName, redisClient, redisConnection } from '../support/redis.js';

// Reading a record or its job status is a read: it never saves, refreshes a TTL or changes which
// record is evicted next, and so it can never race a late save.

let queue: Queue;
beforeAll(() => { queue = new Queue(freshQueueName('reads'), { connection: redisConnection() }); });
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
});

async function post(app: TestApp, path: string): Promise<string> {
  const response = await fetch(`${app.url}${path}`, { method: 'POST' });
  await response.text();
  return response.headers.get('x-debug-id')!;
}
const status = (app: TestApp, id: string) => getJson(`${app.url}/__taskscope/requests/${id}/status`);
const record = (app: TestApp, id: string) => getJson(`${app.url}/__taskscope/requests/${id}`);

describe('GET {prefix}/requests/{id}/status', () => {
  it('does not change which record the MemoryStore evicts next', async () => {
    const app = await startTestApp({ store: new MemoryStore({ maxRecords: 2 }) }, async (ctx) => {
      await queue.add('a', {});
      ctx.body = 'ok';
    });
    try {
      const a = await post(app, '/a');
      const b = await post(app, '/b');
      expect((await status(app, a)).status).toBe(200);
      await post(app, '/c');
      expect((await record(app, a)).status).toBe(404);
      expect((await record(app, b)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('does not extend a MemoryStore record\'s time to live', async () => {
    const app = await startTestApp({ store: new MemoryStore({ ttlMs: 600 }) }, async (ctx) => {
      await queue.add('a', {});
      ctx.body = 'ok';
    });
    try {
      const id = await post(app, '/a');
      for (let i = 0; i < 4; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        await status(app, id);
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect((await record(app, id)).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('does not refresh a RedisStore record\'s expiry', async () => {
    const namespace = freshQueueName('ns');
    const redis = redisClient();
    const app = await startTestApp({ store: new RedisStore({ connection: redisConnection(), namespace }) }, async (ctx) => {
      await queue.add('a', {});
      ctx.body = 'ok';
    });
    try {
      const id = await post(app, '/a');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const before = await redis.pttl(`${namespace}:rec:${id}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await status(app, id);
      expect(await redis.pttl(`${namespace}:rec:${id}`)).toBeLessThanOrEqual(before - 90);
    } finally {
      await app.close();
      await redis.quit();
    }
  });

  it('never loses a late job, however often the panel polls while it arrives (20 runs)', async () => {
    const app = await startTestApp({}, async (ctx) => {
      await queue.add('in-time', {});
      // Fire-and-forget after the response: recorded as late.
      setTimeout(() => void queue.add('late', {}), 5);
      ctx.body = 'ok';
    });
    try {
      for (let run = 0; run < 20; run += 1) {
        const id = await post(app, '/late');
        const polls = Array.from({ length: 8 }, (_, i) => new Promise((resolve) => setTimeout(resolve, i * 3)).then(() => status(app, id)));
        await Promise.all(polls);
        await new Promise((resolve) => setTimeout(resolve, 30));
        const { body } = await record(app, id);
        expect(body.tasks.map((task: { name: string; late: boolean }) => [task.name, task.late])).toEqual([['in-time', false], ['late', true]]);
      }
    } finally {
      await app.close();
    }
  });
});
