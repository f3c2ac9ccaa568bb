/**
 * Tells one turn of the event loop from the next, with at most one `setImmediate` per turn:
 * what a message's listeners enqueue in the turn that delivered it (including the `nextTick`
 * and promise jobs it queued, as socket.io dispatches events) is in time; later is late.
 *
 * @example
 * ```ts
 * const turn = clock.current();
 * // … later
 * if (clock.current() !== turn) console.log('a later turn');
 * ```
 */
export class TurnClock {
  private turn = 0;
  private scheduled = false;
  private ending: Array<() => void> = [];

  /** The number of the turn running now. */
  current(): number {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.end);
    }
    return this.turn;
  }

  /** Runs `fn` once the current turn is over. */
  atEnd(fn: () => void): void {
    this.current();
    this.ending.push(fn);
  }

  private readonly end = (): void => {
    this.turn += 1;
    this.scheduled = false;
    const ending = this.ending;
    this.ending = [];
    for (const fn of ending) {
      try {
        fn();
      } catch {
        // A recording's own failures are logged by it; the loop goes on for the others.
      }
    }
  };
}
