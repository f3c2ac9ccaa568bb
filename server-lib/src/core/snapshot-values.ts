import { types } from 'node:util';
import type { SnapshotMarker } from '../protocol.js';
import { sliceWhole } from './clip.js';

/**
 * The readings a snapshot walk makes of values it shows as markers (dates, boxed primitives,
 * binary data, errors), through the built-in prototypes' own methods, so an app's overrides and
 * getters are never called.
 */

const MAX_REASON_LENGTH = 120;
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!.get!;

/** An ISO date, or `null` for an invalid one. */
export function isoOf(date: Date): string | null {
  return Number.isNaN(Date.prototype.getTime.call(date)) ? null : Date.prototype.toISOString.call(date);
}

/** The primitive inside a boxed one (`new Number(1)` → 1). */
export function unbox(value: object): unknown {
  if (types.isNumberObject(value)) return Number.prototype.valueOf.call(value);
  if (types.isStringObject(value)) return String.prototype.valueOf.call(value);
  if (types.isBooleanObject(value)) return Boolean.prototype.valueOf.call(value);
  if (types.isBigIntObject(value)) return BigInt.prototype.valueOf.call(value);
  return Symbol.prototype.valueOf.call(value);
}

/** What a value that threw while read is shown with: `Name: message`, bounded. */
export function reasonOf(error: unknown): string {
  try {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : typeof error === 'string' ? error : 'threw a non-Error';
    return text.length > MAX_REASON_LENGTH ? `${sliceWhole(text, MAX_REASON_LENGTH)}…` : text;
  } catch {
    return 'threw an unreadable error';
  }
}

/** A binary value's marker: its type, length and a hex preview of its first `previewBytes` bytes. */
export function binaryMarker(value: ArrayBufferLike | ArrayBufferView, previewBytes: number): SnapshotMarker {
  let type: string;
  let bytes: Uint8Array;
  let length: number;
  if (types.isAnyArrayBuffer(value)) {
    type = types.isSharedArrayBuffer(value) ? 'SharedArrayBuffer' : 'ArrayBuffer';
    length = value.byteLength;
    bytes = new Uint8Array(value, 0, Math.min(length, previewBytes));
  } else {
    const view = value as ArrayBufferView;
    type = Buffer.isBuffer(view) ? 'Buffer' : types.isDataView(view) ? 'DataView' : String(typedArrayTag.call(view));
    length = view.byteLength;
    bytes = new Uint8Array(view.buffer, view.byteOffset, Math.min(length, previewBytes));
  }
  return { $taskscope: 'binary', type, length, preview: Buffer.from(bytes).toString('hex') };
}
