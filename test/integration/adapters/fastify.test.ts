/**
 * What only Fastify has: plugin registration with options, `app.taskscope`, `app.close()`,
 * encapsulated child plugins, custom error handlers and the app's own onSend hooks.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from 'taskscope';
import { taskscope } from 'taskscope/fastify';
import { getJson } from '../../support/koa-app.js';
import { freshQueueName, redisConnection } from '../../support/redis.js';

describe('taskscope/fastify', () => {
  let app: FastifyInstance | undefined;
  let queue: Queue;
  let url: string;

  beforeEach(() => {
    queue = new Queue(freshQueueName('fastify'), { connection: redisConnection() });
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await queue.obliterate({ force: true });
    await queue.close();
  });

  async function listen(instance: FastifyInstance): Promise<void> {
    app = instance;
    await instance.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(instance.server.address() as { port: number }).port}`;
  }

  async function recordOf(response: Response): Promise<RequestRecord> {
    const { status, body } = await getJson<RequestRecord>(`${url}${response.headers.get('x-debug-url')}`);
    expect(status).toBe(200);
    return body;
  }

  it('takes its options as the plugin\'s options, and exposes the core as app.taskscope', async () => {
    const instance = Fastify();
    await instance.register(taskscope, { prefix: '/_debug', nPlusOneThreshold: 5 });
    expect(instance.taskscope.options).toMatchObject({ prefix: '/_debug', nPlusOneThreshold: 5 });
    instance.get('/', async () => 'ok');
    await listen(instance);
    const response = await fetch(`${url}/`);
    expect(response.headers.get('x-debug-url')).toMatch(/^\/_debug\/requests\//);
  });

  it('records the routes of encapsulated child plugins too (it is not encapsulated itself)', async () => {
    const instance = Fastify();
    await instance.register(taskscope);
    await instance.register(async (child) => {
      child.post('/orders', async () => {
        await queue.add('send-email', {});
        return { ok: true };
      });
    }, { prefix: '/v1' });
    await listen(instance);
    const response = await fetch(`${url}/v1/orders`, { method: 'POST' });
    expect((await recordOf(response)).tasks.map((t) => t.name)).toEqual(['send-email']);
  });

  it('keeps its headers on a custom error handler\'s reply, and records the status it chose', async () => {
    const instance = Fastify();
    await instance.register(taskscope);
    instance.setErrorHandler(async (error, _request, reply) => reply.code(402).send({ error: (error as Error).message }));
    instance.get('/pay', async () => {
      await queue.add('audit', {});
      throw new Error('card declined');
    });
    await listen(instance);
    const response = await fetch(`${url}/pay`);
    expect(response.status).toBe(402);
    expect(await response.json()).toEqual({ error: 'card declined' });
    expect((await recordOf(response)).request.status).toBe(402);
  });

  it('records the status an onSend hook of the app, running after its own, sent', async () => {
    const instance = Fastify();
    await instance.register(taskscope);
    instance.addHook('onSend', async (request, reply, payload) => {
      if (request.url === '/') reply.code(203);
      return payload;
    });
    instance.get('/', async () => 'ok');
    await listen(instance);
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(203);
    let record = await recordOf(response);
    for (let i = 0; i < 50 && record.request.status !== 203; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      record = await recordOf(response);
    }
    expect(record.request.status).toBe(203);
  });

  it('fails registration on a bad option, with a precise TypeError', async () => {
    const instance = Fastify();
    await expect(instance.register(taskscope, { limits: { maxDepth: 0 } })).rejects.toThrow(TypeError);
    await instance.close();
  });
});
