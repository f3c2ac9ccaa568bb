import { Queue, Worker } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from 'taskscope';
import { getJson, startTestApp, type TestApp } from '../support/koa-app.js';
import { freshQueueName, redisClient, redisConnection } from '../support/redis.js';

// Two instances of one app behind a load balancer: the request lands on one, the panel's
// fetch on the other. Each has its own RedisStore on the same Redis and namespace.
describe('RedisStore shared by two app instances', () => {
  const namespace = `taskscope-${randomUUID().slice(0, 8)}`;
  const client = redisClient();
  let queue: Queue;
  let worker: Worker;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    queue = new Queue(freshQueueName('shared'), { connection: redisConnection() });
    worker = new Worker(queue.name, async () => ({ sent: true }), { connection: redisConnection() });
    first = await startTestApp({ store: new RedisStore({ connection: client, namespace }) }, async (ctx) => {
      await queue.add('send-email', { to: 'a@b.c' });
      ctx.body = 'ok';
    });
    // The second instance has no Queue of its own: job status goes through bullmq.connection.
    second = await startTestApp({ store: new RedisStore({ connection: client, namespace }), bullmq: { connection: redisConnection() } });
  });

  afterAll(async () => {
    await first.close();
    await second.close();
    await worker.close();
    const cleanup = new Queue(queue.name, { connection: redisConnection() });
    await cleanup.obliterate({ force: true });
    await cleanup.close();
    await client.quit();
  });

  it('serves a record written by the other instance, the moment the response arrives', async () => {
    const response = await fetch(`${first.url}/orders`);
    const { status, body } = await getJson(`${second.url}${response.headers.get('x-debug-url')}`);
    expect(status).toBe(200);
    expect(body.tasks.map((task: { name: string }) => task.name)).toEqual(['send-email']);
    const list = await getJson(`${second.url}/__taskscope/requests`);
    expect(list.body.requests[0]).toMatchObject({ id: response.headers.get('x-debug-id'), taskCount: 1 });
  });

  it('reads the live status of its jobs through bullmq.connection', async () => {
    const response = await fetch(`${first.url}/orders`);
    // As if the enqueueing instance were another process: no live Queue of it is left here.
    await queue.close();
    const statusUrl = `${second.url}${response.headers.get('x-debug-url')}/status`;
    let job: { state: string; returnValue?: unknown } = { state: '' };
    for (let i = 0; i < 100 && job.state !== 'completed'; i++) {
      job = (await getJson(statusUrl)).body.jobs[0];
      if (job.state !== 'completed') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(job).toMatchObject({ state: 'completed', returnValue: { sent: true } });
  });
});
