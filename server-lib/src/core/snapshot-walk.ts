import { types } from 'node:util';
import type { Snapshot, SnapshotMarker } from '../protocol.js';
import { sliceWhole } from './clip.js';
import type { KeyRedactor } from './redact.js';
import type { SerializeLimits } from './serialize.js';

/**
 * One walk over a value, building its bounded, redacted snapshot: the workhorse of
 * `createSerializer()`, which owns the options and the public contract.
 */

// Room kept back by each open container for the `more` marker it may have to end with.
const CLOSING_RESERVE = 48;
// An entry is only started when at least this much room is left for its value.
const MIN_VALUE_ROOM = 50;
const BINARY_PREVIEW_BYTES = 16;
const MAX_REASON_LENGTH = 120;
// Objects with more keys than this have their key list cached for the walk, so a structure
// that references one huge object many times does not enumerate it each time.
const BIG_OBJECT_KEYS = 1000;
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const MORE_KEY = '…';

const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get!;
const setSize = Object.getOwnPropertyDescriptor(Set.prototype, 'size')!.get!;
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!.get!;

/** One snapshot in progress: the size used so far and the containers currently open. */
export class SnapshotWalk {
  used = 0;
  truncated = false;
  private reserve = 0;
  private readonly ancestors: object[] = [];
  private bigKeys: Map<object, string[]> | undefined;

  constructor(private readonly limits: SerializeLimits, private readonly isSecret: KeyRedactor) {}

  snap(value: unknown, key: string | number, depth: number, afterToJSON: boolean): Snapshot {
    switch (typeof value) {
      case 'string':
        return this.string(value);
      case 'number': {
        const number = Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
        this.used += number === null ? 4 : String(number).length;
        return number;
      }
      case 'boolean':
        this.used += value ? 4 : 5;
        return value;
      case 'undefined':
        return this.marker({ $taskscope: 'undefined' });
      case 'bigint':
        return this.marker({ $taskscope: 'bigint', value: this.cut(value.toString()) });
      case 'symbol':
        return this.marker({ $taskscope: 'symbol', description: this.cut(value.description ?? '') });
      case 'function':
        return this.marker({ $taskscope: 'function', name: this.cut(this.readString(value, 'name')) });
      default:
        if (value === null) {
          this.used += 4;
          return null;
        }
        try {
          return this.object(value as object, key, depth, afterToJSON);
        } catch (error) {
          return this.marker({ $taskscope: 'unreadable', reason: this.cut(reasonOf(error)) });
        }
    }
  }

  private object(value: object, key: string | number, depth: number, afterToJSON: boolean): Snapshot {
    if (this.ancestors.includes(value)) return this.marker({ $taskscope: 'circular' });
    if (depth > this.limits.maxDepth) return this.limit({ $taskscope: 'depth' });
    if (Array.isArray(value)) {
      if (!afterToJSON && typeof (value as { toJSON?: unknown }).toJSON === 'function') return this.toJSON(value, key, depth);
      return this.array(value, depth);
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      if (types.isDate(value)) return this.marker({ $taskscope: 'date', iso: isoOf(value) });
      if (types.isAnyArrayBuffer(value) || ArrayBuffer.isView(value)) return this.binary(value);
    }
    if (!afterToJSON && typeof (value as { toJSON?: unknown }).toJSON === 'function') return this.toJSON(value, key, depth);
    if (proto === Object.prototype || proto === null) return this.record(value, depth);
    if (types.isMap(value)) return this.map(value, depth);
    if (types.isSet(value)) return this.set(value, depth);
    if (types.isRegExp(value)) {
      return this.marker({ $taskscope: 'regexp', source: this.cut(this.readString(value, 'source')), flags: this.readString(value, 'flags') });
    }
    if (types.isNativeError(value) || value instanceof Error) {
      return this.marker({ $taskscope: 'error', name: this.cut(this.readString(value, 'name')), message: this.cut(this.readString(value, 'message')) });
    }
    if (types.isBoxedPrimitive(value)) return this.snap(unbox(value), key, depth, true);
    return this.record(value, depth);
  }

  private toJSON(value: object, key: string | number, depth: number): Snapshot {
    let result: unknown;
    try {
      result = (value as { toJSON(key: string): unknown }).toJSON(String(key));
    } catch (error) {
      return this.marker({ $taskscope: 'unreadable', reason: this.cut(reasonOf(error)) });
    }
    // JSON.stringify calls toJSON once per value, not again on what it returned.
    return this.snap(result, key, depth, true);
  }

  private record(source: object, depth: number): Snapshot {
    const keys = this.keysOf(source);
    const out: { [key: string]: Snapshot } = {};
    const limit = Math.min(keys.length, this.limits.maxKeys);
    let kept = 0;
    this.used += 2;
    this.open(source);
    try {
      for (; kept < limit; kept += 1) {
        const key = keys[kept]!;
        const keyCost = jsonLength(key) + (kept > 0 ? 2 : 1);
        if (this.room() < keyCost + MIN_VALUE_ROOM) break;
        this.used += keyCost;
        const child = this.isSecret(key) ? this.marker({ $taskscope: 'redacted' }) : this.child(source, key, depth);
        if (key === '__proto__') {
          // A plain assignment would set the prototype instead of adding the key.
          Object.defineProperty(out, key, { value: child, enumerable: true, writable: true, configurable: true });
        } else {
          out[key] = child;
        }
      }
    } finally {
      this.close();
    }
    if (kept < keys.length) {
      this.used += jsonLength(MORE_KEY) + (kept > 0 ? 2 : 1);
      out[MORE_KEY] = this.limit({ $taskscope: 'more', count: keys.length - kept });
    }
    return out;
  }

  private array(source: unknown[], depth: number): Snapshot {
    const rawLength: unknown = source.length;
    const length = typeof rawLength === 'number' && Number.isSafeInteger(rawLength) && rawLength > 0 ? rawLength : 0;
    const limit = Math.min(length, this.limits.maxArrayLength);
    const out: Snapshot[] = [];
    let kept = 0;
    this.used += 2;
    this.open(source);
    try {
      for (; kept < limit; kept += 1) {
        const comma = kept > 0 ? 1 : 0;
        if (this.room() < comma + MIN_VALUE_ROOM) break;
        this.used += comma;
        out.push(this.child(source, kept, depth));
      }
    } finally {
      this.close();
    }
    if (kept < length) {
      this.used += kept > 0 ? 1 : 0;
      out.push(this.limit({ $taskscope: 'more', count: length - kept }));
    }
    return out;
  }

  private map(source: Map<unknown, unknown>, depth: number): Snapshot {
    const size = mapSize.call(source) as number;
    const entries: Array<[Snapshot, Snapshot]> = [];
    const marker: SnapshotMarker = { $taskscope: 'map', size, entries };
    this.used += JSON.stringify(marker).length;
    this.open(source);
    try {
      const iterator = Map.prototype.entries.call(source);
      for (let next = iterator.next(); !next.done; next = iterator.next()) {
        const comma = entries.length > 0 ? 1 : 0;
        if (entries.length >= this.limits.maxKeys || this.room() < comma + 2 * MIN_VALUE_ROOM) break;
        const [key, value] = next.value;
        this.used += comma + 3;
        const keySnapshot = this.snap(key, '', depth + 1, false);
        const secret = typeof key === 'string' && this.isSecret(key);
        entries.push([keySnapshot, secret ? this.marker({ $taskscope: 'redacted' }) : this.snap(value, typeof key === 'string' ? key : '', depth + 1, false)]);
      }
    } finally {
      this.close();
    }
    if (entries.length < size) this.truncated = true;
    return marker;
  }

  private set(source: Set<unknown>, depth: number): Snapshot {
    const size = setSize.call(source) as number;
    const values: Snapshot[] = [];
    const marker: SnapshotMarker = { $taskscope: 'set', size, values };
    this.used += JSON.stringify(marker).length;
    this.open(source);
    try {
      const iterator = Set.prototype.values.call(source);
      for (let next = iterator.next(); !next.done; next = iterator.next()) {
        const comma = values.length > 0 ? 1 : 0;
        if (values.length >= this.limits.maxArrayLength || this.room() < comma + MIN_VALUE_ROOM) break;
        this.used += comma;
        values.push(this.snap(next.value, values.length, depth + 1, false));
      }
    } finally {
      this.close();
    }
    if (values.length < size) this.truncated = true;
    return marker;
  }

  private binary(value: ArrayBufferLike | ArrayBufferView): Snapshot {
    let type: string;
    let bytes: Uint8Array;
    let length: number;
    if (types.isAnyArrayBuffer(value)) {
      type = types.isSharedArrayBuffer(value) ? 'SharedArrayBuffer' : 'ArrayBuffer';
      length = value.byteLength;
      bytes = new Uint8Array(value, 0, Math.min(length, this.previewBytes()));
    } else {
      const view = value as ArrayBufferView;
      type = Buffer.isBuffer(view) ? 'Buffer' : types.isDataView(view) ? 'DataView' : String(typedArrayTag.call(view));
      length = view.byteLength;
      bytes = new Uint8Array(view.buffer, view.byteOffset, Math.min(length, this.previewBytes()));
    }
    return this.marker({ $taskscope: 'binary', type, length, preview: Buffer.from(bytes).toString('hex') });
  }

  private child(source: object, key: string | number, depth: number): Snapshot {
    let value: unknown;
    try {
      value = (source as Record<string | number, unknown>)[key];
    } catch (error) {
      return this.marker({ $taskscope: 'unreadable', reason: this.cut(reasonOf(error)) });
    }
    // A hole of a sparse array is stored as null by JSON, unlike an explicit undefined.
    if (value === undefined && typeof key === 'number' && !(key in source)) {
      this.used += 4;
      return null;
    }
    return this.snap(value, key, depth + 1, false);
  }

  private string(value: string): Snapshot {
    if (value.length <= this.limits.maxStringLength) {
      const cost = jsonLength(value);
      if (cost <= this.room()) {
        this.used += cost;
        return value;
      }
    }
    const fits = Math.max(0, this.room() - MIN_VALUE_ROOM);
    const preview = sliceWhole(value, Math.min(this.limits.maxStringLength, fits));
    return this.limit({ $taskscope: 'truncated', preview, length: value.length });
  }

  private previewBytes(): number {
    return Math.max(0, Math.min(BINARY_PREVIEW_BYTES, Math.floor((this.room() - 2 * MIN_VALUE_ROOM) / 2)));
  }

  private keysOf(source: object): string[] {
    const cached = this.bigKeys?.get(source);
    if (cached) return cached;
    const keys = Object.keys(source);
    if (keys.length > BIG_OBJECT_KEYS) (this.bigKeys ??= new Map()).set(source, keys);
    return keys;
  }

  private open(source: object): void {
    this.ancestors.push(source);
    this.reserve += CLOSING_RESERVE;
  }

  private close(): void {
    this.ancestors.pop();
    this.reserve -= CLOSING_RESERVE;
  }

  private room(): number {
    return this.limits.maxBytes - this.used - this.reserve;
  }

  /** A marker for something a limit cut. */
  private limit(marker: SnapshotMarker): SnapshotMarker {
    this.truncated = true;
    return this.marker(marker);
  }

  private marker(marker: SnapshotMarker): SnapshotMarker {
    this.used += markerLength(marker);
    return marker;
  }

  /** A string inside a marker, cut to the string limit and to the room left. */
  private cut(text: string): string {
    const max = Math.min(this.limits.maxStringLength, Math.max(0, this.room() - MIN_VALUE_ROOM));
    if (text.length <= max) return text;
    this.truncated = true;
    return `${sliceWhole(text, max)}…`;
  }

  private readString(source: object, key: string): string {
    try {
      const value: unknown = (source as Record<string, unknown>)[key];
      return typeof value === 'string' ? value : '';
    } catch {
      return '';
    }
  }
}

/** `JSON.stringify(marker).length` for markers without nested snapshots, without building the string. */
function markerLength(marker: SnapshotMarker): number {
  // {"$taskscope":"<kind>"} is 17 characters plus the kind.
  const base = 17 + marker.$taskscope.length;
  switch (marker.$taskscope) {
    case 'truncated':
      return base + 11 + jsonLength(marker.preview) + 10 + String(marker.length).length;
    case 'more':
      return base + 9 + String(marker.count).length;
    case 'bigint':
      return base + 9 + jsonLength(marker.value);
    case 'symbol':
      return base + 15 + jsonLength(marker.description);
    case 'function':
      return base + 8 + jsonLength(marker.name);
    case 'date':
      return base + 7 + (marker.iso === null ? 4 : jsonLength(marker.iso));
    case 'regexp':
      return base + 10 + jsonLength(marker.source) + 9 + jsonLength(marker.flags);
    case 'error':
      return base + 8 + jsonLength(marker.name) + 11 + jsonLength(marker.message);
    case 'binary':
      return base + 8 + jsonLength(marker.type) + 10 + String(marker.length).length + 11 + jsonLength(marker.preview);
    case 'unreadable':
      return base + 10 + jsonLength(marker.reason);
    case 'map':
    case 'set':
      return JSON.stringify(marker).length;
    default:
      return base;
  }
}

function jsonLength(text: string): number {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text).length : text.length + 2;
}

function isoOf(date: Date): string | null {
  return Number.isNaN(Date.prototype.getTime.call(date)) ? null : Date.prototype.toISOString.call(date);
}

function unbox(value: object): unknown {
  if (types.isNumberObject(value)) return Number.prototype.valueOf.call(value);
  if (types.isStringObject(value)) return String.prototype.valueOf.call(value);
  if (types.isBooleanObject(value)) return Boolean.prototype.valueOf.call(value);
  if (types.isBigIntObject(value)) return BigInt.prototype.valueOf.call(value);
  return Symbol.prototype.valueOf.call(value);
}

export function reasonOf(error: unknown): string {
  try {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : typeof error === 'string' ? error : 'threw a non-Error';
    return text.length > MAX_REASON_LENGTH ? `${sliceWhole(text, MAX_REASON_LENGTH)}…` : text;
  } catch {
    return 'threw an unreadable error';
  }
}
