import { Queue, Worker } from 'bullmq';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RequestStatusResponse, WsConnectionRecord } from 'taskscope/protocol';
import { freshQueueName, redisConnection } from '../../support/redis.js';
import { connect, eventually, getJson, startWsApp, type WsTestApp } from './ws-app.js';

describe('jobs enqueued by received messages', () => {
  let queue: Queue;
  let worker: Worker;
  let app: WsTestApp | undefined;

  beforeAll(async () => {
    queue = new Queue(freshQueueName('ws-jobs'), { connection: redisConnection() });
    worker = new Worker(queue.name, async () => 'done', { connection: redisConnection() });
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(async () => {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  });

  const record = (id: string) => getJson<WsConnectionRecord>(`${app!.url}/__taskscope/ws/${id}`);

  it('records each message\'s jobs under it, with call sites, N+1, late adds and handler time', async () => {
    app = await startWsApp({}, (socket) => {
      socket.on('message', async (data) => {
        const { cmd, items } = JSON.parse(String(data)) as { cmd: string; items: number };
        await queue.add('place-order', { cmd });
        for (let i = 0; i < items; i++) await queue.add('reserve-item', { i });
        await new Promise((resolve) => setTimeout(resolve, 5));
        await queue.add('notify-desk', { cmd });
        socket.send('ok');
      });
    });
    const { client, headers } = await connect(app.wsUrl);
    const id = String(headers['x-debug-id']);
    client.send(JSON.stringify({ cmd: 'place', items: 4 }));
    await once(client, 'message');
    client.send(JSON.stringify({ cmd: 'noop', items: 0 }));
    await once(client, 'message');

    const { body } = await eventually(() => record(id), (r) => r.body.taskCount === 8 && r.body.messages[0]?.record?.tasks.every((t) => t.jobId !== null) === true);
    const [first, , second] = body.messages;
    expect(first).toMatchObject({ direction: 'in', opcode: 'text' });
    expect(first!.handlerMs).toBeGreaterThanOrEqual(0);
    expect(first!.settledMs).toBeGreaterThan(0);
    const jobs = first!.record!;
    expect(jobs.request).toMatchObject({ method: 'WS', url: '/' });
    expect(jobs.tasks.map((t) => t.name)).toEqual(['place-order', 'reserve-item', 'reserve-item', 'reserve-item', 'reserve-item', 'notify-desk']);
    // The listener is async: only the first add ran before it returned.
    expect(jobs.tasks.map((t) => t.late)).toEqual([false, true, true, true, true, true]);
    expect(jobs.tasks[0]!.origin?.file).toMatch(/jobs\.test\.ts$/);
    expect(jobs.nPlusOne).toMatchObject([{ name: 'reserve-item', count: 4 }]);
    expect(second!.record!.tasks.map((t) => t.name)).toEqual(['place-order', 'notify-desk']);
    expect(body.messages[1]).toMatchObject({ direction: 'out', record: null, handlerMs: null });

    const status = await eventually(
      () => getJson<RequestStatusResponse>(`${app!.url}/__taskscope/ws/${id}/messages/1/status`),
      (r) => r.body.jobs.length === 6 && r.body.jobs.every((job) => job.state === 'completed'),
    );
    expect(status.body).toMatchObject({ taskCount: 6 });
    expect(status.body.jobs.map((job) => job.state)).toEqual(Array(6).fill('completed'));
    expect((await getJson(`${app.url}/__taskscope/ws/${id}/messages/99/status`)).status).toBe(404);
    client.close();
  });

  it('keeps concurrent messages on several connections apart', async () => {
    app = await startWsApp({}, (socket) => {
      socket.on('message', async (data) => {
        const who = String(data);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
        await queue.add(`job-of-${who}`, { who });
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
        await queue.add(`job-of-${who}`, { who });
        socket.send('ok');
      });
    });
    const clients = await Promise.all(['a', 'b', 'c', 'd'].map(() => connect(app!.wsUrl)));
    await Promise.all(clients.map(async ({ client }, index) => {
      const who = 'abcd'[index]!;
      const answered = new Promise((resolve) => {
        let count = 0;
        client.on('message', () => { if (++count === 2) resolve(count); });
      });
      client.send(`${who}1`);
      client.send(`${who}2`);
      await answered;
    }));
    for (const [index, { headers }] of clients.entries()) {
      const who = 'abcd'[index]!;
      const { body } = await record(String(headers['x-debug-id']));
      const received = body.messages.filter((m) => m.direction === 'in');
      for (const message of received) {
        expect(message.record!.tasks.map((t) => t.name)).toEqual([`job-of-${message.preview}`, `job-of-${message.preview}`]);
        expect(message.record!.tasks.every((t) => (t.data as { who: string }).who === message.preview)).toBe(true);
      }
      expect(received.map((m) => m.preview)).toEqual([`${who}1`, `${who}2`]);
      expect(body.taskCount).toBe(4);
    }
    clients.forEach(({ client }) => client.close());
  });

  it('does not record jobs of code that runs outside a message (connection handler, timers)', async () => {
    app = await startWsApp({}, (socket) => {
      socket.on('message', () => socket.send('ok'));
    });
    const { client, headers } = await connect(app.wsUrl);
    client.send('nothing to enqueue');
    await once(client, 'message');
    await queue.add('outside', {});
    const { body } = await record(String(headers['x-debug-id']));
    expect(body.taskCount).toBe(0);
    expect(body.messages[0]!.record).toBeNull();
    client.close();
  });
});
