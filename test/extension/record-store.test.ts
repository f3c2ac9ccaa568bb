import { describe, expect, it } from 'vitest';
import { addHit, filterEntries, jobCount, patchEntry } from '../../extension/src/lib/record-store.js';
import type { TrackedResponse } from '../../extension/src/lib/headers.js';
import { makeRecord } from './fixtures.js';

function hit(id: string, startedAt: number, path = '/orders'): TrackedResponse {
  const recordUrl = `http://localhost:3000/__taskscope/requests/${id}`;
  return { id, origin: 'http://localhost:3000', recordUrl, statusUrl: `${recordUrl}/status`, method: 'POST', path, status: 201, startedAt, durationMs: 5, taskCount: 2, enqueueMs: 1 };
}

describe('the request list store', () => {
  it('lists newest first, also when older requests arrive late from getHAR()', () => {
    let list = addHit([], hit('bbbbbbbb', 200));
    list = addHit(list, hit('cccccccc', 300));
    list = addHit(list, hit('aaaaaaaa', 100));
    expect(list.map((e) => e.hit.id)).toEqual(['cccccccc', 'bbbbbbbb', 'aaaaaaaa']);
  });

  it('lists a response seen twice (live and in getHAR()) once', () => {
    const list = addHit([], hit('aaaaaaaa', 1));
    expect(addHit(list, hit('aaaaaaaa', 1))).toBe(list);
  });

  it('keeps at most the newest N requests', () => {
    let list = addHit([], hit('aaaaaaaa', 1));
    list = addHit(list, hit('bbbbbbbb', 2), 2);
    list = addHit(list, hit('cccccccc', 3), 2);
    expect(list.map((e) => e.hit.id)).toEqual(['cccccccc', 'bbbbbbbb']);
  });

  it('patches one entry and leaves the others untouched', () => {
    const list = addHit(addHit([], hit('aaaaaaaa', 1)), hit('bbbbbbbb', 2));
    const next = patchEntry(list, 'aaaaaaaa', { loading: false, record: makeRecord() });
    expect(next[0]).toBe(list[0]);
    expect(next[1]?.record?.summary.total).toBe(6);
    expect(jobCount(next[1]!)).toBe(6);
    expect(jobCount(next[0]!)).toBe(2);
  });

  it('filters by method, path, status and, once loaded, job and queue names', () => {
    let list = addHit(addHit([], hit('aaaaaaaa', 1, '/orders')), hit('bbbbbbbb', 2, '/cart'));
    list = patchEntry(list, 'bbbbbbbb', { record: makeRecord() });
    expect(filterEntries(list, 'ORDERS').map((e) => e.hit.id)).toEqual(['aaaaaaaa']);
    expect(filterEntries(list, 'send-receipt').map((e) => e.hit.id)).toEqual(['bbbbbbbb']);
    expect(filterEntries(list, '  ')).toHaveLength(2);
  });

  it('hides requests that enqueued nothing when asked, keeping those whose count is not known yet', () => {
    const favicon = { ...hit('aaaaaaaa', 3, '/favicon.ico'), taskCount: 0 };
    const cart = { ...hit('bbbbbbbb', 2, '/cart'), taskCount: 2 };
    const unknown = { ...hit('cccccccc', 1, '/orders'), taskCount: null };
    const list = addHit(addHit(addHit([], favicon), cart), unknown);
    expect(filterEntries(list, '', true).map((e) => e.hit.path)).toEqual(['/cart', '/orders']);
    expect(filterEntries(list, 'cart', true).map((e) => e.hit.path)).toEqual(['/cart']);
    expect(filterEntries(list, '', false)).toHaveLength(3);
  });
});
