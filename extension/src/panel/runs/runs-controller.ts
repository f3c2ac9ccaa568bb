import type { JobRunsResponse } from 'taskscope/protocol';
import type { Fetcher, Problem } from '../../lib/debug-api.js';
import { isFinished } from '../../lib/debug-api.js';
import type { RequestEntry } from '../../lib/record-store.js';
import { StatusPoller, type PollOutcome } from '../../lib/status-poller.js';
import { keyString, type JobKey } from './job-key.js';
import { keepKnownStates, treeFinal } from './lineage-model.js';
import { apiRootOf, fetchJobRuns, fetchLineage } from './runs-api.js';
import type { RunsViewState } from './runs-state.svelte.js';

export interface RunsControllerDeps {
  fetcher: Fetcher;
  tokenFor: (origin: string) => string | null;
  now?: () => number;
  /** @defaultValue 1000 */
  pollIntervalMs?: number;
  /** @defaultValue 120000 */
  pollMaxMs?: number;
}

/** A problem that asking again may solve: the server could not be reached, or failed this once (500, 503). */
const retryable = (problem: Problem): boolean => problem.kind === 'unreachable' || (problem.kind === 'server' && problem.status >= 500);

/** Runs answers kept for jobs opened before. */
const MAX_KEPT_RUNS = 50;

/** Requests not looked at are followed less often: every 1, 1.5, 2.3 … up to 8 s. */
const BACKGROUND = { factor: 1.5, maxIntervalMs: 8_000 };

/**
 * Drives the job-runs view: follows the lineage of every request the panel follows (its job
 * tree, and the request list's mark when jobs it led to failed) until every job of the tree is
 * final, and the runs of the job open in the detail until its last attempt is.
 *
 * @example
 * ```ts
 * const runs = new RunsController(state, { fetcher, tokenFor: (o) => controller.tokenFor(o) });
 * runs.sync(panel.entries, panel.selectedId, panel.visible); // whenever they change
 * const stop = runs.watchJob(entry, { prefix: 'bull', queue: 'emails', jobId: '12' });
 * ```
 */
export class RunsController {
  #state: RunsViewState;
  #deps: RunsControllerDeps;
  #entries = new Map<string, RequestEntry>();
  #lineagePollers = new Map<string, StatusPoller>();
  /** Whether the panel followed each request's status at the last sync: when that ends, our own poller takes over. */
  #wasPolling = new Map<string, boolean>();
  /** The status answer (`statusAt`) after which each request's lineage was last asked for. */
  #askedAt = new Map<string, number>();
  #asking = new Set<string>();
  #selectedId: string | null = null;
  #visible = true;
  #job: { key: string; poller: StatusPoller } | null = null;

  constructor(state: RunsViewState, deps: RunsControllerDeps) {
    this.#state = state;
    this.#deps = deps;
  }

  #now(): number {
    return (this.#deps.now ?? Date.now)();
  }

  #poller(poll: () => Promise<PollOutcome>, background: () => boolean): StatusPoller {
    const poller = new StatusPoller({
      poll,
      intervalMs: this.#deps.pollIntervalMs,
      maxMs: this.#deps.pollMaxMs,
      backoff: () => (background() ? BACKGROUND : null),
    });
    poller.setVisible(this.#visible);
    return poller;
  }

  /**
   * Takes the panel's requests as they are now. While the panel follows a request's status, its
   * lineage is asked for right after each status answer, never beside it: the server reads job
   * states one read at a time per Redis connection, and answers a read that would wait behind
   * another with `unavailable`. Once the request's own jobs are final, the lineage is followed
   * on its own until its follow-ups are too; a Refresh starts over. A request no longer listed
   * is dropped.
   */
  sync(entries: readonly RequestEntry[], selectedId: string | null, visible: boolean): void {
    this.#entries = new Map(entries.map((entry) => [entry.hit.id, entry]));
    for (const entry of entries) {
      const id = entry.hit.id;
      if (entry.polling) {
        this.#lineagePollers.get(id)?.stop();
        if (entry.statusAt !== null && entry.statusAt !== this.#askedAt.get(id) && !this.#asking.has(id)) {
          this.#askedAt.set(id, entry.statusAt);
          this.#asking.add(id);
          void this.refreshLineage(id).finally(() => this.#asking.delete(id));
        }
      } else if (this.#wasPolling.get(id)) this.#followLineage(id);
      this.#wasPolling.set(id, entry.polling);
    }
    for (const id of [...this.#wasPolling.keys()]) if (!this.#entries.has(id)) this.#forget(id);
    if (selectedId !== this.#selectedId) {
      this.#selectedId = selectedId;
      // Picked while followed in the background: answer now, and every second from here.
      const poller = selectedId === null ? undefined : this.#lineagePollers.get(selectedId);
      if (poller?.active) poller.start();
    }
    if (visible !== this.#visible) {
      this.#visible = visible;
      for (const poller of this.#lineagePollers.values()) poller.setVisible(visible);
      this.#job?.poller.setVisible(visible);
    }
  }

  #followLineage(id: string): void {
    let poller = this.#lineagePollers.get(id);
    if (!poller) {
      poller = this.#poller(() => this.refreshLineage(id), () => this.#selectedId !== id);
      this.#lineagePollers.set(id, poller);
    }
    poller.start();
  }

  #forget(id: string): void {
    this.#lineagePollers.get(id)?.stop();
    this.#lineagePollers.delete(id);
    this.#wasPolling.delete(id);
    this.#askedAt.delete(id);
    if (this.#state.lineages.has(id)) {
      const lineages = new Map(this.#state.lineages);
      lineages.delete(id);
      this.#state.lineages = lineages;
    }
    if (this.#state.followUp?.requestId === id) this.#state.followUp = null;
  }

  /** Fetches a request's lineage once; `finished` when every job of the tree is final and no late job may come. */
  async refreshLineage(id: string): Promise<PollOutcome> {
    const entry = this.#entries.get(id);
    if (!entry?.record) return 'finished';
    const result = await fetchLineage(this.#deps.fetcher, entry.hit.recordUrl, this.#deps.tokenFor(entry.hit.origin));
    if (!this.#entries.has(id)) return 'finished';
    // A server without job runs (404), or a refusal, is not worth asking again; a network error
    // or a busy server (a store read that timed out) is.
    if (!result.ok) return retryable(result.problem) ? 'pending' : 'finished';
    const lineage = keepKnownStates(this.#state.lineages.get(id), result.value);
    this.#state.lineages = new Map(this.#state.lineages).set(id, lineage);
    this.#state.now = this.#now();
    return treeFinal(lineage) ? 'finished' : 'pending';
  }

  /**
   * Follows the runs of one job while its detail is open, until its last attempt is final (and
   * the job too, as the lineage says). Returns the function that stops it.
   */
  watchJob(entry: RequestEntry, job: JobKey): () => void {
    const key = keyString(job);
    this.#job?.poller.stop();
    const poller = this.#poller(() => this.refreshRuns(entry, job), () => false);
    const watch = { key, poller };
    this.#job = watch;
    poller.start();
    return () => {
      poller.stop();
      if (this.#job === watch) this.#job = null;
    };
  }

  /** Fetches one job's runs once (e.g. a follow-up's parent, for the task that enqueued the follow-up). */
  async loadRuns(entry: RequestEntry, job: JobKey): Promise<JobRunsResponse | null> {
    const at = { base: apiRootOf(entry.hit.recordUrl), token: this.#deps.tokenFor(entry.hit.origin) };
    const result = await fetchJobRuns(this.#deps.fetcher, at, job);
    if (!result.ok) {
      this.#state.runsProblem = result.problem;
      return null;
    }
    this.#state.runsProblem = null;
    const runs = new Map(this.#state.runs);
    runs.delete(keyString(job)); // the newest answer goes last, where eviction comes last
    runs.set(keyString(job), result.value);
    // Answers of jobs opened long ago make room: a long session opens many.
    for (const old of runs.keys()) if (runs.size > MAX_KEPT_RUNS) runs.delete(old);
    this.#state.runs = runs;
    this.#state.now = this.#now();
    return result.value;
  }

  /** Fetches one job's runs once; `finished` when its last attempt is final. */
  async refreshRuns(entry: RequestEntry, job: JobKey): Promise<PollOutcome> {
    const answer = await this.loadRuns(entry, job);
    if (!answer) return this.#state.runsProblem && retryable(this.#state.runsProblem) ? 'pending' : 'finished';
    const key = keyString(job);
    const status = this.#state.lineages.get(entry.hit.id)?.jobs.find((node) => keyString(node) === key)?.status;
    const last = answer.runs.at(-1);
    const lastFinal = !!last && (last.outcome === 'completed' || (last.outcome === 'failed' && last.retried === false));
    return lastFinal || (isFinished(status) && last?.outcome !== 'running') ? 'finished' : 'pending';
  }

  /** Opens a follow-up job in the request's detail (`null` closes it). */
  openFollowUp(requestId: string, job: JobKey | null): void {
    this.#state.followUp = job ? { requestId, job } : null;
  }

  /** Folds or unfolds a job's follow-ups in the job table. */
  toggleFold(job: JobKey): void {
    const key = keyString(job);
    const folded = new Set(this.#state.folded);
    if (!folded.delete(key)) folded.add(key);
    this.#state.folded = folded;
  }
}
