import type { RequestRecord } from '../protocol.js';
import type { WsDirection, WsMessage, WsOpcode } from '../protocol-ws.js';
import type { ResolvedWsOptions } from './options.js';
import { keepPayload, previewKept, type KeptPayload } from './payload.js';
import { decodeSocketIoFrame } from './socketio-frame.js';

/**
 * One frame of a connection as it is kept between reads: fixed fields and a bounded copy of its
 * payload, made on every frame the app receives or sends, so it does only that. What the wire
 * contract shows of it (preview, decoded socket.io frame, rounded times) is made by
 * {@link KeptMessage.view} when a record is read.
 *
 * @example
 * ```ts
 * const message = new KeptMessage(1, 'in', 'text', Buffer.from('42["x"]'), false, null, options);
 * message.view(true, options).decoded; // { kind: 'socket.io', type: 'EVENT', event: 'x', … }
 * ```
 */
export class KeptMessage implements KeptPayload {
  readonly at = Date.now();
  size = 0;
  kept: string | null = null;
  keptIsBytes = false;
  /** Received messages: the listeners' synchronous time, unrounded. */
  handlerMs: number | null = null;
  settledMs: number | null = null;
  /** The jobs its listeners enqueued, and how many of them the connection's `taskCount` has. */
  record: RequestRecord | null = null;
  counted = 0;

  constructor(
    readonly seq: number,
    readonly direction: WsDirection,
    readonly opcode: WsOpcode,
    data: unknown,
    readonly binary: boolean,
    readonly closeCode: number | null,
    options: ResolvedWsOptions,
  ) {
    keepPayload(this, data, binary, options.maxTextBytes, options.maxBinaryPreviewBytes);
  }

  /** The message as `GET {prefix}/ws/{id}` shows it; socket.io frames decoded when `decodeFrames`. */
  view(decodeFrames: boolean, options: ResolvedWsOptions): WsMessage {
    const payload = previewKept(this, this.binary, options.maxTextBytes, options.maxBinaryPreviewBytes);
    return {
      seq: this.seq, direction: this.direction, opcode: this.opcode, at: this.at, size: payload.size, preview: payload.preview,
      encoding: payload.encoding, truncated: payload.truncated, closeCode: this.closeCode,
      decoded: decodeFrames && this.opcode === 'text' && !payload.truncated && payload.preview !== null
        ? decodeSocketIoFrame(payload.preview) ?? null : null,
      handlerMs: this.handlerMs === null ? null : round(this.handlerMs), settledMs: this.settledMs, record: this.record,
    };
  }
}

/** Milliseconds to the µs, as every duration of the protocol. */
export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
