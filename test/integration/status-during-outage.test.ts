import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REPLIES_PER_JOB } from '../../server-lib/src/bullmq/job-state-query.js';
import { getJson, startTestApp, type TestApp } from '../support/koa-app.js';
import { startRedisServer, type PrivateRedis } from '../support/redis-server.js';
import { freshQueueName } from '../support/redis.js';

interface QueuedClient {
  status: string;
  commandQueue: { length: number };
  offlineQueue: { length: number };
}

const JOBS = 200;

describe('GET {prefix}/requests/{id}/status while the queue\'s Redis is away', () => {
  let redis: PrivateRedis;
  let queue: Queue;
  let app: TestApp;
  let id: string;
  let client: QueuedClient;
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});

  beforeEach(async () => {
    redis = await startRedisServer();
    queue = new Queue(freshQueueName('outage'), { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null } });
    queue.on('error', () => {});
    app = await startTestApp({}, async (ctx) => {
      await queue.addBulk(Array.from({ length: JOBS }, (_, n) => ({ name: 'bulk', data: { n } })));
      ctx.body = 'ok';
    });
    const response = await fetch(`${app.url}/bulk`, { method: 'POST' });
    id = response.headers.get('x-debug-id')!;
    client = (await (queue as unknown as { backend: { client: Promise<unknown> } }).backend.client) as QueuedClient;
  });

  afterEach(async () => {
    redis.resume();
    await app.close();
    await queue.close().catch(() => {});
    await redis.stop();
  });

  const queued = () => client.commandQueue.length + client.offlineQueue.length;
  const poll = () => getJson(`${app.url}/__taskscope/requests/${id}/status`);

  it('sends nothing on the app\'s connection while it reconnects, and says so', async () => {
    await redis.stop();
    while (client.status === 'ready') await new Promise((resolve) => setTimeout(resolve, 20));
    const before = queued();
    for (let i = 0; i < 3; i += 1) {
      const { status, body } = await poll();
      expect(status).toBe(200);
      expect(body.jobs).toHaveLength(JOBS);
      expect(body.jobs[0]).toMatchObject({ state: 'unavailable', reason: expect.stringMatching(/not ready|closed/) });
    }
    expect(queued()).toBe(before);
    warn.mockClear();
  });

  it('keeps at most one status read waiting on a Redis that stopped answering', async () => {
    redis.pause();
    const before = queued();
    const answers = await Promise.all([poll(), poll(), poll()]);
    for (const { status, body } of answers) {
      expect(status).toBe(200);
      expect(body.jobs.every((job: { state: string }) => job.state === 'unavailable')).toBe(true);
    }
    expect(queued() - before).toBeLessThanOrEqual(JOBS * REPLIES_PER_JOB);
  });
});
