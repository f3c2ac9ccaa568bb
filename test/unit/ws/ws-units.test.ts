import { describe, expect, it } from 'vitest';
import { decodeSocketIoFrame } from '../../../server-lib/src/ws/socketio-frame.js';
import { previewPayload } from '../../../server-lib/src/ws/payload.js';
import { resolveWsOptions } from '../../../server-lib/src/ws/options.js';
import { resolveOptions } from '../../../server-lib/src/core/options.js';

describe('decodeSocketIoFrame(text)', () => {
  it('decodes a socket.io event with namespace and ack id', () => {
    expect(decodeSocketIoFrame('42/orders,7["place",{"id":1}]')).toEqual({
      kind: 'socket.io', type: 'EVENT', namespace: '/orders', event: 'place', args: [{ id: 1 }], ackId: 7,
    });
  });
  it('decodes engine.io control packets and socket.io connects and acks', () => {
    expect(decodeSocketIoFrame('2')).toMatchObject({ kind: 'engine.io', type: 'ping', args: null });
    expect(decodeSocketIoFrame('0{"sid":"x"}')).toMatchObject({ kind: 'engine.io', type: 'open', args: { sid: 'x' } });
    expect(decodeSocketIoFrame('40')).toMatchObject({ kind: 'socket.io', type: 'CONNECT', namespace: '/' });
    expect(decodeSocketIoFrame('4312["ok"]')).toMatchObject({ type: 'ACK', ackId: 12, args: ['ok'] });
    expect(decodeSocketIoFrame('451-["upload",{"_placeholder":true,"num":0}]')).toMatchObject({ type: 'BINARY_EVENT', event: 'upload' });
  });
  it('leaves other text alone and survives broken JSON', () => {
    expect(decodeSocketIoFrame('hello')).toBeUndefined();
    expect(decodeSocketIoFrame('')).toBeUndefined();
    expect(decodeSocketIoFrame('42["x",')).toMatchObject({ type: 'EVENT', event: null, args: null });
  });
});

describe('previewPayload(data, binary, maxText, maxHex)', () => {
  it('keeps short text whole and cuts long text at a character boundary', () => {
    expect(previewPayload('hi', false, 10, 0)).toEqual({ size: 2, preview: 'hi', encoding: 'text', truncated: false });
    expect(previewPayload(Buffer.from('ééé'), false, 5, 0)).toEqual({ size: 6, preview: 'éé', encoding: 'text', truncated: true });
    expect(previewPayload('€€', false, 4, 0)).toMatchObject({ size: 6, preview: '€', truncated: true });
  });
  it('shows binary as hex only when enabled, from any buffer kind', () => {
    expect(previewPayload(Buffer.from([1, 2]), true, 10, 0)).toEqual({ size: 2, preview: null, encoding: null, truncated: true });
    expect(previewPayload(new Uint8Array([255, 1]).buffer, true, 10, 1)).toEqual({ size: 2, preview: 'ff', encoding: 'hex', truncated: true });
    expect(previewPayload([Buffer.from([1]), Buffer.from([2])], true, 10, 8)).toMatchObject({ size: 2, preview: '0102', truncated: false });
    expect(previewPayload(undefined, false, 10, 0)).toEqual({ size: 0, preview: null, encoding: null, truncated: false });
  });
});

describe('resolveWsOptions(ws)', () => {
  it('has the documented defaults and refuses bad values precisely', () => {
    expect(resolveOptions({}).ws).toEqual({
      instrument: true, maxConnections: 50, maxMessages: 100, maxTextBytes: 10240, maxBinaryPreviewBytes: 0, closedTtlMs: 3_600_000, saveIntervalMs: 500,
    });
    expect(() => resolveWsOptions({ maxMessages: 0 })).toThrow('Expected ws.maxMessages to be an integer >= 1, got 0');
    expect(() => resolveWsOptions({ instrument: 'no' })).toThrow('Expected ws.instrument to be a boolean, got "no"');
    expect(() => resolveWsOptions({ maxMesages: 5 })).toThrow(/^Expected ws\.maxMesages to be one of instrument, /);
    expect(() => resolveOptions({ ws: 3 as never })).toThrow('Expected ws to be an object, got 3');
  });
});
