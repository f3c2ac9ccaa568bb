/**
 * The payload bytes a connection's kept messages need for their previews, copied one after the
 * other into one buffer used as a ring: keeping a frame's bytes is one `set` (no allocation, no
 * string, nothing for the garbage collector to trace), and they never refer to the app's own
 * buffers. Positions are absolute and only grow; bytes from position `p` are still there while
 * `head - p <= capacity`. The owner checks {@link ByteArena.fits} and moves to a bigger arena
 * ({@link ByteArena.moveTo}) when the bytes it still needs would be overwritten.
 *
 * @example
 * ```ts
 * const arena = new ByteArena(1024);
 * const at = arena.append(Buffer.from('hello'), 5);
 * Buffer.from(arena.view(at, 5)).toString(); // 'hello'
 * ```
 */
export class ByteArena {
  private readonly bytes: Buffer;
  /** Absolute position of the next byte. */
  private head = 0;
  /** `head % capacity`, kept rather than divided for on every frame. */
  private offset = 0;

  constructor(readonly capacity: number) {
    // Not from Buffer's shared pool: a pooled slice would keep an unrelated 8 KB slab alive.
    this.bytes = Buffer.allocUnsafeSlow(capacity);
  }

  /** Where `count` bytes go if appended now: whole, so a tail too short for them is skipped. */
  private startFor(count: number): number {
    return this.offset + count > this.capacity ? this.head + (this.capacity - this.offset) : this.head;
  }

  /** Whether `count` more bytes fit without overwriting those from position `keepFrom` on. */
  fits(count: number, keepFrom: number): boolean {
    return count <= this.capacity && this.startFor(count) + count - keepFrom <= this.capacity;
  }

  /** The position the next append of nothing would get: where a message without bytes starts. */
  get position(): number {
    return this.head;
  }

  /** Copies the first `count` bytes of `source` (the caller checked `fits`); returns their position. */
  append(source: Uint8Array, count: number): number {
    const wraps = this.offset + count > this.capacity;
    const start = wraps ? this.head + (this.capacity - this.offset) : this.head;
    const offset = wraps ? 0 : this.offset;
    if (count > 0) this.bytes.set(count === source.byteLength ? source : source.subarray(0, count), offset);
    this.head = start + count;
    this.offset = offset + count === this.capacity ? 0 : offset + count;
    return start;
  }

  /**
   * {@link ByteArena.append} when the bytes fit (see {@link ByteArena.fits}), else -1 and nothing
   * copied: one call per frame.
   */
  appendIfFits(source: Uint8Array, count: number, keepFrom: number): number {
    return this.fits(count, keepFrom) ? this.append(source, count) : -1;
  }

  /** The `count` bytes at `start`, as a view valid until the next append. */
  view(start: number, count: number): Uint8Array {
    const offset = start % this.capacity;
    return this.bytes.subarray(offset, offset + count);
  }

  /** Copies the spans `[start, count]` (oldest first) into `arena`; returns their new positions. */
  moveTo(arena: ByteArena, spans: ReadonlyArray<readonly [start: number, count: number]>): number[] {
    return spans.map(([start, count]) => arena.append(this.view(start, count), count));
  }
}
