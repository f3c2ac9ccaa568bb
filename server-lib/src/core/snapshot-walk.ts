import { types } from 'node:util';
import type { Snapshot, SnapshotMarker } from '../protocol.js';
import { sliceWhole } from './clip.js';
import type { KeyRedactor } from './redact.js';
import type { SerializeLimits } from './serialize.js';
import { jsonLength, markerLength } from './snapshot-size.js';
import { binaryMarker, isoOf, reasonOf, unbox } from './snapshot-values.js';

/**
 * One walk over a value, building its bounded, redacted snapshot: the workhorse of
 * `createSerializer()`, which owns the options and the public contract.
 */

// Room kept back by each open container for the `more` marker it may have to end with.
const CLOSING_RESERVE = 48;
// An entry is only started when at least this much room is left for its value.
const MIN_VALUE_ROOM = 50;
const BINARY_PREVIEW_BYTES = 16;
// Objects with more keys than this have their key list cached for the walk, so a structure
// that references one huge object many times does not enumerate it each time.
const BIG_OBJECT_KEYS = 1000;
const MORE_KEY = '…';

const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get!;
const setSize = Object.getOwnPropertyDescriptor(Set.prototype, 'size')!.get!;

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
    return this.marker(binaryMarker(value, this.previewBytes()));
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
