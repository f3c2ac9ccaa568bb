/**
 * Values by job — prefix, then queue, then job id — in nested Maps rather than one Map keyed
 * by a joined string: a lookup hashes strings V8 has hashed before (the queue's name, the job
 * id the entry already holds) instead of building and hashing a new key, and no key string is
 * kept per job (about 40 bytes each, issue 11).
 *
 * @example
 * ```ts
 * const table = new JobTable<number>();
 * table.set('bull', 'emails', '12', 1);
 * table.get('bull', 'emails', '12'); // 1
 * ```
 */
export class JobTable<T> {
  private readonly prefixes = new Map<string, Map<string, Map<string, T>>>();
  private count = 0;

  /** Jobs held. */
  get size(): number {
    return this.count;
  }

  get(prefix: string, queue: string, jobId: string): T | undefined {
    return this.prefixes.get(prefix)?.get(queue)?.get(jobId);
  }

  set(prefix: string, queue: string, jobId: string, value: T): void {
    let queues = this.prefixes.get(prefix);
    if (queues === undefined) this.prefixes.set(prefix, (queues = new Map()));
    let jobs = queues.get(queue);
    if (jobs === undefined) queues.set(queue, (jobs = new Map()));
    const before = jobs.size;
    jobs.set(jobId, value);
    this.count += jobs.size - before;
  }

  delete(prefix: string, queue: string, jobId: string): boolean {
    const jobs = this.prefixes.get(prefix)?.get(queue);
    if (jobs === undefined || !jobs.delete(jobId)) return false;
    this.count -= 1;
    return true;
  }

  clear(): void {
    this.prefixes.clear();
    this.count = 0;
  }
}
