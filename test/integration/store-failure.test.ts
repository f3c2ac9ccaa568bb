import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisStore } from 'taskscope';
import { REFUSED_PORT, startRedisServer, type PrivateRedis } from '../support/redis-server.js';
import { getJson, startTestApp, type TestApp } from '../support/koa-app.js';
import { freshQueueName, redisConnection } from '../support/redis.js';

/** A response's time as the client sees it, ms. */
async function timed(url: string, init?: RequestInit): Promise<{ ms: number; response: Response; text: string }> {
  const started = performance.now();
  const response = await fetch(url, init);
  const text = await response.text();
  return { ms: performance.now() - started, response, text };
}

async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Half the 1 s a response used to wait, and far above a loopback request even on a loaded
// machine: what a slow store may cost a response is measured in `npm run bench` (the fault soak).
const NOT_HELD_MS = 500;

describe('taskscope() with a RedisStore whose Redis is down', () => {
  let app: TestApp;
  let store: RedisStore;
  let queue: Queue;
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});

  beforeAll(async () => {
    // Nothing listens on this port: every store command fails after ioredis' retry.
    store = new RedisStore({ connection: `redis://127.0.0.1:${REFUSED_PORT}` });
    queue = new Queue(freshQueueName('down'), { connection: redisConnection() });
    await queue.waitUntilReady();
    app = await startTestApp({ store }, async (ctx) => {
      await queue.add('send-email', { to: 'a@b.c' });
      ctx.status = 201;
      ctx.body = { ok: true };
    });
  });

  afterAll(async () => {
    await app.close();
    await store.close();
    await queue.obliterate({ force: true });
    await queue.close();
    warn.mockRestore();
  });

  it('answers the app\'s requests as the app wrote them, with the tracking headers, without waiting for the store', async () => {
    for (let i = 0; i < 10; i += 1) {
      const { ms, response, text } = await timed(`${app.url}/orders`, { method: 'POST' });
      expect(response.status).toBe(201);
      expect(JSON.parse(text)).toEqual({ ok: true });
      expect(response.headers.get('x-debug-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(ms).toBeLessThan(NOT_HELD_MS);
    }
  });

  it('still serves each record from the process that made it', async () => {
    const { response } = await timed(`${app.url}/orders`, { method: 'POST' });
    const { status, body } = await getJson(`${app.url}/__taskscope/requests/${response.headers.get('x-debug-id')}`);
    expect(status).toBe(200);
    expect(body.tasks).toEqual([expect.objectContaining({ name: 'send-email', data: { to: 'a@b.c' } })]);
  });

  it('counts the records it could not store in the list answer, says why, and logs it once', async () => {
    await until(async () => (await getJson(`${app.url}/__taskscope/requests`)).body.lost >= 11);
    const { status, body } = await getJson(`${app.url}/__taskscope/requests`);
    expect(status).toBe(200);
    expect(body.storeError).toMatch(/store could not be read/);
    expect(body.requests.length).toBeGreaterThanOrEqual(11);
    expect(warn.mock.calls.filter(([line]) => /could not store a request record/.test(String(line)))).toHaveLength(1);
  });

  it('answers a record it never had with a JSON 503 instead of hanging', async () => {
    const { status, body } = await getJson(`${app.url}/__taskscope/requests/00000000-0000-4000-8000-000000000000`);
    expect(status).toBe(503);
    expect(body).toEqual({ version: 1, error: { code: 'store_unavailable', message: expect.stringContaining('store could not be read') } });
  });
});

describe('taskscope() with a store whose client waits forever for Redis', () => {
  it('answers the app\'s request at once and serves the record from this process', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    // BullMQ-style settings: commands queue until Redis comes back, however long that takes.
    const client = new Redis({ host: '127.0.0.1', port: REFUSED_PORT, maxRetriesPerRequest: null });
    client.on('error', () => {});
    const app = await startTestApp({ store: new RedisStore({ connection: client }) }, async (ctx) => { ctx.body = 'ok'; });
    try {
      const { ms, response, text } = await timed(`${app.url}/`);
      expect(text).toBe('ok');
      expect(ms).toBeLessThan(NOT_HELD_MS);
      const { status, body } = await getJson(`${app.url}/__taskscope/requests/${response.headers.get('x-debug-id')}`);
      expect(status).toBe(200);
      expect(body.request).toMatchObject({ method: 'GET', url: '/', status: 200 });
    } finally {
      await app.close();
      client.disconnect();
      warn.mockRestore();
    }
  });
});

describe('taskscope() with a RedisStore whose Redis is paused, then killed', () => {
  let redis: PrivateRedis;
  let app: TestApp;
  let store: RedisStore;
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});

  beforeAll(async () => {
    redis = await startRedisServer();
    store = new RedisStore({ connection: redis.url });
    app = await startTestApp({ store }, async (ctx) => { ctx.body = 'ok'; });
  });

  afterAll(async () => {
    await app.close();
    await store.close();
    await redis.stop();
    warn.mockRestore();
  });

  it('does not hold responses while the store is paused, and saves the records once it answers again', async () => {
    redis.pause();
    const ids: string[] = [];
    try {
      for (let i = 0; i < 5; i += 1) {
        const { ms, response } = await timed(`${app.url}/paused/${i}`);
        expect(ms).toBeLessThan(NOT_HELD_MS);
        ids.push(response.headers.get('x-debug-id')!);
      }
    } finally {
      redis.resume();
    }
    const reader = new RedisStore({ connection: redis.url });
    try {
      await until(async () => (await Promise.all(ids.map((id) => reader.get(id)))).every((record) => record !== undefined));
    } finally {
      await reader.close();
    }
    expect((await getJson(`${app.url}/__taskscope/requests`)).body.lost).toBe(0);
  });

  it('does not hold responses once the store is killed, and counts every record it loses', async () => {
    await redis.stop();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const { ms, response } = await timed(`${app.url}/killed/${i}`);
      expect(ms).toBeLessThan(NOT_HELD_MS);
      ids.push(response.headers.get('x-debug-id')!);
    }
    await until(async () => (await getJson(`${app.url}/__taskscope/requests`)).body.lost >= 5);
    const { body } = await getJson(`${app.url}/__taskscope/requests`);
    expect(body.lost).toBe(5);
    expect(body.requests.map((item: { id: string }) => item.id)).toEqual(expect.arrayContaining(ids));
  });
});
