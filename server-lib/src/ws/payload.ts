/** What a recorded message keeps of its payload: size, a bounded preview, and whether it was cut. */
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
    return { size, preview: cutText(Buffer.from(data.slice(0, maxText)), maxText), encoding: 'text', truncated: true };
  }
  // The common case first: ws hands listeners a Buffer.
  if (!binary && Buffer.isBuffer(data) && data.byteLength <= maxText) {
    return { size: data.byteLength, preview: data.toString('utf8'), encoding: 'text', truncated: false };
  }
  const bytes = payloadBytes(data) ?? (typeof data === 'number' ? Buffer.from(String(data)) : undefined);
  if (bytes === undefined) return { size: 0, preview: null, encoding: null, truncated: false };
  if (binary) return hexPreview(bytes, bytes.byteLength, maxHex);
  const truncated = bytes.byteLength > maxText;
  return { size: bytes.byteLength, preview: cutText(bytes, maxText), encoding: 'text', truncated };
}

function hexPreview(bytes: Uint8Array, size: number, maxHex: number): PayloadPreview {
  if (maxHex === 0) return { size, preview: null, encoding: null, truncated: size > 0 };
  const kept = bytes.subarray(0, maxHex);
  return { size, preview: Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength).toString('hex'), encoding: 'hex', truncated: size > kept.byteLength };
}

/** Decodes at most `max` bytes, dropping a character split by the cut rather than showing U+FFFD. */
function cutText(bytes: Uint8Array, max: number): string {
  let end = Math.min(bytes.byteLength, max);
  if (end < bytes.byteLength) {
    // Step back over continuation bytes (10xxxxxx) to the start of the split character.
    let start = end;
    while (start > 0 && start > end - 4 && (bytes[start]! & 0xc0) === 0x80) start -= 1;
    end = start;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8');
}
