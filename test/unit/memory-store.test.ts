import { describe, expect, it } from 'vitest';
import { createSummary } from '../../server-lib/src/core/analyze.js';
import { PROTOCOL_VERSION, type RequestRecord, type TaskRecord } from '../../server-lib/src/protocol.js';
import { MemoryStore } from '../../server-lib/src/store/memory-store.js';
import { fitRecord, toListItem } from '../../server-lib/src/store/store.js';

function record(id: string, startedAt: number, taskCount = 0): RequestRecord {
  const tasks = Array.from({ length: taskCount }, (_, i): TaskRecord => ({
    seq: i + 1, jobId: String(i), queue: 'emails', prefix: 'bull', name: 'send', via: 'add', data: { i, text: 'x'.repeat(100) },
    opts: {}, truncated: false, enqueuedAt: startedAt, offsetMs: 0, enqueueMs: 0.1, callSeq: i + 1, callSize: 1, delayMs: 0, scheduledFor: null,
    late: false, error: null, duplicate: null, duplicateOf: null, jobTimestamp: null, parent: null, schedulerId: null, origin: null, stack: [],
  }));
  const summary = { ...createSummary(), total: taskCount, immediate: taskCount };
  return {
    version: PROTOCOL_VERSION, id, request: { method: 'GET', url: `/r/${id}`, status: 200, startedAt, durationMs: 1 },
    summary, tasks, nPlusOne: [], droppedTasks: 0, revision: 1, lateUntil: null,
  };
}

describe('toListItem()', () => {
  it('describes a record in one line', () => {
    const item = toListItem({ ...record('a', 5, 2), droppedTasks: 3, summary: { ...createSummary(), total: 5 } });
    expect(item).toEqual({ id: 'a', method: 'GET', url: '/r/a', status: 200, startedAt: 5, durationMs: 1, taskCount: 5, nPlusOneCount: 0 });
  });
});

describe('fitRecord()', () => {
  it('cuts the tasks that do not fit and counts them as dropped, leaving the record unchanged', () => {
    const big = record('a', 1, 20);
    const full = JSON.stringify(big).length;
    const fitted = fitRecord(big, Math.floor(full / 2))!;
    expect(fitted.json.length).toBeLessThanOrEqual(full / 2);
    expect(fitted.record.tasks.length).toBeGreaterThan(0);
    expect(fitted.record.tasks.length + fitted.record.droppedTasks).toBe(20);
    expect(big.tasks).toHaveLength(20);
    expect(fitRecord(big, full)!.record).toBe(big);
    expect(fitRecord(big, 10)).toBeUndefined();
  });
});

describe('MemoryStore', () => {
  it('returns the saved record object itself', async () => {
    const store = new MemoryStore();
    const saved = record('a', 1);
    await store.save(saved);
    expect(await store.get('a')).toBe(saved);
    expect(await store.get('missing')).toBeUndefined();
  });

  it('replaces a record saved again under the same id and re-accounts its bytes', async () => {
    const store = new MemoryStore();
    await store.save(record('a', 1), { bytes: 100 });
    const again = record('a', 1, 3);
    await store.save(again, { bytes: 250 });
    expect(await store.get('a')).toBe(again);
    expect(store.stats).toEqual({ records: 1, bytes: 250, evicted: 0 });
  });

  it('estimates bytes from the JSON length when not given', async () => {
    const store = new MemoryStore();
    const saved = record('a', 1, 2);
    await store.save(saved);
    expect(store.stats.bytes).toBe(JSON.stringify(saved).length);
  });

  it('lists newest first by start time, up to a limit', async () => {
    const store = new MemoryStore();
    await store.save(record('old', 100));
    await store.save(record('new', 300));
    await store.save(record('mid', 200));
    expect((await store.list()).map((item) => item.id)).toEqual(['new', 'mid', 'old']);
    expect((await store.list(2)).map((item) => item.id)).toEqual(['new', 'mid']);
  });

  it('evicts the least recently saved records past maxRecords', async () => {
    const store = new MemoryStore({ maxRecords: 2 });
    await store.save(record('a', 1));
    await store.save(record('b', 2));
    await store.save(record('a', 1));
    await store.save(record('c', 3));
    expect(await store.get('b')).toBeUndefined();
    expect((await store.list()).map((item) => item.id)).toEqual(['c', 'a']);
    expect(store.stats).toMatchObject({ records: 2, evicted: 1 });
  });

  it('evicts the oldest records to stay under maxBytes', async () => {
    const store = new MemoryStore({ maxBytes: 1000 });
    for (const id of ['a', 'b', 'c', 'd']) await store.save(record(id, 1), { bytes: 300 });
    expect(store.stats).toEqual({ records: 3, bytes: 900, evicted: 1 });
    expect(await store.get('a')).toBeUndefined();
  });

  it('keeps a record bigger than maxBytes alone, without the tasks that do not fit', async () => {
    const store = new MemoryStore({ maxBytes: 2000 });
    await store.save(record('small', 1));
    await store.save(record('huge', 2, 50));
    const kept = (await store.get('huge'))!;
    expect(kept.tasks.length).toBeLessThan(50);
    expect(kept.tasks.length + kept.droppedTasks).toBe(50);
    expect(store.stats.bytes).toBeLessThanOrEqual(2000);
  });

  it('forgets records older than ttlMs', async () => {
    let now = 1_000;
    const store = new MemoryStore({ ttlMs: 500, now: () => now });
    await store.save(record('a', 1));
    now += 300;
    await store.save(record('b', 2));
    now += 250;
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('b')).toBeDefined();
    expect((await store.list()).map((item) => item.id)).toEqual(['b']);
    expect(store.stats.records).toBe(1);
    now += 1_000;
    expect(await store.list()).toEqual([]);
  });

  it('forgets records with the real clock too', async () => {
    const store = new MemoryStore({ ttlMs: 30 });
    await store.save(record('a', 1));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await store.get('a')).toBeUndefined();
  });

  it('rejects bad options with a precise TypeError', () => {
    expect(() => new MemoryStore({ maxRecords: 0 })).toThrow('Expected maxRecords to be an integer >= 1, got 0');
    expect(() => new MemoryStore({ maxBytes: 1.5 })).toThrow('Expected maxBytes to be an integer >= 1, got 1.5');
    expect(() => new MemoryStore({ ttlMs: '1h' as never })).toThrow('Expected ttlMs to be an integer >= 1, got "1h"');
    expect(() => new MemoryStore({ now: 5 as never })).toThrow('Expected now to be a function returning epoch ms, got 5');
    expect(() => new MemoryStore([] as never)).toThrow('Expected options to be an object, got an array');
  });

  it('reads one record out of 1,000 quickly', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 1000; i += 1) await store.save(record(`r${i}`, i, 5));
    expect(store.stats.records).toBe(1000);
    expect((await store.get('r500'))?.id).toBe('r500');
    expect((await store.list(5)).map((item) => item.id)).toEqual(['r999', 'r998', 'r997', 'r996', 'r995']);
  });

  it('keeps exactly the most recently saved records through a long run of saves and re-saves', async () => {
    const store = new MemoryStore({ maxRecords: 50 });
    const model: string[] = []; // ids, least recently saved first
    let state = 7;
    const random = () => (state = (state * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 20_000; i += 1) {
      // Mostly new records, sometimes one saved again (a late job), as a busy app does.
      const id = random() < 0.2 && model.length > 0 ? model[Math.floor(random() * model.length)]! : `r${i}`;
      await store.save(record(id, i));
      const at = model.indexOf(id);
      if (at !== -1) model.splice(at, 1);
      model.push(id);
      if (model.length > 50) model.shift();
    }
    expect(store.stats.records).toBe(50);
    for (const id of model) expect((await store.get(id))?.id).toBe(id);
    expect(await store.get('r0')).toBeUndefined();
  });
});
