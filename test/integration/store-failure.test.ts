import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisStore } from 'taskscope';
import { freePort } from '../support/redis-server.js';
import { getJson, startTestApp, type TestApp } from '../support/koa-app.js';
import { freshQueueName, redisConnection } from '../support/redis.js';

describe('taskscope() with a store whose Redis is down', () => {
  let app: TestApp;
  let store: RedisStore;
  let queue: Queue;
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});

  beforeAll(async () => {
    // Nothing listens on this port: every store command waits on ioredis' reconnects.
    store = new RedisStore({ connection: `redis://127.0.0.1:${await freePort()}` });
    queue = new Queue(freshQueueName('down'), { connection: redisConnection() });
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

  it('still answers the app\'s requests as the app wrote them, with the tracking headers', async () => {
    const response = await fetch(`${app.url}/orders`, { method: 'POST' });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ ok: true });
    expect(response.headers.get('x-debug-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^\[taskscope\] could not store a request record: /));
  });

  it('answers the debug API with a JSON 503 instead of hanging', async () => {
    const { status, body } = await getJson(`${app.url}/__taskscope/requests`);
    expect(status).toBe(503);
    expect(body).toEqual({ version: 1, error: { code: 'store_unavailable', message: expect.stringContaining('store could not be read') } });
  });
});

describe('taskscope() with a store whose client waits forever for Redis', () => {
  it('answers the app\'s request after a bounded wait, and the debug API with a 503', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    // BullMQ-style settings: commands queue until Redis comes back, however long that takes.
    const client = new Redis({ host: '127.0.0.1', port: await freePort(), maxRetriesPerRequest: null });
    client.on('error', () => {});
    const app = await startTestApp({ store: new RedisStore({ connection: client }) }, async (ctx) => { ctx.body = 'ok'; });
    try {
      const response = await fetch(`${app.url}/`);
      expect(await response.text()).toBe('ok');
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/storing a request record took longer than 1000 ms/));
      const { status, body } = await getJson(`${app.url}/__taskscope/requests`);
      expect(status).toBe(503);
      expect(body.error.code).toBe('store_unavailable');
    } finally {
      await app.close();
      client.disconnect();
      warn.mockRestore();
    }
  });
});
