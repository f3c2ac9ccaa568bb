import { newRecordId } from '../core/record-id.js';
import { performance } from 'node:perf_hooks';
import { PROTOCOL_VERSION, type RequestRecord } from '../protocol.js';
import type { WsCloseSide, WsConnectionItem, WsConnectionRecord, WsDirection, WsOpcode, WsState } from '../protocol-ws.js';
import { clip } from '../core/clip.js';
import { MessageLog } from './message-log.js';
import type { ResolvedWsOptions } from './options.js';

const MAX_ERRORS = 10;
const MAX_REASON = 200;

/** Told when a connection's record changed, so a shared store can write it (throttled). */
export type ChangeListener = (connection: WsConnectionRecording) => void;

/** A connection's record without its messages, which are kept apart until it is read. */
export type WsConnectionHead = Omit<WsConnectionRecord, 'messages'>;

/**
 * The record of one WebSocket connection as it happens: handshake, state, close, errors, and a
 * ring buffer of its newest messages. Instrumentation calls it; it never throws into the app.
 * A frame costs a few numbers and a bounded copy of its bytes in a {@link MessageLog}; the
 * record the API answers is made by {@link WsConnectionRecording.snapshot} when read.
 *
 * @example
 * ```ts
 * const connection = new WsConnectionRecording(options, { url: '/live', headers: {}, … }, onChange);
 * connection.opened('chat');
 * connection.message('in', 'text', '{"cmd":"place"}', false);
 * connection.snapshot().messages[0].preview; // '{"cmd":"place"}'
 * ```
 */
export class WsConnectionRecording {
  readonly id = newRecordId();
  readonly head: WsConnectionHead;
  /** Whether the app asked to close first (set by `close()` / `terminate()` while open). */
  private closeSide: WsCloseSide | undefined;
  private readonly openedPerf = performance.now();
  /** socket.io / engine.io frames are decoded (when read) on connections whose URL says `EIO=4`. */
  private readonly decodeFrames: boolean;
  private readonly messages: MessageLog;

  /** `onChange` only when a shared store writes connections: a MemoryStore reads the live record. */
  constructor(
    private readonly options: ResolvedWsOptions,
    handshake: Pick<WsConnectionRecord, 'url' | 'origin' | 'remoteAddress' | 'headers'>,
    private readonly onChange: ChangeListener | undefined,
  ) {
    this.decodeFrames = /[?&]EIO=4(&|$)/.test(handshake.url);
    this.messages = new MessageLog(options);
    this.head = {
      version: PROTOCOL_VERSION, id: this.id, ...handshake, protocol: null, state: 'connecting',
      openedAt: Date.now(), closedAt: null, durationMs: null, close: null, rejected: null,
      messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, taskCount: 0, droppedMessages: 0,
      lastSeq: 0, revision: 0, errors: [], since: null,
    };
  }

  /** The record as `GET {prefix}/ws/{id}` answers it, messages oldest first (a copy). */
  snapshot(): WsConnectionRecord {
    return { ...this.head, errors: [...this.head.errors], messages: this.messages.views(this.decodeFrames) };
  }

  get state(): WsState {
    return this.head.state;
  }

  opened(protocol: string | null): void {
    this.head.protocol = protocol;
    this.setState('open');
  }

  rejected(status: number, reason: string): void {
    this.head.rejected = { status, reason: clip(reason, MAX_REASON) };
    this.ended('rejected');
  }

  /** The app called `close()` or `terminate()`: unless the client's close frame came first, the server closes. */
  closing(side: WsCloseSide): void {
    this.closeSide ??= side;
    if (this.head.state === 'open' || this.head.state === 'connecting') this.setState('closing');
  }

  closed(code: number, reason: string): void {
    const side = this.closeSide ?? 'abnormal';
    this.head.close = { code: code === 1005 ? null : code, reason: clip(reason, MAX_REASON), side: code === 1006 ? 'abnormal' : side };
    this.ended('closed');
  }

  error(error: unknown): void {
    const errors = this.head.errors;
    if (errors.length >= MAX_ERRORS) return;
    const message = error instanceof Error ? error.message : String(error);
    errors.push({ at: Date.now(), message: clip(message, MAX_REASON) });
    this.changed();
  }

  /**
   * Records one frame (`at`: when it went by, epoch ms); returns its `seq`, by which a received
   * message gets its handler time and jobs.
   */
  message(direction: WsDirection, opcode: WsOpcode, data: unknown, binary: boolean, closeCode: number | null = null, at = Date.now()): number {
    const seq = this.head.lastSeq + 1;
    if (this.messages.full) this.head.droppedMessages += 1;
    return this.counted(seq, direction === 'in', this.messages.push(seq, at, direction, opcode, data, binary, closeCode));
  }

  /**
   * {@link WsConnectionRecording.message} of a text or binary frame (`binary` says which), the
   * path every message takes; returns its `seq`.
   */
  data(incoming: boolean, data: unknown, binary: boolean, at: number): number {
    const seq = this.head.lastSeq + 1;
    if (this.messages.full) this.head.droppedMessages += 1;
    return this.counted(seq, incoming, this.messages.pushData(seq, at, incoming, data, binary));
  }

  private counted(seq: number, incoming: boolean, size: number): number {
    const { head } = this;
    head.lastSeq = seq;
    if (incoming) {
      head.messagesIn += 1;
      head.bytesIn += size;
    } else {
      head.messagesOut += 1;
      head.bytesOut += size;
    }
    this.changed();
    return seq;
  }

  /** The listeners of received message `seq` returned after `handlerMs` (rounded when read). */
  handled(seq: number, handlerMs: number): void {
    this.messages.handled(seq, handlerMs);
    this.changed();
  }

  /**
   * Received message `seq`'s jobs were (re)recorded, `counted` of them already: keep its record
   * and the settle time (while the message is kept; the connection's `taskCount` counts them all).
   */
  jobsRecorded(seq: number, jobs: RequestRecord, counted: number): void {
    this.head.taskCount += jobs.summary.total - counted;
    const at = this.messages.at(seq);
    if (at !== undefined) {
      let settledAt = 0;
      for (const task of jobs.tasks) settledAt = Math.max(settledAt, task.enqueuedAt + task.enqueueMs);
      this.messages.setJobs(seq, jobs, settledAt > 0 ? round(Math.max(0, settledAt - at)) : null);
    }
    this.changed();
  }

  /** The list line of this connection. */
  item(): WsConnectionItem {
    const { version: _v, headers: _h, errors: _e, since: _s, ...item } = this.head;
    return item;
  }

  private ended(state: 'closed' | 'rejected'): void {
    this.head.closedAt = Date.now();
    this.head.durationMs = round(performance.now() - this.openedPerf);
    this.setState(state);
  }

  private setState(state: WsState): void {
    this.head.state = state;
    this.changed();
  }

  private changed(): void {
    this.head.revision += 1;
    if (this.onChange !== undefined) this.onChange(this);
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
