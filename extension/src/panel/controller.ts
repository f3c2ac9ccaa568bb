import { addCount, addHit, patchEntry, type RequestEntry } from '../lib/record-store.js';
import { fetchIndex, fetchRecent, fetchRecord, lateWindowOpen, type Fetcher } from '../lib/debug-api.js';
import { recordUrlFor, type TrackedResponse, type HarEntryLike, trackedFromHar } from '../lib/headers.js';
import type { PollOutcome } from '../lib/status-poller.js';
import { LiveStatus } from './live-status.js';
import type { Settings } from '../lib/settings.js';
import type { PanelState } from './state.svelte.js';

export interface ControllerDeps {
  fetcher: Fetcher;
  /** Asks the user for access to a host the manifest does not cover. */
  requestHostAccess?: (origin: string) => Promise<boolean>;
  saveSettings?: (settings: Settings) => Promise<void>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  pollIntervalMs?: number;
  pollMaxMs?: number;
  /** Puts text on the clipboard; resolves to whether it worked. */
  copyText?: (text: string) => Promise<boolean>;
}

/** Records loaded at once; a HAR with a hundred tracked requests must not open a hundred sockets. */
const MAX_PARALLEL_LOADS = 4;

/**
 * Ties the state to the debug API: lists responses, loads their records (with the brief retry),
 * and keeps the selection; the live job status is {@link LiveStatus}'s.
 */
export class PanelController {
  #state: PanelState;
  #deps: ControllerDeps;
  #live: LiveStatus;
  #queue: string[] = [];
  #loading = 0;
  #userSelected = false;
  /** Origins whose `GET {prefix}` was asked for (its root directory, for editor links). */
  #indexAsked = new Set<string>();

  constructor(state: PanelState, deps: ControllerDeps) {
    this.#state = state;
    this.#deps = deps;
    this.#live = new LiveStatus({
      state,
      fetcher: deps.fetcher,
      now: () => this.#now(),
      entry: (id) => this.#entry(id),
      patch: (id, patch) => this.#patch(id, patch),
      tokenFor: (origin) => this.tokenFor(origin),
      pollIntervalMs: deps.pollIntervalMs,
      pollMaxMs: deps.pollMaxMs,
    });
  }

  #now(): number {
    return (this.#deps.now ?? Date.now)();
  }

  #entry(id: string): RequestEntry | undefined {
    return this.#state.entries.find((e) => e.hit.id === id);
  }

  #patch(id: string, patch: Partial<RequestEntry>): void {
    this.#state.entries = patchEntry(this.#state.entries, id, patch);
  }

  /** How this panel fetches debug-API JSON: lent to the views beside the request list (job runs). */
  get fetcher(): Fetcher {
    return this.#deps.fetcher;
  }

  /** The token the user set for an origin, if any. */
  tokenFor(origin: string): string | null {
    return this.#state.settings.tokens[origin] || null;
  }

  /** Handles one finished request of the inspected page. */
  onHarEntry(entry: HarEntryLike): void {
    this.#state.responsesSeen++;
    this.#placeNavigation(entry);
    const hit = trackedFromHar(entry, this.#now());
    if (hit) this.addHit(hit);
  }

  /**
   * DevTools reports a navigation once the new page's document has answered, after its request
   * started: the page-load line goes above that document request, not below it.
   */
  #placeNavigation(entry: HarEntryLike): void {
    const navigations = this.#state.navigations;
    const last = navigations.at(-1);
    if (!last || entry.request.url !== last.url || !entry.startedDateTime) return;
    const started = Date.parse(entry.startedDateTime);
    if (Number.isFinite(started) && started < last.at && last.at - started < 60_000) {
      this.#state.navigations = [...navigations.slice(0, -1), { ...last, at: started }];
    }
  }

  /** Lists a tracked response and loads its record. The selection never moves once made. */
  addHit(hit: TrackedResponse): void {
    const before = this.#state.entries;
    this.#state.entries = addHit(before, hit);
    this.#state.lastOrigin = hit.origin;
    if (this.#state.entries === before) return;
    this.#autoSelect();
    this.#askIndex(hit.origin);
    this.#enqueueLoad(hit.id);
  }

  /**
   * Until the user picks one, shows the newest request that enqueued something (not the page's
   * own GET / or its favicon); once they pick, the selection stays put while they read.
   */
  #autoSelect(): void {
    if (this.#userSelected) return;
    const visible = this.#state.visibleEntries;
    const pick = visible.find((e) => (addCount(e) ?? 1) > 0) ?? visible[0] ?? null;
    const id = pick?.hit.id ?? null;
    if (id !== this.#state.selectedId) {
      this.#state.selectedId = id;
      this.#state.selectedSeq = null;
    }
  }

  /** Asks a server once for its root directory, so editor links work with no setting on this machine. */
  #askIndex(origin: string): void {
    if (this.#indexAsked.has(origin)) return;
    this.#indexAsked.add(origin);
    void fetchIndex(this.#deps.fetcher, origin, this.#state.settings.prefix, this.tokenFor(origin)).then((result) => {
      if (result.ok && typeof result.value.root === 'string' && result.value.root) {
        this.#state.serverRoots = { ...this.#state.serverRoots, [origin]: result.value.root };
      } else if (!result.ok) this.#indexAsked.delete(origin); // try again with the next response
    });
  }

  #enqueueLoad(id: string): void {
    this.#queue.push(id);
    this.#drain();
  }

  #drain(): void {
    while (this.#loading < MAX_PARALLEL_LOADS && this.#queue.length) {
      const id = this.#queue.shift() as string;
      this.#loading++;
      void this.load(id).finally(() => {
        this.#loading--;
        this.#drain();
      });
    }
  }

  /** Loads (or reloads) a request's record, then follows it while jobs are unfinished or late ones may come. */
  async load(id: string): Promise<void> {
    const entry = this.#entry(id);
    if (!entry) return;
    this.#patch(id, { loading: true, problem: null });
    const { hit } = entry;
    const result = await fetchRecord(this.#deps.fetcher, hit.recordUrl, this.tokenFor(hit.origin), {
      respondedAt: hit.startedAt + (hit.durationMs ?? 0),
      now: this.#deps.now,
      sleep: this.#deps.sleep,
    });
    if (!this.#entry(id)) return; // cleared meanwhile
    if (!result.ok) {
      this.#patch(id, { loading: false, problem: result.problem });
      return;
    }
    this.#patch(id, { loading: false, record: result.value, problem: null });
    this.#autoSelect();
    const record = result.value;
    if (record.tasks.some((t) => t.jobId !== null) || lateWindowOpen(record, this.#now())) this.startPolling(id);
  }

  /** Fetches the status of a request's jobs once (see {@link LiveStatus.refreshStatus}). */
  refreshStatus(id: string): Promise<PollOutcome> {
    return this.#live.refreshStatus(id);
  }

  /** Starts (or restarts, with a fresh two-minute budget) live status for one request. */
  startPolling(id: string): void {
    this.#live.startPolling(id);
  }

  /** The Refresh button: the record again (late tasks), one status call, and live status again if jobs are unfinished. */
  async refresh(id: string): Promise<void> {
    await this.#live.refetchRecord(id);
    const outcome = await this.refreshStatus(id);
    if (outcome === 'pending') this.startPolling(id);
  }

  /** "Refresh all": every listed request with a record. */
  async refreshAll(): Promise<void> {
    await Promise.all(this.#state.entries.filter((e) => e.record).map((e) => this.refresh(e.hit.id)));
  }

  setVisible(visible: boolean): void {
    this.#state.visible = visible;
    this.#live.setVisible(visible);
  }

  clear(): void {
    this.#live.stopAll();
    this.#queue = [];
    this.#state.entries = [];
    this.#state.selectedId = null;
    this.#state.selectedSeq = null;
    this.#state.navigations = [];
    // What the page sent before the Clear says nothing about the next responses.
    this.#state.responsesSeen = 0;
    this.#userSelected = false;
  }

  /** The inspected page navigated: start over unless the user preserves the log, then mark the page load. */
  onNavigate(url = ''): void {
    if (!this.#state.settings.preserveLog) {
      this.clear();
      return;
    }
    this.#state.navigations = [...this.#state.navigations, { at: this.#now(), url }];
  }

  /** The user picked a request: from now on new requests do not move the selection. */
  select(id: string | null): void {
    this.#userSelected = id !== null;
    if (id !== this.#state.selectedId) this.#state.selectedSeq = null;
    this.#state.selectedId = id;
  }

  /** The user opened a job (or closed it with `null`): the request they read stays selected. */
  selectJob(seq: number | null): void {
    if (this.#state.selectedId !== null) this.#userSelected = true;
    this.#state.selectedSeq = seq;
  }

  /** Copies text for the user and says so (or that it could not) in one line. */
  async copy(text: string, what: string): Promise<void> {
    const done = (await this.#deps.copyText?.(text)) ?? false;
    this.#state.toast = done ? `Copied ${what}` : `Could not copy ${what}`;
    const toast = this.#state.toast;
    setTimeout(() => {
      if (this.#state.toast === toast) this.#state.toast = null;
    }, 2500);
  }

  /** Lists the server's recent requests (also those made before DevTools opened). */
  async loadRecent(origin: string): Promise<void> {
    const { prefix } = this.#state.settings;
    const result = await fetchRecent(this.#deps.fetcher, origin, prefix, this.tokenFor(origin));
    if (!result.ok) {
      this.#state.notice = `Could not load recent requests from ${origin}: ${result.problem.kind}`;
      return;
    }
    this.#state.notice = null;
    for (const item of [...result.value.requests].reverse()) {
      const recordUrl = recordUrlFor(origin, item.id, `${prefix}/requests/${encodeURIComponent(item.id)}`);
      this.addHit({
        id: item.id,
        origin,
        recordUrl,
        statusUrl: `${recordUrl}/status`,
        method: item.method,
        path: item.url,
        status: item.status ?? 0,
        startedAt: item.startedAt,
        durationMs: item.durationMs,
        taskCount: item.taskCount,
        enqueueMs: null,
      });
    }
  }

  /** Saves the token for one origin and retries what it refused. */
  async setToken(origin: string, token: string): Promise<void> {
    const settings = this.#state.settings;
    await this.updateSettings({ ...settings, tokens: { ...settings.tokens, [origin]: token } });
  }

  /** Asks for access to `origin`, then reloads its requests that could not be fetched. */
  async allowHost(origin: string): Promise<boolean> {
    const granted = (await this.#deps.requestHostAccess?.(origin)) ?? false;
    if (granted) for (const entry of this.#state.entries) if (entry.hit.origin === origin && entry.problem) void this.load(entry.hit.id);
    return granted;
  }

  /** Saves settings; a changed token reloads the requests of its origin that it refused. */
  async updateSettings(settings: Settings): Promise<void> {
    const previous = this.#state.settings;
    this.#state.settings = settings;
    await this.#deps.saveSettings?.(settings);
    for (const entry of this.#state.entries) {
      const origin = entry.hit.origin;
      if (previous.tokens[origin] !== settings.tokens[origin] && entry.problem) void this.load(entry.hit.id);
    }
  }
}
