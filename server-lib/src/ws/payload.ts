/**
 * What a recorded message keeps of its payload. On the hot path (every frame) only a bounded
 * copy of its bytes is taken ({@link keepPayload}); the preview is decoded when a record is read
 * ({@link previewKept}), which happens for a few messages a second at most.
 */

/** A preview as the wire contract shows it: size, a bounded preview, and whether it was cut. */
export interface PayloadPreview {
  size: number;
  preview: string | null;
  encoding: 'text' | 'hex' | null;
  truncated: boolean;
}

/** ws hands listeners a Buffer, an ArrayBuffer or a Buffer[] (fragments), by `binaryType`; `send` takes more. */
export function payloadBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((part) => part instanceof Uint8Array)) return Buffer.concat(data as Uint8Array[]);
  return undefined;
}

/**
 * The preview of one payload: text up to `maxText` bytes, binary as hex of its first
 * `maxHex` bytes (none when 0). Never throws; never copies more than the preview.
 *
 * @example
 * ```ts
 * previewPayload('hello', false, 10240, 0); // { size: 5, preview: 'hello', encoding: 'text', truncated: false }
 * ```
 */
export function previewPayload(data: unknown, binary: boolean, maxText: number, maxHex: number): PayloadPreview {
  if (typeof data === 'string') {
    const size = Buffer.byteLength(data);
    if (binary) return hexPreview(Buffer.from(data.slice(0, maxHex)), size, maxHex);
    // A character is at most 4 bytes in UTF-8 (and at least 1), so `maxText` characters cover `maxText` bytes.
    if (size <= maxText) return { size, preview: data, encoding: 'text', truncated: false };
    return { size, preview: cutText(Buffer.from(data.slice(0, maxText)), maxText, size), encoding: 'text', truncated: true };
  }
  // The common case first: ws hands listeners a Buffer.
  if (!binary && Buffer.isBuffer(data) && data.byteLength <= maxText) {
    return { size: data.byteLength, preview: data.toString('utf8'), encoding: 'text', truncated: false };
  }
  const bytes = payloadBytes(data) ?? (typeof data === 'number' ? Buffer.from(String(data)) : undefined);
  if (bytes === undefined) return { size: 0, preview: null, encoding: null, truncated: false };
  if (binary) return hexPreview(bytes, bytes.byteLength, maxHex);
  const truncated = bytes.byteLength > maxText;
  return { size: bytes.byteLength, preview: cutText(bytes, maxText, bytes.byteLength), encoding: 'text', truncated };
}

/** The bounded part of a payload a message keeps, filled in by {@link keepPayload}. */
export interface KeptPayload {
  /** Payload bytes. */
  size: number;
  /**
   * `keptIsBytes`: a copy of the first bytes (at most the preview needs), one character per byte
   * (latin1), so it is one flat heap string that never holds on to the app's buffers; otherwise
   * the app's own short string, kept whole (strings are immutable). `null`: nothing kept.
   */
  kept: string | null;
  keptIsBytes: boolean;
}

type Latin1Slicer = { latin1Slice?: (start: number, end: number) => string };

/** The first `count` bytes of a Buffer, one character per byte. */
function copyBytes(data: Buffer, count: number): string {
  // latin1Slice is the copy Buffer#toString('latin1') ends in, without its argument checks.
  const slice = (data as Latin1Slicer).latin1Slice;
  return typeof slice === 'function' ? slice.call(data, 0, count) : data.toString('latin1', 0, count);
}

/**
 * Keeps what the preview of a payload needs into `target`: its size and a copy of at most
 * `maxText` (+ 1) bytes of text, or `maxHex` bytes of binary (none when 0). Decodes nothing and never
 * keeps a reference to a buffer of the app. Never throws.
 *
 * @example
 * ```ts
 * keepPayload(message, Buffer.from('hello'), false, 10240, 0); // message.size === 5
 * previewKept(message, false, 10240, 0).preview; // 'hello'
 * ```
 */
export function keepPayload(target: KeptPayload, data: unknown, binary: boolean, maxText: number, maxHex: number): void {
  // One byte past the text kept tells whether the cut splits a character (see cutText).
  const max = binary ? maxHex : maxText + 1;
  // The common case first: ws hands listeners a Buffer.
  if (Buffer.isBuffer(data)) {
    target.size = data.byteLength;
    target.kept = max === 0 ? null : copyBytes(data, Math.min(max, data.byteLength));
    target.keptIsBytes = true;
    return;
  }
  if (typeof data === 'string') {
    const size = Buffer.byteLength(data);
    target.size = size;
    if (!binary && size <= maxText) {
      target.kept = data;
      target.keptIsBytes = false;
      return;
    }
    // A character is at most 4 bytes in UTF-8 (and at least 1), so `max` characters cover `max` bytes.
    const bytes = Buffer.from(data.length > max ? data.slice(0, max) : data);
    target.kept = max === 0 ? null : copyBytes(bytes, Math.min(max, bytes.byteLength));
    target.keptIsBytes = true;
    return;
  }
  const bytes = payloadBytes(data) ?? (typeof data === 'number' ? Buffer.from(String(data)) : undefined);
  target.size = bytes?.byteLength ?? 0;
  target.kept = bytes === undefined || max === 0 ? null : copyBytes(Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(max, bytes.byteLength)), Math.min(max, bytes.byteLength));
  target.keptIsBytes = true;
  if (bytes === undefined) target.size = 0;
}

/**
 * The preview of a kept payload, exactly as {@link previewPayload} gives it for the whole payload.
 *
 * @example
 * ```ts
 * previewKept({ size: 6, kept: '\xc3\xa9\xc3\xa9\xc3\xa9', keptIsBytes: true }, false, 5, 0);
 * // { size: 6, preview: 'éé', encoding: 'text', truncated: true }
 * ```
 */
export function previewKept(payload: KeptPayload, binary: boolean, maxText: number, maxHex: number): PayloadPreview {
  const { size, kept } = payload;
  if (kept === null) {
    if (binary) return { size, preview: null, encoding: null, truncated: size > 0 };
    return { size, preview: size === 0 ? null : '', encoding: size === 0 ? null : 'text', truncated: size > 0 };
  }
  if (!payload.keptIsBytes) return { size, preview: kept, encoding: 'text', truncated: false };
  const bytes = Buffer.from(kept, 'latin1');
  if (binary) return hexPreview(bytes, size, maxHex);
  if (size <= maxText) return { size, preview: bytes.toString('utf8'), encoding: 'text', truncated: false };
  // Only the first `maxText` bytes were kept: cut them as the whole payload would have been cut.
  return { size, preview: cutText(bytes, maxText, size), encoding: 'text', truncated: true };
}

function hexPreview(bytes: Uint8Array, size: number, maxHex: number): PayloadPreview {
  if (maxHex === 0) return { size, preview: null, encoding: null, truncated: size > 0 };
  const kept = bytes.subarray(0, maxHex);
  return { size, preview: Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength).toString('hex'), encoding: 'hex', truncated: size > kept.byteLength };
}

/**
 * Decodes at most `max` bytes of a payload of `size` bytes whose first bytes are `bytes`,
 * dropping a character split by the cut rather than showing U+FFFD.
 */
function cutText(bytes: Uint8Array, max: number, size: number): string {
  let end = Math.min(bytes.byteLength, max);
  if (end < size) {
    // Step back over continuation bytes (10xxxxxx) to the start of the split character.
    let start = end;
    while (start > 0 && start > end - 4 && (bytes[start]! & 0xc0) === 0x80) start -= 1;
    end = start;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8');
}
