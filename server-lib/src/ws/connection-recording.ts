import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { PROTOCOL_VERSION, type RequestRecord } from '../protocol.js';
import type { WsCloseSide, WsConnectionItem, WsConnectionRecord, WsDirection, WsOpcode, WsState } from '../protocol-ws.js';
import { clip } from '../core/clip.js';
import { KeptMessage, round } from './kept-message.js';
import { MessageRing } from './message-ring.js';
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
 * A frame costs one {@link KeptMessage} and a few counters; the record the API answers is made
 * by {@link WsConnectionRecording.snapshot} when read.
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
  readonly id = randomUUID();
  readonly head: WsConnectionHead;
  /** Whether the app asked to close first (set by `close()` / `terminate()` while open). */
  private closeSide: WsCloseSide | undefined;
  private readonly openedPerf = performance.now();
  /** socket.io / engine.io frames are decoded (when read) on connections whose URL says `EIO=4`. */
  private readonly decodeFrames: boolean;
  private readonly messages: MessageRing<KeptMessage>;

  /** `onChange` only when a shared store writes connections: a MemoryStore reads the live record. */
  constructor(
    private readonly options: ResolvedWsOptions,
    handshake: Pick<WsConnectionRecord, 'url' | 'origin' | 'remoteAddress' | 'headers'>,
    private readonly onChange: ChangeListener | undefined,
  ) {
    this.decodeFrames = /[?&]EIO=4(&|$)/.test(handshake.url);
    this.messages = new MessageRing(options.maxMessages);
    this.head = {
      version: PROTOCOL_VERSION, id: this.id, ...handshake, protocol: null, state: 'connecting',
      openedAt: Date.now(), closedAt: null, durationMs: null, close: null, rejected: null,
      messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, taskCount: 0, droppedMessages: 0,
      lastSeq: 0, revision: 0, errors: [], since: null,
    };
  }

  /** The record as `GET {prefix}/ws/{id}` answers it, messages oldest first (a copy). */
  snapshot(): WsConnectionRecord {
    const { decodeFrames, options } = this;
    return { ...this.head, errors: [...this.head.errors], messages: this.messages.toArray().map((message) => message.view(decodeFrames, options)) };
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

  /** Records one frame; returns it so a received message can get its handler time and jobs. */
  message(direction: WsDirection, opcode: WsOpcode, data: unknown, binary: boolean, closeCode: number | null = null): KeptMessage {
    const { head } = this;
    head.lastSeq += 1;
    const message = new KeptMessage(head.lastSeq, direction, opcode, data, binary, closeCode, this.options);
    if (direction === 'in') {
      head.messagesIn += 1;
      head.bytesIn += message.size;
    } else {
      head.messagesOut += 1;
      head.bytesOut += message.size;
    }
    if (this.messages.push(message)) head.droppedMessages += 1;
    this.changed();
    return message;
  }

  /** The listeners of a received message returned after `handlerMs` (rounded when read). */
  handled(message: KeptMessage, handlerMs: number): void {
    message.handlerMs = handlerMs;
    this.changed();
  }

  /** A received message's jobs were (re)recorded: keep its record and the settle time. */
  jobsRecorded(message: KeptMessage, jobs: RequestRecord): void {
    // The same record object comes back with every save of it, grown: count only what is new.
    message.record = jobs;
    this.head.taskCount += jobs.summary.total - message.counted;
    message.counted = jobs.summary.total;
    let settledAt = 0;
    for (const task of jobs.tasks) settledAt = Math.max(settledAt, task.enqueuedAt + task.enqueueMs);
    if (settledAt > 0) message.settledMs = round(Math.max(0, settledAt - message.at));
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
