import type { WsDecodedFrame } from '../protocol-ws.js';

const ENGINE_TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'];
const SOCKET_TYPES = ['CONNECT', 'DISCONNECT', 'EVENT', 'ACK', 'CONNECT_ERROR', 'BINARY_EVENT', 'BINARY_ACK'];
/** Longest frame worth parsing: its preview is what is decoded, so this bounds the work. */
const MAX_DECODED = 16 * 1024;
const SOCKET_HEADER = /^([0-6])(?:(\d+)-)?(\/[^,]*,)?(\d+)?/;

/**
 * Decodes an engine.io text frame (`4…` a message, `2` a ping) and the socket.io packet inside
 * a message (`42["order:place",{"id":1}]`). `undefined` when the text is not such a frame.
 * Engine.io v4 frames only; the caller decides whether the connection speaks it (its URL has `EIO=`).
 *
 * @example
 * ```ts
 * decodeSocketIoFrame('42/orders,7["place",{"id":1}]');
 * // { kind: 'socket.io', type: 'EVENT', namespace: '/orders', event: 'place', args: [{ id: 1 }], ackId: 7 }
 * ```
 */
export function decodeSocketIoFrame(text: string): WsDecodedFrame | undefined {
  if (text.length === 0 || text.length > MAX_DECODED) return undefined;
  const engineType = ENGINE_TYPES[text.charCodeAt(0) - 48];
  if (engineType === undefined) return undefined;
  const body = text.slice(1);
  if (engineType !== 'message') {
    return { kind: 'engine.io', type: engineType, namespace: null, event: null, args: body === '' ? null : parseJson(body), ackId: null };
  }
  const header = SOCKET_HEADER.exec(body);
  if (!header) return { kind: 'engine.io', type: 'message', namespace: null, event: null, args: body, ackId: null };
  const type = SOCKET_TYPES[Number(header[1])]!;
  const namespace = header[3] ? header[3].slice(0, -1) : '/';
  const ackId = header[4] !== undefined ? Number(header[4]) : null;
  const payload = body.slice(header[0].length);
  const args = payload === '' ? null : parseJson(payload);
  const isEvent = type === 'EVENT' || type === 'BINARY_EVENT';
  const event = isEvent && Array.isArray(args) && typeof args[0] === 'string' ? args[0] : null;
  return { kind: 'socket.io', type, namespace, event, args: isEvent && Array.isArray(args) ? args.slice(1) : args, ackId };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
