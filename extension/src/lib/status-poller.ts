/** What one poll found. */
export type PollOutcome = 'finished' | 'pending';

export interface StatusPollerOptions {
  /** Fetches the status once; resolves to whether every job is finished. */
  poll: () => Promise<PollOutcome>;
  /** @defaultValue 1000 */
  intervalMs?: number;
  /** Polling gives up this long after `start()`. @defaultValue 120000 */
  maxMs?: number;
  /** Called whenever `active` changes, so the panel can show its indicator. */
  onActiveChange?: (active: boolean) => void;
  /**
   * Asked before each wait: each poll then waits `factor` times longer than the one before, up
   * to `maxIntervalMs` (from `intervalMs` again at every `start()`); `null` polls every
   * `intervalMs`. For what is followed in the background rather than looked at.
   */
  backoff?: () => { factor: number; maxIntervalMs: number } | null;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/**
 * Polls one request's job status about every second while the panel is visible, until every
 * job is finished or `maxMs` has passed. Polls never overlap: the next is scheduled when the
 * previous one has answered, so a slow server is not piled up on.
 */
export class StatusPoller {
  #options: Required<Omit<StatusPollerOptions, 'onActiveChange' | 'backoff'>> & Pick<StatusPollerOptions, 'onActiveChange' | 'backoff'>;
  #intervalMs = 0;
  #startedAt = 0;
  #timer: unknown = null;
  #inFlight = false;
  #visible = true;
  #done = true;
  #active = false;

  constructor(options: StatusPollerOptions) {
    this.#options = {
      now: Date.now,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      ...options,
      // Callers pass their own optional settings on (`intervalMs: deps.pollIntervalMs`): an
      // `undefined` there must not replace the default, or polls follow each other with no pause
      // and never give up.
      intervalMs: options.intervalMs ?? 1000,
      maxMs: options.maxMs ?? 120_000,
    };
  }

  /** True while polls are scheduled or running. */
  get active(): boolean {
    return this.#active;
  }

  /** Starts (or restarts, with a fresh time budget) polling; the first poll is immediate. */
  start(): void {
    this.#startedAt = this.#options.now();
    this.#intervalMs = this.#options.intervalMs;
    this.#done = false;
    this.#cancelTimer();
    if (this.#visible) void this.#tick();
    this.#setActive(this.#visible);
  }

  /** Stops for good, until `start()` is called again. */
  stop(): void {
    this.#done = true;
    this.#cancelTimer();
    this.#setActive(false);
  }

  /** Pauses while the panel is hidden; resumes (if not done) when it is shown again. */
  setVisible(visible: boolean): void {
    if (visible === this.#visible) return;
    this.#visible = visible;
    if (!visible) {
      this.#cancelTimer();
      this.#setActive(false);
    } else if (!this.#done && !this.#expired()) {
      this.#setActive(true);
      if (!this.#inFlight) void this.#tick();
    }
  }

  #expired(): boolean {
    return this.#options.now() - this.#startedAt >= this.#options.maxMs;
  }

  async #tick(): Promise<void> {
    if (this.#inFlight) return;
    this.#timer = null;
    this.#inFlight = true;
    let outcome: PollOutcome = 'pending';
    try {
      outcome = await this.#options.poll();
    } catch {
      // A failed poll is shown by the caller; keep trying until the time budget runs out.
    } finally {
      this.#inFlight = false;
    }
    if (outcome === 'finished' || this.#expired()) {
      this.#done = true;
      this.#setActive(false);
      return;
    }
    if (this.#done || !this.#visible) return;
    const backoff = this.#options.backoff?.() ?? null;
    const wait = backoff ? this.#intervalMs : this.#options.intervalMs;
    this.#intervalMs = backoff ? Math.min(backoff.maxIntervalMs, wait * backoff.factor) : this.#options.intervalMs;
    this.#timer = this.#options.setTimer(() => void this.#tick(), wait);
  }

  #cancelTimer(): void {
    if (this.#timer !== null) this.#options.clearTimer(this.#timer);
    this.#timer = null;
  }

  #setActive(active: boolean): void {
    if (active === this.#active) return;
    this.#active = active;
    this.#options.onActiveChange?.(active);
  }
}
