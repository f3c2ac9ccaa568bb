import type { JobRunsResponse, RequestLineageResponse } from 'taskscope/protocol';
import { fetchChecked, type Fetcher, type Result } from '../../lib/debug-api.js';
import type { JobKey } from './job-key.js';

/** Where the debug API of a request lives: `{origin}{prefix}`, and the origin's token. */
export interface ApiBase {
  base: string;
  token: string | null;
}

/**
 * The debug API's root from a record URL (`{origin}{prefix}/requests/{id}`): runs and lineage
 * live next to the record, whatever prefix the server mounted its API at.
 *
 * @example
 * ```ts
 * apiRootOf('http://localhost:3000/__taskscope/requests/0b7c…'); // 'http://localhost:3000/__taskscope'
 * ```
 */
export function apiRootOf(recordUrl: string): string {
  const at = recordUrl.lastIndexOf('/requests/');
  return at < 0 ? recordUrl : recordUrl.slice(0, at);
}

const isLineage = (b: unknown): boolean => !!b && typeof b === 'object' && Array.isArray((b as RequestLineageResponse).jobs);
const isRuns = (b: unknown): boolean => !!b && typeof b === 'object' && Array.isArray((b as JobRunsResponse).runs);

/**
 * `GET {prefix}/requests/{id}/lineage`: every job descending from a request, with live state.
 * A server older than job runs answers 404, classified as `expired`.
 */
export function fetchLineage(fetcher: Fetcher, recordUrl: string, token: string | null): Promise<Result<RequestLineageResponse>> {
  return fetchChecked(fetcher, `${recordUrl}/lineage`, token, isLineage);
}

/** `GET {prefix}/jobs/{queue}/{jobId}/runs?prefix=…`: what each attempt of a job did in a worker. */
export function fetchJobRuns(fetcher: Fetcher, at: ApiBase, job: JobKey): Promise<Result<JobRunsResponse>> {
  const url = `${at.base}/jobs/${encodeURIComponent(job.queue)}/${encodeURIComponent(job.jobId)}/runs?prefix=${encodeURIComponent(job.prefix)}`;
  return fetchChecked(fetcher, url, at.token, isRuns);
}
