/**
 * The newest links of jobs to the requests that enqueued them, kept as they come — a few slots
 * of parallel arrays, no key built, no Map hashed — until something in this process asks for a
 * job's lineage (a Worker starts a job, the panel reads runs). A web process without Workers of
 * its own never asks, so its adds pay only these stores.
 *
 * @example
 * ```ts
 * const recent = new RecentLinks(10_000);
 * recent.push('bull', 'emails', '42', requestId, 1, Date.now());
 * recent.drain((prefix, queue, jobId, requestId, seq, at) => index(prefix, queue, jobId, requestId, seq, at));
 * ```
 */
export class RecentLinks {
  private readonly prefixes: string[] = [];
  private readonly queues: string[] = [];
  private readonly jobIds: string[] = [];
  private readonly requestIds: string[] = [];
  private readonly seqs: number[] = [];
  private readonly times: number[] = [];
  // The slot the next link goes to; once full, the oldest is overwritten.
  private next = 0;

  constructor(private readonly capacity: number) {}

  push(prefix: string, queue: string, jobId: string, requestId: string, seq: number, at: number): void {
    const slot = this.next;
    this.prefixes[slot] = prefix;
    this.queues[slot] = queue;
    this.jobIds[slot] = jobId;
    this.requestIds[slot] = requestId;
    this.seqs[slot] = seq;
    this.times[slot] = at;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
  }

  /** Hands every link kept to `take`, oldest first, and forgets them. */
  drain(take: (prefix: string, queue: string, jobId: string, requestId: string, seq: number, at: number) => void): void {
    const count = this.jobIds.length;
    // When full, the oldest is the slot about to be overwritten.
    const start = count === this.capacity ? this.next : 0;
    for (let index = 0; index < count; index += 1) {
      const slot = (start + index) % count;
      take(this.prefixes[slot]!, this.queues[slot]!, this.jobIds[slot]!, this.requestIds[slot]!, this.seqs[slot]!, this.times[slot]!);
    }
    for (const list of [this.prefixes, this.queues, this.jobIds, this.requestIds, this.seqs, this.times]) list.length = 0;
    this.next = 0;
  }
}
