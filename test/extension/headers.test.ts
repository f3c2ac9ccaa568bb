import { describe, expect, it } from 'vitest';
import * as protocol from 'taskscope/protocol';
import { parseServerTiming } from '../../extension/src/lib/server-timing.js';
import {
  DEBUG_ID_HEADER, DEBUG_URL_HEADER, DEFAULT_PREFIX, SERVER_TIMING_HEADER, SERVER_TIMING_ID_ENTRY,
  SERVER_TIMING_TASKS_ENTRY, SUPPORTED_VERSION, trackedFromHar, type HarEntryLike,
} from '../../extension/src/lib/headers.js';

const ID = '6f1c2a4e-9a3b-4c55-8d1e-0123456789ab';

function har(headers: Record<string, string> | Array<[string, string]>, url = 'http://localhost:3000/orders?x=1'): HarEntryLike {
  const list = Array.isArray(headers) ? headers : Object.entries(headers);
  return {
    startedDateTime: '2025-11-23T12:00:00.000Z',
    time: 24.5,
    request: { method: 'POST', url },
    response: { status: 201, headers: list.map(([name, value]) => ({ name, value })) },
  };
}

describe('the panel mirrors the protocol', () => {
  it('uses the same header names, prefix and version as taskscope/protocol', () => {
    expect(DEBUG_ID_HEADER).toBe(protocol.DEBUG_ID_HEADER.toLowerCase());
    expect(DEBUG_URL_HEADER).toBe(protocol.DEBUG_URL_HEADER.toLowerCase());
    expect(SERVER_TIMING_HEADER).toBe(protocol.SERVER_TIMING_HEADER.toLowerCase());
    expect(SERVER_TIMING_ID_ENTRY).toBe(protocol.SERVER_TIMING_ID_ENTRY);
    expect(SERVER_TIMING_TASKS_ENTRY).toBe(protocol.SERVER_TIMING_TASKS_ENTRY);
    expect(DEFAULT_PREFIX).toBe(protocol.DEFAULT_PREFIX);
    expect(SUPPORTED_VERSION).toBe(protocol.PROTOCOL_VERSION);
  });
});

describe('parseServerTiming(value)', () => {
  it('reads dur and desc of each entry', () => {
    expect(parseServerTiming(`db;dur=12.5, tasks;dur=2.1;desc="3 tasks", taskscope;desc="${ID}"`)).toEqual([
      { name: 'db', dur: 12.5, desc: null },
      { name: 'tasks', dur: 2.1, desc: '3 tasks' },
      { name: 'taskscope', dur: null, desc: ID },
    ]);
  });

  it('keeps quoted commas and escapes inside desc, and tolerates odd spacing', () => {
    expect(parseServerTiming(' cache ; desc = "hit, \\"warm\\"" ;dur=0 ,  miss')).toEqual([
      { name: 'cache', dur: 0, desc: 'hit, "warm"' },
      { name: 'miss', dur: null, desc: null },
    ]);
  });

  it('skips garbage without losing the entries after it', () => {
    const entries = parseServerTiming(`;;, ="x", tasks;dur=abc;desc=4, taskscope;desc=${ID}`);
    expect(entries.find((e) => e.name === 'tasks')).toEqual({ name: 'tasks', dur: null, desc: '4' });
    expect(entries.find((e) => e.name === 'taskscope')?.desc).toBe(ID);
  });

  it('returns nothing for an empty header', () => {
    expect(parseServerTiming('')).toEqual([]);
  });
});

describe('trackedFromHar(entry)', () => {
  it('prefers X-Debug-Url, resolved against the request origin', () => {
    const hit = trackedFromHar(
      har({ 'X-Debug-Id': ID, 'X-Debug-Url': `/api/__ts/requests/${ID}`, 'Server-Timing': `tasks;dur=2.1;desc="3 tasks", taskscope;desc="${ID}"` }),
    );
    expect(hit).toMatchObject({
      id: ID,
      origin: 'http://localhost:3000',
      recordUrl: `http://localhost:3000/api/__ts/requests/${ID}`,
      statusUrl: `http://localhost:3000/api/__ts/requests/${ID}/status`,
      method: 'POST',
      path: '/orders?x=1',
      status: 201,
      taskCount: 3,
      enqueueMs: 2.1,
      durationMs: 24.5,
      startedAt: Date.parse('2025-11-23T12:00:00.000Z'),
    });
  });

  it('finds the id in Server-Timing alone, merged with the app own entries', () => {
    const hit = trackedFromHar(har([['server-timing', 'app;dur=3'], ['server-timing', `tasks;dur=1;desc="1 tasks", taskscope;desc="${ID}"`]]));
    expect(hit?.id).toBe(ID);
    expect(hit?.recordUrl).toBe(`http://localhost:3000/__taskscope/requests/${ID}`);
    expect(hit?.taskCount).toBe(1);
  });

  it('ignores an X-Debug-Url pointing at another origin', () => {
    const hit = trackedFromHar(har({ 'x-debug-id': ID, 'x-debug-url': `http://evil.example/collect/${ID}` }));
    expect(hit?.recordUrl).toBe(`http://localhost:3000/__taskscope/requests/${ID}`);
  });

  it('ignores responses without Taskscope headers or with an id that is not a plain token', () => {
    expect(trackedFromHar(har({ 'content-type': 'text/html', 'server-timing': 'db;dur=1' }))).toBeNull();
    expect(trackedFromHar(har({ 'x-debug-id': '../../etc/passwd' }))).toBeNull();
    expect(trackedFromHar(har({ 'x-debug-id': ID }, 'data:text/plain,hi'))).toBeNull();
  });
});
