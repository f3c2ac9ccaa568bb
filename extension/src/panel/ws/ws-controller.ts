import type { Fetcher } from '../../lib/debug-api.js';
import { indexStatuses, isFinished } from '../../lib/debug-api.js';
import type { HarEntryLike } from '../../lib/headers.js';
import { fetchWsConnection, fetchWsList, fetchWsMessageStatus, mergeConnection, refetchSince, type WsEndpoint } from '../../lib/ws-api.js';
import { pageSocketFromHar } from '../../lib/ws-har.js';
import { DEFAULT_PREFIX } from '../../lib/headers.js';
import type { WsViewState } from './ws-state.svelte.js';

export interface WsControllerDeps {
  fetcher: Fetcher;
  /** The origin of the inspected page's tracked HTTP traffic, when no WebSocket named one yet. */
  fallbackOrigin: () => string | null;
  tokenFor: (origin: string) => string | null;
  /** Copies text to the clipboard; true when it did. */
  copyText?: (text: string) => Promise<boolean>;
  now?: () => number;
}

const ENDED = new Set(['closed', 'rejected']);

/**
 * Drives the WebSockets view: lists the server's connections, keeps the selected one live
 * (only newer messages fetched, `?since=`, and those whose late jobs may still come), and the
 * selected message's job states.
 *
 * @example
 * ```ts
 * const ws = new WsController(state, { fetcher: fetchJson, fallbackOrigin: () => panel.lastOrigin, tokenFor });
 * ws.onHarEntry(entry);
 * await ws.tick();
 * ```
 */
export class WsController {
  #state: WsViewState;
  #deps: WsControllerDeps;
  #userSelected = false;
  #busy = false;

  constructor(state: WsViewState, deps: WsControllerDeps) {
    this.#state = state;
    this.#deps = deps;
  }

  #endpoint(): WsEndpoint | null {
    const known = this.#state.endpoint;
    if (known) return { ...known, token: this.#deps.tokenFor(known.origin) };
    const origin = this.#deps.fallbackOrigin();
    return origin ? { origin, prefix: DEFAULT_PREFIX, token: this.#deps.tokenFor(origin) } : null;
  }

  /** A request of the inspected page: its own WebSockets are marked, and the first one is selected. */
  /** Copies a job's data, options or id (the job table's and detail's menus). */
  async copy(text: string): Promise<boolean> {
    return (await this.#deps.copyText?.(text)) ?? false;
  }

  onHarEntry(entry: HarEntryLike): void {
    const socket = pageSocketFromHar(entry);
    if (!socket || this.#state.pageIds.has(socket.id)) return;
    this.#state.endpoint = { origin: socket.origin, prefix: socket.prefix, token: null };
    this.#state.pageIds = new Set([...this.#state.pageIds, socket.id]);
    if (!this.#userSelected) void this.select(socket.id, false);
  }

  /** One round of updates: the list, the selected connection's new messages, its message's jobs. */
  async tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      this.#state.now = (this.#deps.now ?? Date.now)();
      await this.refreshList();
      const open = this.#state.connection && !ENDED.has(this.#state.connection.state);
      if (open) await this.#loadConnection(this.#state.connection!.id, refetchSince(this.#state.connection!, this.#state.now));
      if (this.#state.message?.record && !this.#allFinished()) await this.refreshStatus();
    } finally {
      this.#busy = false;
    }
  }

  async refreshList(): Promise<void> {
    const at = this.#endpoint();
    if (!at) return;
    const result = await fetchWsList(this.#deps.fetcher, at);
    if (!result.ok) {
      this.#state.problem = result.problem;
      return;
    }
    this.#state.problem = null;
    this.#state.connections = result.value.connections;
    this.#state.droppedConnections = result.value.droppedConnections;
    this.#state.limits = result.value.limits;
    if (this.#state.selectedId === null) {
      const first = result.value.connections.find((c) => this.#state.pageIds.has(c.id)) ?? result.value.connections[0];
      if (first) await this.select(first.id, false);
    }
  }

  /** Shows a connection (`byUser`: the selection then stays put). */
  async select(id: string, byUser = true): Promise<void> {
    if (byUser) this.#userSelected = true;
    if (this.#state.selectedId !== id) {
      this.#state.selectedId = id;
      this.#state.connection = null;
      this.#state.selectedSeq = null;
      this.#state.statuses = new Map();
    }
    await this.#loadConnection(id, null);
  }

  async #loadConnection(id: string, since: number | null): Promise<void> {
    const at = this.#endpoint();
    if (!at) return;
    const result = await fetchWsConnection(this.#deps.fetcher, at, id, since);
    if (this.#state.selectedId !== id) return;
    if (!result.ok) {
      this.#state.problem = result.problem;
      return;
    }
    const max = this.#state.limits?.maxMessages ?? 100;
    this.#state.connection = mergeConnection(this.#state.connection, result.value, max);
  }

  /** Shows a message; a received one with jobs gets their live state. */
  async selectMessage(seq: number | null): Promise<void> {
    this.#state.selectedSeq = seq;
    this.#state.selectedTaskSeq = null;
    this.#state.statuses = new Map();
    if (this.#state.message?.record) await this.refreshStatus();
  }

  async refreshStatus(): Promise<void> {
    const at = this.#endpoint();
    const { connection, message } = this.#state;
    if (!at || !connection || !message?.record) return;
    const result = await fetchWsMessageStatus(this.#deps.fetcher, at, connection.id, message.seq);
    if (!result.ok || this.#state.selectedSeq !== message.seq) return;
    // Late jobs or results came since our copy: fetch the message again.
    if (result.value.revision !== message.record.revision) await this.#loadConnection(connection.id, message.seq - 1);
    const record = this.#state.message?.record ?? message.record;
    this.#state.statuses = indexStatuses(record, result.value.jobs);
  }

  #allFinished(): boolean {
    const record = this.#state.message?.record;
    if (!record) return true;
    return record.tasks.every((task) => task.jobId === null || isFinished(this.#state.statuses.get(task.seq)));
  }

  /** The page navigated: its sockets are gone from the network log. */
  onNavigate(): void {
    this.#state.pageIds = new Set();
    this.#userSelected = false;
  }
}
