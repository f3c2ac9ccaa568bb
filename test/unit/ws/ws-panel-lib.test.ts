import { describe, expect, it } from 'vitest';
import type { WsConnectionRecord, WsMessage } from 'taskscope/protocol';
import { pageSocketFromHar } from '../../../extension/src/lib/ws-har.js';
import { mergeConnection, refetchSince } from '../../../extension/src/lib/ws-api.js';
import { formatBytes, messageJson, messageSummary } from '../../../extension/src/lib/ws-format.js';

const ID = '0b7c5d3e-1f2a-4b3c-8d4e-5f6a7b8c9d0e';

function message(seq: number, patch: Partial<WsMessage> = {}): WsMessage {
  return {
    seq, direction: 'in', opcode: 'text', at: 0, size: 1, preview: `m${seq}`, encoding: 'text', truncated: false,
    closeCode: null, decoded: null, handlerMs: null, settledMs: null, record: null, ...patch,
  };
}

function connection(messages: WsMessage[], since: number | null): WsConnectionRecord {
  return { id: ID, since, messages, lastSeq: messages.at(-1)?.seq ?? 0 } as WsConnectionRecord;
}

describe('pageSocketFromHar(entry)', () => {
  const entry = (url: string, headers: Array<{ name: string; value: string }>) => ({ request: { method: 'GET', url }, response: { status: 101, headers } });
  it('finds the page\'s recorded WebSocket, its server origin and the API prefix', () => {
    expect(pageSocketFromHar(entry('ws://localhost:3000/desk?token=x', [{ name: 'X-Debug-Id', value: ID }, { name: 'X-Debug-Url', value: `/debug/ws/${ID}` }])))
      .toEqual({ id: ID, origin: 'http://localhost:3000', prefix: '/debug' });
    expect(pageSocketFromHar(entry('wss://shop.test/live', [{ name: 'x-debug-id', value: ID }]))).toEqual({ id: ID, origin: 'https://shop.test', prefix: '/__taskscope' });
  });
  it('ignores HTTP requests, sockets without the header, hostile ids and foreign URLs', () => {
    expect(pageSocketFromHar(entry('http://localhost:3000/', [{ name: 'X-Debug-Id', value: ID }]))).toBeNull();
    expect(pageSocketFromHar(entry('ws://localhost:3000/', []))).toBeNull();
    expect(pageSocketFromHar(entry('ws://localhost:3000/', [{ name: 'X-Debug-Id', value: '../../etc' }]))).toBeNull();
    expect(pageSocketFromHar(entry('ws://a/', [{ name: 'X-Debug-Id', value: ID }, { name: 'X-Debug-Url', value: `//evil.test/ws/${ID}` }]))!.prefix).toBe('/__taskscope');
  });
});

describe('mergeConnection(current, update, max)', () => {
  it('appends the messages of a since answer, replaces re-sent ones and keeps the newest max', () => {
    const current = connection([message(1), message(2), message(3)], null);
    const merged = mergeConnection(current, connection([message(3, { preview: 'again' }), message(4)], 2), 3);
    expect(merged.messages.map((m) => m.preview)).toEqual(['m2', 'again', 'm4']);
    expect(merged.since).toBeNull();
  });
  it('takes a full answer as it is', () => {
    const full = connection([message(9)], null);
    expect(mergeConnection(connection([message(1)], null), full, 100)).toBe(full);
  });
});

describe('refetchSince(connection, now)', () => {
  const record = (lateUntil: number | null) => ({ lateUntil }) as WsMessage['record'];
  it('asks only for newer messages once every listed one is settled', () => {
    const settled = connection([message(1, { record: record(500) }), message(2, { at: 100 }), message(3, { direction: 'out', at: 900 })], null);
    expect(refetchSince(settled, 5_000)).toBe(3);
  });
  it('asks again for a message whose late window is open, so its job count is never left stale', () => {
    const live = connection([message(1, { record: record(500) }), message(2, { record: record(60_000) }), message(3, { record: record(null) })], null);
    expect(refetchSince(live, 5_000)).toBe(1);
  });
  it('asks again for a fresh message without jobs yet, for a while', () => {
    const fresh = connection([message(1, { at: 4_500 }), message(2, { direction: 'out', at: 4_900 })], null);
    expect(refetchSince(fresh, 5_000)).toBe(0);
    expect(refetchSince(fresh, 9_000)).toBe(2);
  });
  it('asks again for at most the 50 newest messages', () => {
    const chatty = connection(Array.from({ length: 100 }, (_, i) => message(i + 1, { record: record(null) })), null);
    expect(refetchSince(chatty, 0)).toBe(50);
  });
});

describe('ws-format', () => {
  it('summarizes messages and reads JSON for the tree, never more', () => {
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(messageSummary(message(1, { opcode: 'close', preview: 'idle', closeCode: 4000 }))).toBe('close 4000 idle');
    expect(messageSummary(message(1, { opcode: 'binary', preview: null, encoding: null, size: 8 }))).toBe('binary (8 B)');
    expect(messageSummary(message(1, { decoded: { kind: 'socket.io', type: 'EVENT', namespace: '/', event: 'bid', args: [], ackId: null } }))).toBe('EVENT bid');
    expect(messageJson(message(1, { preview: '{"a":[1,2]}' }))).toEqual({ a: [1, 2] });
    expect(messageJson(message(1, { preview: '{"a":', truncated: true }))).toBeUndefined();
    expect(messageJson(message(1, { preview: '<img src=x onerror=alert(1)>' }))).toBeUndefined();
  });
});
