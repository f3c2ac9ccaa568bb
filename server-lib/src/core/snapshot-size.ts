import type { SnapshotMarker } from '../protocol.js';

/**
 * JSON sizes of snapshot parts, worked out without building the JSON: how a snapshot walk keeps
 * its count against `limits.maxBytes` as it goes.
 */

const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(marker).length` for markers without nested snapshots, without building the string. */
export function markerLength(marker: SnapshotMarker): number {
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

export function jsonLength(text: string): number {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text).length : text.length + 2;
}

