/**
 * Debug-API routes of job runs (issue 11):
 * - `GET {prefix}/jobs/{queue}/{jobId}/runs?prefix=bull` — a job's runs and lineage;
 * - `GET {prefix}/requests/{id}/lineage` — every job descending from a request, with live state.
 */
import type { JobStatusReader } from '../bullmq/job-status.js';
import type { TaskscopeRuntime } from '../core/runtime.js';
import { PROTOCOL_VERSION, type RequestRecord } from '../protocol.js';
import type { JobRunsResponse } from '../protocol-runs.js';
import { jobRunsOf } from '../worker/lineage.js';
import { readLineage } from '../worker/lineage-tree.js';
import { MemoryRunStore } from '../worker/memory-run-store.js';
import { settleStalled } from '../worker/run-store.js';

/** What the debug API lends these routes. */
export interface JobRunsRouteHelpers {
  runtime: TaskscopeRuntime;
  statusReader: JobStatusReader;
  /** The request's record, or the API's 400/404/503. */
  findRecord(id: string): Promise<RequestRecord>;
  /** Throws the API's 400 for a bad queue, job id or prefix. */
  checkName(what: string, value: string): void;
  /** Runs a store read, turning a failure into the API's 503. */
  fromStore<T>(pending: Promise<T>): Promise<T>;
}

/** A store for answers when this instance records no runs (`bullmq.runs: false`): always empty. */
const EMPTY = new MemoryRunStore();

/** The endpoints these routes add to `GET {prefix}`. */
export const JOB_RUNS_ENDPOINTS = ['requests/{id}/lineage', 'jobs/{queue}/{jobId}/runs'];

/**
 * Answers a job-runs route, or `undefined` when `segments` is not one.
 *
 * @example
 * ```ts
 * const answer = await routeJobRuns(['jobs', 'emails', '12', 'runs'], query, helpers);
 * ```
 */
export async function routeJobRuns(segments: string[], query: URLSearchParams, helpers: JobRunsRouteHelpers): Promise<unknown> {
  const [first, second, third, fourth, fifth] = segments;
  const runs = jobRunsOf(helpers.runtime)?.runs ?? EMPTY;
  if (first === 'jobs' && second !== undefined && third !== undefined && fourth === 'runs' && fifth === undefined) {
    const prefix = query.get('prefix') ?? 'bull';
    helpers.checkName('queue', second);
    helpers.checkName('job id', third);
    helpers.checkName('prefix', prefix);
    const [stored] = await helpers.fromStore(runs.read([{ prefix, queue: second, jobId: third }]));
    const settled = stored ? settleStalled(stored) : undefined;
    const answer: JobRunsResponse = {
      version: PROTOCOL_VERSION, queue: second, prefix, jobId: third,
      lineage: settled?.lineage ?? null, runs: settled?.runs ?? [], droppedRuns: settled?.droppedRuns ?? 0,
    };
    return answer;
  }
  if (first === 'requests' && second !== undefined && third === 'lineage' && fourth === undefined) {
    const record = await helpers.findRecord(second);
    return helpers.fromStore(readLineage(record, runs, helpers.statusReader, helpers.runtime.options.limits.maxLineageDepth));
  }
  return undefined;
}
