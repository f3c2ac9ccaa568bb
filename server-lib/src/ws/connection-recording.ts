import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { PROTOCOL_VERSION, type RequestRecord } from '../protocol.js';
import type { WsCloseSide, WsConnectionItem, WsConnectionRecord, WsDirection, WsMessage, WsOpcode, WsState } from '../protocol-ws.js';
import { clip } from '../core/clip.js';
import type { ResolvedWsOptions } from './options.js';
import { previewPayload } from './payload.js';
import { decodeSocketIoFrame } from './socketio-frame.js';

const MAX_ERRORS = 10;
const MAX_REASON = 200;

/** Told when a connection's record changed, so a shared store can write it (throttled). */
export type ChangeListener = (connection: WsConnectionRecording) => void;

/**
 * The record of one WebSocket connection as it happens: handshake, state, close, errors, and a
 * ring buffer of its newest messages. Instrumentation calls it; it never throws into the app.
 *
 * @example
 * ```ts
 * const connection = new WsConnectionRecording(options, { url: '/live', headers: {}, … }, onChange);
 * connection.opened('chat');
 * connection.message('in', 'text', '{"cmd":"place"}', false);
 * ```
 */
export class WsConnectionRecording {
  readonly id = randomUUID();
  readonly record: WsConnectionRecord;
  /** Whether the app asked to close first (set by `close()` / `terminate()` while open). */
  private closeSide: WsCloseSide | undefined;
  private readonly openedPerf = performance.now();
  private readonly decodeFrames: boolean;
  private readonly countedTasks = new WeakMap<WsMessage, number>();

  constructor(
    private readonly options: ResolvedWsOptions,
    handshake: Pick<WsConnectionRecord, 'url' | 'origin' | 'remoteAddress' | 'headers'>,
    private readonly onChange: ChangeListener,
  ) {
    this.decodeFrames = /[?&]EIO=4(&|$)/.test(handshake.url);
    this.record = {
      version: PROTOCOL_VERSION, id: this.id, ...handshake, protocol: null, state: 'connecting',
      openedAt: Date.now(), closedAt: null, durationMs: null, close: null, rejected: null,
      messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, taskCount: 0, droppedMessages: 0,
      lastSeq: 0, revision: 0, errors: [], messages: [], since: null,
    };
  }

  get state(): WsState {
    return this.record.state;
  }

  opened(protocol: string | null): void {
    this.record.protocol = protocol;
    this.setState('open');
  }

  rejected(status: number, reason: string): void {
    this.record.rejected = { status, reason: clip(reason, MAX_REASON) };
    this.ended('rejected');
  }

  /** The app called `close()` or `terminate()`: unless the client's close frame came first, the server closes. */
  closing(side: WsCloseSide): void {
    this.closeSide ??= side;
    if (this.record.state === 'open' || this.record.state === 'connecting') this.setState('closing');
  }

  closed(code: number, reason: string): void {
    const side = this.closeSide ?? 'abnormal';
    this.record.close = { code: code === 1005 ? null : code, reason: clip(reason, MAX_REASON), side: code === 1006 ? 'abnormal' : side };
    this.ended('closed');
  }

  error(error: unknown): void {
    const errors = this.record.errors;
    if (errors.length >= MAX_ERRORS) return;
    const message = error instanceof Error ? error.message : String(error);
    errors.push({ at: Date.now(), message: clip(message, MAX_REASON) });
    this.changed();
  }

  /** Records one frame; returns it so a received message can get its handler time and jobs. */
  message(direction: WsDirection, opcode: WsOpcode, data: unknown, binary: boolean, closeCode: number | null = null): WsMessage {
    const { record, options } = this;
    const payload = previewPayload(data, binary, options.maxTextBytes, options.maxBinaryPreviewBytes);
    record.lastSeq += 1;
    const message: WsMessage = {
      seq: record.lastSeq, direction, opcode, at: Date.now(), size: payload.size, preview: payload.preview,
      encoding: payload.encoding, truncated: payload.truncated, closeCode,
      decoded: this.decodeFrames && opcode === 'text' && !payload.truncated && payload.preview !== null
        ? decodeSocketIoFrame(payload.preview) ?? null : null,
      handlerMs: null, settledMs: null, record: null,
    };
    if (direction === 'in') {
      record.messagesIn += 1;
      record.bytesIn += payload.size;
    } else {
      record.messagesOut += 1;
      record.bytesOut += payload.size;
    }
    if (record.messages.length >= options.maxMessages) {
      record.messages.shift();
      record.droppedMessages += 1;
    }
    record.messages.push(message);
    this.changed();
    return message;
  }

  handled(message: WsMessage, handlerMs: number): void {
    message.handlerMs = round(handlerMs);
    this.changed();
  }

  /** A received message's jobs were (re)recorded: keep its record and the settle time. */
  jobsRecorded(message: WsMessage, jobs: RequestRecord): void {
    // The same record object comes back with every save of it, grown: count only what is new.
    const counted = this.countedTasks.get(message) ?? 0;
    message.record = jobs;
    this.record.taskCount += jobs.summary.total - counted;
    this.countedTasks.set(message, jobs.summary.total);
    let settledAt = 0;
    for (const task of jobs.tasks) settledAt = Math.max(settledAt, task.enqueuedAt + task.enqueueMs);
    if (settledAt > 0) message.settledMs = round(Math.max(0, settledAt - message.at));
    this.changed();
  }

  /** The list line of this connection. */
  item(): WsConnectionItem {
    const { version: _v, headers: _h, errors: _e, messages: _m, since: _s, ...item } = this.record;
    return item;
  }

  private ended(state: 'closed' | 'rejected'): void {
    this.record.closedAt = Date.now();
    this.record.durationMs = round(performance.now() - this.openedPerf);
    this.setState(state);
  }

  private setState(state: WsState): void {
    this.record.state = state;
    this.changed();
  }

  private changed(): void {
    this.record.revision += 1;
    this.onChange(this);
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
