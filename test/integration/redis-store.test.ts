import { randomUUID } from 'node:crypto';
import { inject, afterEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createSummary } from '../../server-lib/src/core/analyze.js';
import { PROTOCOL_VERSION, type RequestRecord, type TaskRecord } from '../../server-lib/src/protocol.js';
import { RedisStore } from '../../server-lib/src/store/redis-store.js';
import { freshQueueName, redisClient, redisConnection } from '../support/redis.js';

function record(startedAt: number, taskCount = 0, id: string = randomUUID()): RequestRecord {
  const tasks = Array.from({ length: taskCount }, (_, i): TaskRecord => ({
    seq: i + 1, jobId: String(i), queue: 'emails', prefix: 'bull', name: 'send', via: 'add', data: { text: 'x'.repeat(200) },
    opts: {}, truncated: false, enqueuedAt: startedAt, offsetMs: 0, enqueueMs: 0.1, callSeq: i + 1, callSize: 1, delayMs: 0, scheduledFor: null,
    late: false, error: null, duplicate: null, duplicateOf: null, jobTimestamp: null, parent: null, schedulerId: null, origin: null, stack: [],
  }));
  return {
    version: PROTOCOL_VERSION, id, request: { method: 'POST', url: '/orders', status: 201, startedAt, durationMs: 3 },
    summary: { ...createSummary(), total: taskCount, immediate: taskCount }, tasks, nPlusOne: [], droppedTasks: 0, revision: 1, lateUntil: null,
  };
}

describe('RedisStore', () => {
  const clients: Redis[] = [];
  const stores: RedisStore[] = [];
  const client = (): Redis => {
    const created = redisClient();
    clients.push(created);
    return created;
  };
  const store = (options: Partial<ConstructorParameters<typeof RedisStore>[0]> = {}): RedisStore => {
    const created = new RedisStore({ connection: redisConnection(), ...options });
    stores.push(created);
    return created;
  };

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(clients.splice(0).map((c) => c.quit()));
  });

  it('reads through one instance what another saved (two processes sharing a namespace)', async () => {
    const namespace = freshQueueName('ns');
    const writer = store({ namespace });
    const reader = store({ namespace, connection: inject('redisUrl') });
    const saved = record(Date.now(), 2);
    await writer.save(saved);
    expect(await reader.get(saved.id)).toEqual(JSON.parse(JSON.stringify(saved)));
    expect((await reader.list()).map((item) => item.id)).toEqual([saved.id]);
    expect(await store({ namespace: freshQueueName('other') }).get(saved.id)).toBeUndefined();
  });

  it('replaces a record saved again and lists newest first by start time, up to a limit', async () => {
    const namespace = freshQueueName('ns');
    const s = store({ namespace });
    const first = record(1000);
    const second = record(3000);
    const third = record(2000);
    for (const r of [first, second, third]) await s.save(r);
    await s.save({ ...first, tasks: record(1000, 1).tasks, summary: { ...createSummary(), total: 1 } });
    expect((await s.get(first.id))?.tasks).toHaveLength(1);
    const list = await s.list();
    expect(list.map((item) => item.id)).toEqual([second.id, third.id, first.id]);
    expect(list[2]).toEqual({ id: first.id, method: 'POST', url: '/orders', status: 201, startedAt: 1000, durationMs: 3, taskCount: 1, nPlusOneCount: 0 });
    expect((await s.list(1)).map((item) => item.id)).toEqual([second.id]);
  });

  it('sets the TTL on the keys it writes, and forgets expired records', async () => {
    const namespace = freshQueueName('ns');
    const redis = client();
    const s = store({ namespace, connection: redis, ttlMs: 60_000 });
    const saved = record(Date.now());
    await s.save(saved);
    const ttl = await redis.pttl(`${namespace}:rec:${saved.id}`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await redis.pttl(`${namespace}:item:${saved.id}`)).toBeGreaterThan(50_000);

    const short = store({ namespace, ttlMs: 50 });
    const fleeting = record(Date.now() + 1);
    await short.save(fleeting);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await short.get(fleeting.id)).toBeUndefined();
    expect((await short.list()).map((item) => item.id)).toEqual([saved.id]);
  });

  it('trims the namespace to maxRecords, deleting the oldest records', async () => {
    const namespace = freshQueueName('ns');
    const redis = client();
    const s = store({ namespace, connection: redis, maxRecords: 3 });
    const records = [1, 2, 3, 4, 5].map((n) => record(Date.now() + n));
    for (const r of records) await s.save(r);
    expect((await s.list()).map((item) => item.id)).toEqual([records[4]!.id, records[3]!.id, records[2]!.id]);
    expect(await s.get(records[0]!.id)).toBeUndefined();
    expect(await redis.exists(`${namespace}:rec:${records[1]!.id}`, `${namespace}:item:${records[1]!.id}`)).toBe(0);
    expect(await redis.zcard(`${namespace}:requests`)).toBe(3);
  });

  it('stores a record over maxRecordBytes with its tasks cut rather than refusing it', async () => {
    const s = store({ namespace: freshQueueName('ns'), maxRecordBytes: 4096 });
    const big = record(Date.now(), 100);
    await s.save(big);
    const kept = (await s.get(big.id))!;
    expect(kept.tasks.length).toBeGreaterThan(0);
    expect(kept.tasks.length).toBeLessThan(100);
    expect(kept.droppedTasks).toBe(100 - kept.tasks.length);
    expect(JSON.stringify(kept).length).toBeLessThanOrEqual(4096);
    expect(kept.tooLarge).toEqual({ bytes: expect.any(Number), limit: 4096 });
    expect(big.tasks).toHaveLength(100);
  });

  it('writes only what changed when a record is saved again: a late save appends', async () => {
    const writer = client();
    const s = store({ namespace: freshQueueName('ns'), connection: writer });
    const big = record(Date.now(), 1000);
    await s.save(big);
    const socket = (writer as unknown as { stream: { write: (chunk: unknown, ...rest: unknown[]) => boolean } }).stream;
    const write = socket.write;
    let written = 0;
    socket.write = function (chunk: unknown, ...rest: unknown[]) {
      written += typeof chunk === 'string' ? chunk.length : (chunk as Buffer).length;
      return write.call(this, chunk, ...rest);
    };
    try {
      const late = { ...record(big.request.startedAt, 1).tasks[0]!, seq: 1001, late: true };
      big.tasks.push(late);
      await s.save(big, { changedTasks: [late] });
    } finally {
      socket.write = write;
    }
    expect(JSON.stringify(big).length).toBeGreaterThan(300_000);
    expect(written).toBeLessThan(5_000);
    const stored = (await s.get(big.id))!;
    expect(stored.tasks).toHaveLength(1001);
    expect(stored.tasks[1000]).toMatchObject({ seq: 1001, late: true });
  });

  it('refuses ids that are not safe in a key, and answers undefined for them', async () => {
    const s = store({ namespace: freshQueueName('ns') });
    await expect(s.save(record(1, 0, 'a:b*'))).rejects.toThrow('Expected record.id to be letters, digits, _ and - (at most 128), got "a:b*"');
    expect(await s.get('../x')).toBeUndefined();
    expect(await s.get('*')).toBeUndefined();
  });

  it('honours the keyPrefix of a client it is given', async () => {
    const namespace = freshQueueName('ns');
    const prefixed = client().duplicate({ keyPrefix: 'app:' });
    clients.push(prefixed);
    const s = store({ namespace, connection: prefixed, maxRecords: 1 });
    const [a, b] = [record(1), record(2)];
    await s.save(a);
    await s.save(b);
    const plain = client();
    expect(await plain.exists(`app:${namespace}:rec:${a.id}`)).toBe(0);
    expect(await plain.exists(`app:${namespace}:rec:${b.id}`)).toBe(1);
  });

  it('closes only the connection it created', async () => {
    const redis = client();
    await new RedisStore({ connection: redis }).close();
    expect(await redis.ping()).toBe('PONG');
    const own = new RedisStore({ connection: inject('redisUrl') });
    await own.list();
    await own.close();
  });

  it('rejects bad options with a precise TypeError', () => {
    expect(() => new RedisStore(undefined as never)).toThrow('Expected connection to be an ioredis client, a redis:// URL or ioredis options, got undefined');
    expect(() => new RedisStore({ connection: 'localhost' })).toThrow('Expected connection to be an ioredis client, a redis:// URL or ioredis options, got "localhost"');
    expect(() => new RedisStore({ connection: redisConnection(), namespace: 'has space' })).toThrow('Expected namespace to be letters, digits and _ . : { } - (at most 100), got "has space"');
    expect(() => new RedisStore({ connection: redisConnection(), ttlMs: 0 })).toThrow('Expected ttlMs to be an integer >= 1, got 0');
    expect(() => new RedisStore({ connection: redisConnection(), maxRecords: -5 })).toThrow('Expected maxRecords to be an integer >= 1, got -5');
    expect(() => new RedisStore({ connection: redisConnection(), maxRecordBytes: 10 })).toThrow('Expected maxRecordBytes to be an integer >= 1024, got 10');
  });
});
