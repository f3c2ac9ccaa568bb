import { setTimeout as sleep } from 'node:timers/promises';
import { getJson } from '../../support/koa-app.js';

/** Polls `read` until `done` holds for its answer (or fails with the last answer after `timeoutMs`). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > until) throw new Error(`timed out; last answer: ${JSON.stringify(last).slice(0, 2000)}`);
    await sleep(50);
    last = await read();
  }
  return last;
}

/** The debug API's answer about one job's runs. */
export async function jobRuns(baseUrl: string, queue: string, jobId: string): Promise<any> {
  return (await getJson(`${baseUrl}/__taskscope/jobs/${encodeURIComponent(queue)}/${encodeURIComponent(jobId)}/runs`)).body;
}

/** The debug API's lineage tree of a request. */
export async function lineage(baseUrl: string, requestId: string): Promise<any> {
  return (await getJson(`${baseUrl}/__taskscope/requests/${requestId}/lineage`)).body;
}

/** Every run finished: none still `running`. */
export function allFinished(answer: { runs: Array<{ outcome: string }> }, count: number): boolean {
  return answer.runs.length === count && answer.runs.every((run) => run.outcome !== 'running');
}
