import type { JobStatus, WsConnectionItem, WsConnectionRecord, WsListResponse } from 'taskscope/protocol';
import type { Problem } from '../../lib/debug-api.js';
import type { WsEndpoint } from '../../lib/ws-api.js';

/** The WebSockets view's state; records are raw (non-proxied) values. */
export class WsViewState {
  /** The view is the one shown (the switch beside the request list). */
  active = $state(false);
  endpoint = $state.raw<WsEndpoint | null>(null);
  connections = $state.raw<WsConnectionItem[]>([]);
  limits = $state.raw<WsListResponse['limits'] | null>(null);
  droppedConnections = $state(0);
  /** Ids of the inspected page's own WebSockets (from DevTools' network log). */
  pageIds = $state.raw<ReadonlySet<string>>(new Set());
  selectedId = $state<string | null>(null);
  connection = $state.raw<WsConnectionRecord | null>(null);
  selectedSeq = $state<number | null>(null);
  /** Live job state of the selected message's jobs, by task seq. */
  statuses = $state.raw<ReadonlyMap<number, JobStatus>>(new Map());
  selectedTaskSeq = $state<number | null>(null);
  problem = $state.raw<Problem | null>(null);
  now = $state(Date.now());

  message = $derived(this.connection?.messages.find((m) => m.seq === this.selectedSeq) ?? null);
  live = $derived(this.active && this.connections.some((c) => c.state === 'open' || c.state === 'connecting' || c.state === 'closing'));
}
