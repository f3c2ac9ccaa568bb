/**
 * What a recorded message keeps of its payload. On the hot path (every frame) only its size and
 * a bounded copy of its bytes are taken ({@link keepPayload}); the preview is decoded when a
 * record is read ({@link previewKept}), which happens for a few messages a second at most.
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

/** Where {@link keepPayload} puts what a message keeps of its payload. */
export interface PayloadSink {
  /** The app's own text, kept whole: a string is immutable, so keeping it costs no copy. */
  keepText(text: string): void;
  /** The first `count` bytes of `bytes`, to be copied now (the app may reuse its buffer). */
  keepBytes(bytes: Uint8Array, count: number): void;
}

/**
 * Hands `sink` what the preview of a payload needs, and returns the payload's size: the
 * app's string when it fits in `maxText` bytes, else at most `maxText` + 1 bytes of text
 * (the extra byte tells whether the cut splits a character) or `maxHex` bytes of binary
 * (nothing when 0). Decodes nothing; never throws.
 *
 * @example
 * ```ts
 * const size = keepPayload(log, Buffer.from('hello'), false, 10240, 0); // 5; log.keepBytes(…, 5)
 * ```
 */
export function keepPayload(sink: PayloadSink, data: unknown, binary: boolean, maxText: number, maxHex: number): number {
  const max = binary ? maxHex : maxText + 1;
  // The common case first: ws hands listeners a Buffer.
  if (data instanceof Uint8Array) {
    const size = data.byteLength;
    if (max > 0) sink.keepBytes(data, size < max ? size : max);
    return size;
  }
  if (typeof data === 'string') {
    const size = Buffer.byteLength(data);
    if (!binary && size <= maxText) sink.keepText(data);
    // A character is at most 4 bytes in UTF-8 (and at least 1), so `max` characters cover `max` bytes.
    else if (max > 0) {
      const bytes = Buffer.from(data.length > max ? data.slice(0, max) : data);
      sink.keepBytes(bytes, Math.min(max, bytes.byteLength));
    }
    return size;
  }
  const bytes = payloadBytes(data) ?? (typeof data === 'number' ? Buffer.from(String(data)) : undefined);
  if (bytes === undefined) return 0;
  if (max > 0) sink.keepBytes(bytes, Math.min(max, bytes.byteLength));
  return bytes.byteLength;
}

/**
 * The preview of a kept payload (`kept`: the app's whole string, or the first bytes given to
 * {@link keepPayload}'s sink, or `null`), exactly as {@link previewPayload} gives it for the
 * whole payload.
 *
 * @example
 * ```ts
 * previewKept(Buffer.from('éé'), 6, false, 3, 0); // { size: 6, preview: 'é', encoding: 'text', truncated: true }
 * ```
 */
export function previewKept(kept: string | Uint8Array | null, size: number, binary: boolean, maxText: number, maxHex: number): PayloadPreview {
  if (typeof kept === 'string') return { size, preview: kept, encoding: 'text', truncated: false };
  if (kept === null) {
    // Binary without a hex preview, or a payload of no kind ws sends (nothing to show).
    return binary && maxHex === 0 ? hexPreview(new Uint8Array(0), size, 0) : { size: 0, preview: null, encoding: null, truncated: false };
  }
  if (binary) return hexPreview(kept, size, maxHex);
  const bytes = Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength);
  if (size <= maxText) return { size, preview: bytes.toString('utf8'), encoding: 'text', truncated: false };
  // Only the first `maxText` + 1 bytes were kept: cut them as the whole payload would have been cut.
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
