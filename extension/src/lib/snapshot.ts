import type { Snapshot, SnapshotMarker } from 'taskscope/protocol';

const MARKER_KINDS = new Set<SnapshotMarker['$taskscope']>([
  'redacted', 'circular', 'depth', 'truncated', 'more', 'undefined', 'bigint', 'symbol',
  'function', 'date', 'regexp', 'error', 'binary', 'map', 'set', 'unreadable',
]);

/** True when a snapshot value is one of the serializer's stand-ins rather than plain data. */
export function isMarker(value: Snapshot): value is SnapshotMarker {
  return (
    !!value &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as { $taskscope?: unknown }).$taskscope === 'string' &&
    MARKER_KINDS.has((value as { $taskscope: SnapshotMarker['$taskscope'] }).$taskscope)
  );
}

/** How a marker is shown: a short text, whether it is a limit the user should notice, and children. */
export interface MarkerView {
  kind: SnapshotMarker['$taskscope'];
  text: string;
  /** `limit` for values cut by a bound or hidden on purpose; `value` for special values shown whole. */
  tone: 'limit' | 'value';
  title: string;
  children?: Array<[string, Snapshot]>;
}

/** Describes a serializer marker for the JSON tree. */
export function describeMarker(marker: SnapshotMarker): MarkerView {
  switch (marker.$taskscope) {
    case 'redacted':
      return { kind: 'redacted', text: 'redacted', tone: 'limit', title: 'Hidden by Taskscope: the key looks like a secret' };
    case 'circular':
      return { kind: 'circular', text: 'circular reference', tone: 'limit', title: 'The value refers back to one of its parents' };
    case 'depth':
      return { kind: 'depth', text: 'nested too deep', tone: 'limit', title: 'Deeper than limits.maxDepth' };
    case 'truncated':
      return {
        kind: 'truncated',
        text: `"${marker.preview}…"`,
        tone: 'limit',
        title: `Truncated: ${marker.length.toLocaleString('en')} characters in all (limits.maxStringLength)`,
      };
    case 'more':
      return { kind: 'more', text: `… ${marker.count.toLocaleString('en')} more`, tone: 'limit', title: 'Left out past limits.maxArrayLength / maxKeys' };
    case 'undefined':
      return { kind: 'undefined', text: 'undefined', tone: 'value', title: 'undefined' };
    case 'bigint':
      return { kind: 'bigint', text: `${marker.value}n`, tone: 'value', title: 'BigInt' };
    case 'symbol':
      return { kind: 'symbol', text: `Symbol(${marker.description})`, tone: 'value', title: 'Symbol' };
    case 'function':
      return { kind: 'function', text: `ƒ ${marker.name || 'anonymous'}()`, tone: 'value', title: 'Function' };
    case 'date':
      return { kind: 'date', text: marker.iso ?? 'Invalid Date', tone: 'value', title: 'Date' };
    case 'regexp':
      return { kind: 'regexp', text: `/${marker.source}/${marker.flags}`, tone: 'value', title: 'RegExp' };
    case 'error':
      return { kind: 'error', text: `${marker.name}: ${marker.message}`, tone: 'value', title: 'Error' };
    case 'binary':
      return {
        kind: 'binary',
        text: `${marker.type}(${marker.length}) ${marker.preview}`,
        tone: 'value',
        title: `${marker.type}, ${marker.length} bytes`,
      };
    case 'map':
      return {
        kind: 'map',
        text: `Map(${marker.size})`,
        tone: 'value',
        title: 'Map',
        children: marker.entries.map(([k, v], i): [string, Snapshot] => [String(i), { key: k, value: v }]),
      };
    case 'set':
      return {
        kind: 'set',
        text: `Set(${marker.size})`,
        tone: 'value',
        title: 'Set',
        children: marker.values.map((v, i): [string, Snapshot] => [String(i), v]),
      };
    case 'unreadable':
      return { kind: 'unreadable', text: `unreadable: ${marker.reason}`, tone: 'limit', title: 'Reading this value threw' };
  }
}
