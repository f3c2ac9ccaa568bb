import type { WsConnectionItem, WsMessage } from 'taskscope/protocol';
import type { Snapshot } from 'taskscope/protocol';

/** `1.2 KB`, `340 B`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** How long a connection has lasted: its duration once ended, else since it opened. */
export function connectionAge(item: WsConnectionItem, now: number): number {
  return item.durationMs ?? Math.max(0, now - item.openedAt);
}

/** One line of a message for the timeline: the decoded event, the text, or the frame kind. */
export function messageSummary(message: WsMessage): string {
  const decoded = message.decoded;
  if (decoded?.event) return `${decoded.type} ${decoded.event}`;
  if (decoded) return `${decoded.kind} ${decoded.type}`;
  if (message.opcode === 'close') return `close ${message.closeCode ?? ''} ${message.preview ?? ''}`.trim();
  if (message.encoding === 'hex') return `0x${message.preview}`;
  if (message.preview === null) return `${message.opcode} (${formatBytes(message.size)})`;
  return message.preview.length > 160 ? `${message.preview.slice(0, 160)}…` : message.preview;
}

/** The JSON a text message holds, when it is JSON; `undefined` otherwise. Shown as a tree, never as HTML. */
export function messageJson(message: WsMessage): Snapshot | undefined {
  const text = message.preview;
  if (message.encoding !== 'text' || message.truncated || text === null || !/^\s*[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text) as Snapshot;
  } catch {
    return undefined;
  }
}

/** Jobs a received message enqueued. */
export function messageJobCount(message: WsMessage): number {
  return message.record?.summary.total ?? 0;
}
