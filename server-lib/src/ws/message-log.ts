import type { RequestRecord } from '../protocol.js';
import type { WsDirection, WsMessage, WsOpcode } from '../protocol-ws.js';
import { ByteArena } from './byte-arena.js';
import type { ResolvedWsOptions } from './options.js';
import { keepPayload, previewKept, type PayloadSink } from './payload.js';
import { decodeSocketIoFrame } from './socketio-frame.js';

const OPCODES: readonly WsOpcode[] = ['text', 'binary', 'ping', 'pong', 'close'];
// The numbers of one message, side by side in one Float64Array (NaN: null).
const KIND = 0; // opcode index * 2 + (direction 'in' ? 1 : 0)
const AT = 1;
const SIZE = 2;
const HANDLER_MS = 3;
const CLOSE_CODE = 4;
const STRIDE = 5;
// Where its kept bytes are, in a Float64Array of their own (LENGTH -1: no bytes kept): every push
// reads the oldest message's START, and apart from the rest they take 16 bytes a message, so
// that read mostly finds its cache line already loaded (one of 4 messages) rather than missing.
const START = 0;
const LENGTH = 1;
const SPAN = 2;
const FIRST_ARENA_BYTES = 2048;
// Short payloads (most frames) keep their bytes in a cell of their own, one per slot: one copy,
// nothing to check against the oldest message. LENGTH `IN_CELL - n`: n bytes in the slot's cell.
const CELL_BYTES = 256;
const IN_CELL = -2;
// Cells only while they cost no more than this (maxMessages × CELL_BYTES); beyond, the arena alone.
const MAX_CELLS_BYTES = 64 * 1024;

/** The index of `opcode` in {@link OPCODES}: compares interned strings, no property lookup. */
function opcodeIndex(opcode: WsOpcode): number {
  return opcode === 'text' ? 0 : opcode === 'binary' ? 1 : opcode === 'ping' ? 2 : opcode === 'pong' ? 3 : 4;
}

/** The jobs a received message's listeners enqueued (few messages have any). */
interface MessageJobs {
  record: RequestRecord;
  settledMs: number | null;
}

/**
 * The newest `maxMessages` frames of one connection, kept for as little as a frame can cost:
 * its numbers in a Float64Array ring, the app's short text strings by reference, other payloads
 * as a bounded copy of their bytes: up to 256 B in the slot's own cell, more in a
 * {@link ByteArena}. Recording a frame allocates nothing;
 * the {@link WsMessage}s of the wire contract (previews, decoded socket.io frames) are made by
 * {@link MessageLog.views} when a record is read. Messages are addressed by `seq`.
 *
 * @example
 * ```ts
 * const log = new MessageLog(options);
 * const size = log.push(1, Date.now(), 'in', 'text', Buffer.from('hi'), false, null);
 * log.views(false)[0].preview; // 'hi'
 * ```
 */
export class MessageLog implements PayloadSink {
  private readonly numbers: Float64Array;
  private readonly spans: Float64Array;
  private readonly texts: Array<string | undefined>;
  private readonly jobs: Array<MessageJobs | undefined>;
  private arena: ByteArena | undefined;
  private cells: Buffer | undefined;
  private readonly useCells: boolean;
  private readonly capacity: number;
  private readonly maxTextBytes: number;
  private readonly maxBinaryPreviewBytes: number;
  /** Kept messages, and the slot the next one goes to (the oldest once full). */
  private length = 0;
  private next = 0;
  private lastSeq = 0;
  /** The slot of the message being pushed, for keepText / keepBytes. */
  private writing = 0;

  constructor(private readonly options: ResolvedWsOptions) {
    this.capacity = options.maxMessages;
    this.maxTextBytes = options.maxTextBytes;
    this.maxBinaryPreviewBytes = options.maxBinaryPreviewBytes;
    this.useCells = this.capacity * CELL_BYTES <= MAX_CELLS_BYTES;
    this.numbers = new Float64Array(this.capacity * STRIDE);
    this.spans = new Float64Array(this.capacity * SPAN);
    this.texts = new Array<string | undefined>(this.capacity).fill(undefined);
    this.jobs = new Array<MessageJobs | undefined>(this.capacity).fill(undefined);
  }

  /** Whether the next push makes the oldest message go. */
  get full(): boolean {
    return this.length === this.capacity;
  }

  /** Keeps frame `seq` (one more than the last) that went by at `at` (epoch ms); returns its payload size. */
  push(seq: number, at: number, direction: WsDirection, opcode: WsOpcode, data: unknown, binary: boolean, closeCode: number | null): number {
    const slot = this.claim(seq);
    const size = keepPayload(this, data, binary, this.maxTextBytes, this.maxBinaryPreviewBytes);
    this.setNumbers(slot, opcodeIndex(opcode) * 2 + (direction === 'in' ? 1 : 0), at, size, closeCode ?? Number.NaN);
    return size;
  }

  /**
   * {@link MessageLog.push} of a text or binary frame (`binary` says which), the one every
   * message takes: a Buffer, as ws hands listeners and apps mostly send, goes straight to the
   * arena.
   */
  pushData(seq: number, at: number, incoming: boolean, data: unknown, binary: boolean): number {
    const slot = this.claim(seq);
    let size: number;
    if (data instanceof Uint8Array) {
      size = data.byteLength;
      // What keepPayload keeps of bytes: the text's first maxTextBytes + 1 (whether the cut splits a character), or the hex preview's.
      const max = binary ? this.maxBinaryPreviewBytes : this.maxTextBytes + 1;
      if (max > 0) this.keepBytes(data, size < max ? size : max);
    } else {
      size = keepPayload(this, data, binary, this.maxTextBytes, this.maxBinaryPreviewBytes);
    }
    // Opcode index 0 is text, 1 binary.
    this.setNumbers(slot, (binary ? 2 : 0) + (incoming ? 1 : 0), at, size, Number.NaN);
    return size;
  }

  /** Makes the slot of frame `seq` the newest, forgetting what the oldest kept there; returns it. */
  private claim(seq: number): number {
    const slot = this.next;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    if (this.length < this.capacity) this.length += 1;
    this.lastSeq = seq;
    if (this.texts[slot] !== undefined) this.texts[slot] = undefined;
    if (this.jobs[slot] !== undefined) this.jobs[slot] = undefined;
    const span = slot * SPAN;
    this.spans[span + LENGTH] = -1;
    this.spans[span + START] = this.arena === undefined ? 0 : this.arena.position;
    this.writing = slot;
    return slot;
  }

  private setNumbers(slot: number, kind: number, at: number, size: number, closeCode: number): void {
    const numbers = this.numbers;
    const base = slot * STRIDE;
    numbers[base + KIND] = kind;
    numbers[base + AT] = at;
    numbers[base + SIZE] = size;
    numbers[base + HANDLER_MS] = Number.NaN;
    numbers[base + CLOSE_CODE] = closeCode;
  }

  keepText(text: string): void {
    this.texts[this.writing] = text;
  }

  keepBytes(bytes: Uint8Array, count: number): void {
    const at = this.writing * SPAN;
    if (count <= CELL_BYTES && this.useCells) {
      // Not from Buffer's shared pool, like the arena.
      const cells = this.cells ??= Buffer.allocUnsafeSlow(this.capacity * CELL_BYTES);
      cells.set(count === bytes.byteLength ? bytes : bytes.subarray(0, count), this.writing * CELL_BYTES);
      this.spans[at + LENGTH] = IN_CELL - count;
      return;
    }
    const arena = this.arena ??= new ByteArena(Math.max(FIRST_ARENA_BYTES, count));
    let start = arena.appendIfFits(bytes, count, this.oldestStart());
    if (start === -1) start = this.grow(count).append(bytes, count);
    this.spans[at + START] = start;
    this.spans[at + LENGTH] = count;
  }

  /** The listeners of received message `seq` ran for `ms`. */
  handled(seq: number, ms: number): void {
    const slot = this.slotOf(seq);
    if (slot !== -1) this.numbers[slot * STRIDE + HANDLER_MS] = ms;
  }

  /** Epoch ms of message `seq`, when still kept. */
  at(seq: number): number | undefined {
    const slot = this.slotOf(seq);
    return slot === -1 ? undefined : this.numbers[slot * STRIDE + AT];
  }

  /** The jobs of received message `seq`, when still kept. */
  setJobs(seq: number, record: RequestRecord, settledMs: number | null): void {
    const slot = this.slotOf(seq);
    if (slot !== -1) this.jobs[slot] = { record, settledMs };
  }

  /** The kept messages as the wire contract shows them, oldest first; socket.io frames decoded when `decodeFrames`. */
  views(decodeFrames: boolean): WsMessage[] {
    const { maxTextBytes, maxBinaryPreviewBytes } = this.options;
    const views: WsMessage[] = [];
    for (let i = 0; i < this.length; i++) {
      const slot = (this.next - this.length + i + this.capacity) % this.capacity;
      const base = slot * STRIDE;
      const n = this.numbers;
      const kind = n[base + KIND]!;
      const opcode = OPCODES[kind >> 1]!;
      const count = this.spans[slot * SPAN + LENGTH]!;
      const kept = this.texts[slot] ?? this.keptBytes(slot, count);
      const payload = previewKept(kept, n[base + SIZE]!, opcode === 'binary', maxTextBytes, maxBinaryPreviewBytes);
      const jobs = this.jobs[slot];
      const handlerMs = n[base + HANDLER_MS]!;
      const closeCode = n[base + CLOSE_CODE]!;
      views.push({
        seq: this.lastSeq - this.length + 1 + i, direction: kind & 1 ? 'in' : 'out', opcode, at: n[base + AT]!,
        size: payload.size, preview: payload.preview, encoding: payload.encoding, truncated: payload.truncated,
        closeCode: Number.isNaN(closeCode) ? null : closeCode,
        decoded: decodeFrames && opcode === 'text' && !payload.truncated && payload.preview !== null ? decodeSocketIoFrame(payload.preview) ?? null : null,
        handlerMs: Number.isNaN(handlerMs) ? null : Math.round(handlerMs * 1000) / 1000,
        settledMs: jobs?.settledMs ?? null, record: jobs?.record ?? null,
      });
    }
    return views;
  }

  /** The bytes slot `slot` kept (`count`: its LENGTH), or null. */
  private keptBytes(slot: number, count: number): Uint8Array | null {
    if (count >= 0) return this.arena ? this.arena.view(this.spans[slot * SPAN + START]!, count) : null;
    if (count <= IN_CELL && this.cells) return this.cells.subarray(slot * CELL_BYTES, slot * CELL_BYTES + IN_CELL - count);
    return null;
  }

  private slotOf(seq: number): number {
    const back = this.lastSeq - seq;
    if (back < 0 || back >= this.length) return -1;
    // Once per received message: a conditional add rather than a division.
    const slot = this.next - 1 - back;
    return slot < 0 ? slot + this.capacity : slot;
  }

  /** Where the bytes of the oldest message kept besides the one being pushed start (none: anywhere). */
  private oldestStart(): number {
    if (this.length <= 1) return Number.POSITIVE_INFINITY;
    const slot = this.next - this.length;
    return this.spans[(slot < 0 ? slot + this.capacity : slot) * SPAN + START]!;
  }

  /** Moves the kept bytes to an arena with room for `count` more; bounded by what the kept messages need. */
  private grow(count: number): ByteArena {
    const old = this.arena!;
    const slots: number[] = [];
    for (let i = 0; i < this.length - 1; i++) slots.push((this.next - this.length + i + this.capacity) % this.capacity);
    const spans = slots.map((slot) => [this.spans[slot * SPAN + START]!, Math.max(0, this.spans[slot * SPAN + LENGTH]!)] as const);
    // Half again what is needed, so a full ring of like-sized messages turns over without moving.
    const needed = spans.reduce((sum, [, n]) => sum + n, 0) + count;
    const arena = new ByteArena(Math.max(old.capacity * 2, Math.ceil(needed * 1.5)));
    old.moveTo(arena, spans).forEach((start, i) => { this.spans[slots[i]! * SPAN + START] = start; });
    this.arena = arena;
    return arena;
  }
}
