import { describe, expect, it } from 'vitest';
import { addCallToSummary, addToSummary, createSummary, detectNPlusOne, MAX_TALLIES } from '../../server-lib/src/core/analyze.js';
import type { StackFrame, TaskRecord } from '../../server-lib/src/protocol.js';

const line45: StackFrame = { file: 'src/routes/orders.ts', line: 45, column: 9, function: 'createOrder' };
const line50: StackFrame = { file: 'src/routes/orders.ts', line: 50, column: 5, function: 'createOrder' };
let nextSeq = 1;

function task(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    seq: nextSeq++, jobId: '1', queue: 'emails', prefix: 'bull', name: 'send-receipt', via: 'add',
    data: {}, opts: {}, truncated: false, enqueuedAt: 0, offsetMs: 0, enqueueMs: 1, callSeq: 1, callSize: 1, delayMs: 0,
    scheduledFor: null, late: false, error: null, duplicate: null, duplicateOf: null, jobTimestamp: null, parent: null,
    schedulerId: null, origin: line45, stack: [line45], ...overrides,
  };
}

describe('createSummary()', () => {
  it('starts at zero', () => {
    expect(createSummary()).toEqual({
      total: 0, jobs: 0, duplicates: 0, calls: 0, immediate: 0, delayed: 0, failed: 0, late: 0, enqueueMs: 0,
      byQueue: {}, byName: {}, untallied: 0,
    });
  });
});

describe('addToSummary()', () => {
  it('counts each add as immediate or delayed, late ones also as late, and tallies queues and names', () => {
    const summary = createSummary();
    addToSummary(summary, task());
    addToSummary(summary, task({ delayMs: 5000, name: 'reminder' }));
    addToSummary(summary, task({ queue: 'sms' }));
    addToSummary(summary, task({ late: true, delayMs: 10, queue: 'sms' }));
    expect(summary).toMatchObject({
      total: 4, jobs: 4, immediate: 2, delayed: 2, failed: 0, late: 1, enqueueMs: 0,
      byQueue: { emails: { count: 2, enqueueMs: 0 }, sms: { count: 2, enqueueMs: 0 } },
      byName: { 'send-receipt': { count: 3, enqueueMs: 0 }, reminder: { count: 1, enqueueMs: 0 } },
    });
  });

  it('keeps queue and job names like __proto__ and constructor as ordinary entries', () => {
    const summary = createSummary();
    addToSummary(summary, task({ queue: '__proto__', name: 'constructor' }));
    addToSummary(summary, task({ queue: '__proto__', name: 'toString' }));
    expect(JSON.stringify(summary.byQueue)).toBe('{"__proto__":{"count":2,"enqueueMs":0}}');
    expect(Object.keys(summary.byName)).toEqual(['constructor', 'toString']);
    expect(({} as Record<string, unknown>).count).toBeUndefined();
  });

  it('tallies at most MAX_TALLIES queues and names; the rest are counted as untallied', () => {
    const summary = createSummary();
    for (let i = 0; i < MAX_TALLIES + 50; i += 1) addToSummary(summary, task({ name: `name-${i}` }));
    expect(Object.keys(summary.byName)).toHaveLength(MAX_TALLIES);
    expect(summary.untallied).toBe(50);
    expect(summary.total).toBe(MAX_TALLIES + 50);
  });
});

describe('addCallToSummary()', () => {
  it('counts one call\'s time once in the total, and once per queue and per name it enqueued', () => {
    const summary = createSummary();
    const parent = task({ queue: 'orders', name: 'ship' });
    const children = [task({ queue: 'labels', name: 'print' }), task({ queue: 'labels', name: 'print' })];
    for (const t of [parent, ...children]) addToSummary(summary, t);
    addCallToSummary(summary, [parent, ...children], 8.9);
    expect(summary.enqueueMs).toBe(8.9);
    expect(summary.byQueue).toEqual({ orders: { count: 1, enqueueMs: 8.9 }, labels: { count: 2, enqueueMs: 8.9 } });
    expect(summary.byName).toEqual({ ship: { count: 1, enqueueMs: 8.9 }, print: { count: 2, enqueueMs: 8.9 } });
  });
});

describe('detectNPlusOne()', () => {
  it('groups jobs of one queue and name added one by one from the same line', () => {
    const tasks = [task(), task({ enqueueMs: 2 }), task({ name: 'other' }), task({ enqueueMs: 3 })];
    const groups = detectNPlusOne(tasks, 3);
    expect(groups).toEqual([{
      queue: 'emails', name: 'send-receipt', origin: line45, count: 3, enqueueMs: 6,
      seqs: [tasks[0]!.seq, tasks[1]!.seq, tasks[3]!.seq],
      suggestion: 'Batch them with queue.addBulk([...]): one round trip instead of 3.',
    }]);
  });

  it('needs the threshold to be reached', () => {
    expect(detectNPlusOne([task(), task()], 3)).toEqual([]);
    expect(detectNPlusOne([task(), task()], 2)).toHaveLength(1);
  });

  it('keeps different lines, queues and names apart, biggest group first', () => {
    const tasks = [
      task(), task(), task(),
      task({ origin: line50 }), task({ origin: line50 }), task({ origin: line50 }), task({ origin: line50 }),
      task({ queue: 'sms' }), task({ queue: 'sms' }),
    ];
    const groups = detectNPlusOne(tasks, 3);
    expect(groups.map((group) => [group.origin?.line, group.count])).toEqual([[50, 4], [45, 3]]);
  });

  it('groups by queue and name alone when stacks are off', () => {
    const tasks = [task({ origin: null }), task({ origin: null }), task({ origin: null })];
    const [group] = detectNPlusOne(tasks, 3);
    expect(group).toMatchObject({ origin: null, count: 3 });
    expect(group!.suggestion).toBe('Batch them with queue.addBulk([...]): one round trip instead of 3.');
  });

  it('never flags jobs already batched by addBulk, flows or job schedulers', () => {
    const tasks = (['addBulk', 'flow', 'scheduler'] as const).flatMap((via) => [task({ via }), task({ via }), task({ via })]);
    expect(detectNPlusOne(tasks, 3)).toEqual([]);
  });
});
