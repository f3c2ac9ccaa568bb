/** Rejects with `TimeoutError` when `promise` has not settled within `ms`. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Waits for `promise`, but no longer than `ms`: a store on a Redis that went away must not hold
 * the app's response (or the debug API) hostage while its client retries.
 *
 * @example
 * ```ts
 * await withTimeout(store.save(record), 1000, 'storing the record');
 * ```
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(`${what} took longer than ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error: unknown) => { clearTimeout(timer); reject(error); },
    );
  });
}
