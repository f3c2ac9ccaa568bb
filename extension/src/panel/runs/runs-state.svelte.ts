import type { JobRunsResponse, RequestLineageResponse } from 'taskscope/protocol';
import type { Problem } from '../../lib/debug-api.js';
import { descendantMark, type DescendantMark } from './lineage-model.js';
import type { JobKey } from './job-key.js';

/** The job-runs view's state (issue 11): lineages of listed requests, and the runs of the open job. Raw values: answers can be large. */
export class RunsViewState {
  /** `GET …/lineage` answers, by request id. */
  lineages = $state.raw<ReadonlyMap<string, RequestLineageResponse>>(new Map());
  /** The open job's `GET …/runs` answer, by job key string. */
  runs = $state.raw<ReadonlyMap<string, JobRunsResponse>>(new Map());
  runsProblem = $state.raw<Problem | null>(null);
  /** A job a job enqueued, open in its request's detail (a request's own jobs are `PanelState.selectedSeq`). */
  followUp = $state.raw<{ requestId: string; job: JobKey } | null>(null);
  /** Key strings of jobs whose follow-ups are folded in the job table. */
  folded = $state.raw<ReadonlySet<string>>(new Set());
  /** Epoch ms of the last answer: closes the bars of what is still running. */
  now = $state(Date.now());

  /** The request list's marks: requests whose jobs, or the jobs those led to, failed. */
  marks = $derived.by(() => {
    const out = new Map<string, DescendantMark>();
    for (const [id, lineage] of this.lineages) {
      const mark = descendantMark(lineage);
      if (mark) out.set(id, mark);
    }
    return out as ReadonlyMap<string, DescendantMark>;
  });
}
