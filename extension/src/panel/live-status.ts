import type { RequestEntry } from '../lib/record-store.js';
import { allFinished, fetchRecord, fetchStatus, indexStatuses, keepKnownStatuses, lateWindowOpen, type Fetcher } from '../lib/debug-api.js';
import { StatusPoller, type PollOutcome } from '../lib/status-poller.js';
import type { PanelState } from './state.svelte.js';

/** What {@link LiveStatus} reads and writes of the panel: its state and one request's entry. */
export interface LiveStatusHost {
  readonly state: PanelState;
  readonly fetcher: Fetcher;
  now(): number;
  entry(id: string): RequestEntry | undefined;
  patch(id: string, patch: Partial<RequestEntry>): void;
  tokenFor(origin: string): string | null;
  pollIntervalMs?: number;
  pollMaxMs?: number;
}

/**
 * The live part of the request view: the status of each request's jobs, polled while the panel
 * is visible and jobs are unfinished (or late ones may come), and the record fetched again only
 * when the server says it changed.
 *
 * @example
 * ```ts
 * const live = new LiveStatus(host);
 * live.startPolling(id);
 * ```
 */
export class LiveStatus {
  #host: LiveStatusHost;
  #pollers = new Map<string, StatusPoller>();

  constructor(host: LiveStatusHost) {
    this.#host = host;
  }

  /** Fetches the record again, once, without the retry for fresh responses. */
  async refetchRecord(id: string): Promise<void> {
    const host = this.#host;
    const entry = host.entry(id);
    if (!entry) return;
    const { hit } = entry;
    const result = await fetchRecord(host.fetcher, hit.recordUrl, host.tokenFor(hit.origin), { respondedAt: 0, delays: [] });
    if (!host.entry(id)) return;
    if (result.ok) host.patch(id, { record: result.value, problem: null });
    else host.patch(id, { statusProblem: result.problem });
  }

  /**
   * Fetches the status of a request's jobs once. When the record changed on the server since it
   * was fetched (a late task, an enqueue result), fetches the record again, and only then: a
   * record of 1,000 tasks is not downloaded again on every poll.
   */
  async refreshStatus(id: string): Promise<PollOutcome> {
    const host = this.#host;
    const entry = host.entry(id);
    if (!entry?.record) return 'finished';
    const result = await fetchStatus(host.fetcher, entry.hit.statusUrl, host.tokenFor(entry.hit.origin));
    let current = host.entry(id);
    if (!current?.record) return 'finished';
    if (!result.ok) {
      host.patch(id, { statusProblem: result.problem });
      // Expired or refused: polling again will not help.
      return result.problem.kind === 'unreachable' ? 'pending' : 'finished';
    }
    let answer = result.value;
    const known = current.record;
    if ((typeof answer.revision === 'number' && answer.revision > (known.revision ?? 0)) || answer.taskCount > known.summary.total) {
      await this.refetchRecord(id);
      current = host.entry(id);
      if (!current?.record) return 'finished';
      // The new tasks' jobs were not in that answer yet: ask once more, now, not a second later.
      const fresh = current.record;
      const seen = new Set(answer.jobs.map((j) => j.seq));
      if (fresh.tasks.some((t) => t.jobId !== null && !seen.has(t.seq))) {
        const again = await fetchStatus(host.fetcher, current.hit.statusUrl, host.tokenFor(current.hit.origin));
        if (again.ok) answer = again.value;
        current = host.entry(id);
        if (!current?.record) return 'finished';
      }
    }
    const record = current.record;
    const statuses = keepKnownStatuses(current.statuses, indexStatuses(record, answer.jobs));
    host.patch(id, { statuses, statusProblem: null, statusAt: host.now() });
    host.state.now = host.now();
    const lateOpen = answer.lateUntil === null ? lateWindowOpen(record, host.now()) : host.now() < answer.lateUntil;
    return allFinished(record, statuses) && !lateOpen ? 'finished' : 'pending';
  }

  /** Starts (or restarts, with a fresh two-minute budget) live status for one request. */
  startPolling(id: string): void {
    const host = this.#host;
    let poller = this.#pollers.get(id);
    if (!poller) {
      poller = new StatusPoller({
        poll: () => this.refreshStatus(id),
        intervalMs: host.pollIntervalMs,
        maxMs: host.pollMaxMs,
        onActiveChange: (active) => {
          if (host.entry(id)) host.patch(id, { polling: active });
        },
      });
      poller.setVisible(host.state.visible);
      this.#pollers.set(id, poller);
    }
    poller.start();
  }

  /** Polls only while the panel is visible. */
  setVisible(visible: boolean): void {
    for (const poller of this.#pollers.values()) poller.setVisible(visible);
  }

  /** Stops every poll (the list was cleared). */
  stopAll(): void {
    for (const poller of this.#pollers.values()) poller.stop();
    this.#pollers.clear();
  }
}
