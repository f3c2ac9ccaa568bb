import { checkApiRequest, isLoopback, type GuardedRequest } from './api-guard.js';
import type { JobStatusReader, JobRef } from '../bullmq/job-status.js';
import { PROTOCOL_VERSION, type ApiIndexResponse, type ErrorResponse, type RequestListResponse, type RequestRecord, type RequestStatusResponse } from '../protocol.js';
import { toListItem } from '../store/store.js';
import type { TaskscopeRuntime } from '../core/runtime.js';
import { withTimeout } from '../core/with-timeout.js';
import type { WsTracker } from '../ws/tracker.js';
import { routeWs, WsRouteError } from './ws-routes.js';
import { JOB_RUNS_ENDPOINTS, routeJobRuns } from './job-runs-routes.js';
import { runDeferredWork } from '../core/deferred-work.js';

/** A debug-API request, as any framework can describe it. */
export interface ApiRequest extends GuardedRequest {
  /** The URL path, still percent-encoded, without the query. */
  path: string;
  query: URLSearchParams;
}

/** The answer to write back: always JSON. */
export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The debug HTTP API, framework-neutral: the adapters only translate requests and responses. */
export interface DebugApi {
  /** True when `path` is under the API's prefix. */
  owns(path: string): boolean;
  handle(request: ApiRequest): Promise<ApiResponse>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const MAX_SEGMENT = 512;
const DEFAULT_LIST_LIMIT = 50;

class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/**
 * Creates the debug API of one Taskscope instance.
 *
 * @example
 * ```ts
 * const api = createDebugApi(runtime, statusReader);
 * if (api.owns(path)) return api.handle({ method, path, query, headers, remoteAddress });
 * ```
 */
export function createDebugApi(runtime: TaskscopeRuntime, statusReader: JobStatusReader, wsTracker?: WsTracker): DebugApi {
  const { prefix } = runtime.options;

  async function route(segments: string[], request: ApiRequest): Promise<unknown> {
    const query = request.query;
    const [first, second, third, fourth] = segments;
    if (first === undefined) {
      const index: ApiIndexResponse = {
        version: PROTOCOL_VERSION, name: 'taskscope', endpoints: ['requests', 'requests/{id}', 'requests/{id}/status', 'jobs/{queue}/{jobId}', ...JOB_RUNS_ENDPOINTS, 'ws', 'ws/{id}'],
        root: isLoopback(request.remoteAddress) ? runtime.options.root : null,
      };
      return index;
    }
    if (first === 'requests' && second === undefined) return listRequests(listLimit(query));
    if (first === 'requests' && second !== undefined && (third === undefined || (third === 'status' && fourth === undefined))) {
      const record = await findRecord(second);
      if (third === undefined) return record;
      const answer: RequestStatusResponse = {
        version: PROTOCOL_VERSION, jobs: await readStatuses(record),
        revision: record.revision ?? 0, taskCount: record.summary.total, lateUntil: record.lateUntil ?? null,
      };
      return answer;
    }
    if (first === 'jobs' && second !== undefined && third !== undefined && fourth === undefined) {
      const queuePrefix = query.get('prefix') ?? 'bull';
      checkName('queue', second);
      checkName('job id', third);
      checkName('prefix', queuePrefix);
      const [status] = await statusReader.read([{ queue: second, prefix: queuePrefix, jobId: third }]);
      return { version: PROTOCOL_VERSION, ...status };
    }
    if (first === 'ws') return routeWs(wsTracker, statusReader, segments.slice(1), query);
    const runs = await routeJobRuns(segments, query, { runtime, statusReader, findRecord, checkName, fromStore }); // job runs (issue 11)
    if (runs !== undefined) return runs;
    throw new ApiError(404, 'not_found', `No such Taskscope endpoint: ${prefix}/${segments.join('/')}`.slice(0, 300));
  }

  /** The store's list; when the store can't answer, this process's unsaved records, saying why. */
  async function listRequests(limit: number): Promise<RequestListResponse> {
    try {
      const requests = await withTimeout(runtime.store.list(limit), STORE_TIMEOUT_MS, 'reading the store');
      return { version: PROTOCOL_VERSION, requests, lost: runtime.lostRecords() };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const requests = runtime.unsavedRecords().slice(0, limit).map(toListItem);
      return { version: PROTOCOL_VERSION, requests, lost: runtime.lostRecords(), storeError: `Taskscope's store could not be read: ${reason}`.slice(0, 300) };
    }
  }

  async function findRecord(id: string): Promise<RequestRecord> {
    if (!UUID.test(id)) throw new ApiError(400, 'bad_id', 'A request id is a UUID, as sent in the X-Debug-Id header.');
    const record = await fromStore(runtime.readRecord(id));
    if (!record) throw new ApiError(404, 'not_found', `No record for request ${id}: it was never recorded here, or it expired.`);
    return record;
  }

  async function readStatuses(record: RequestRecord) {
    const refs: JobRef[] = [];
    for (const task of record.tasks) {
      if (task.jobId === null) continue;
      refs.push({
        queue: task.queue, prefix: task.prefix, jobId: task.jobId, seq: task.seq,
        ...(task.jobTimestamp !== null ? { timestamp: task.jobTimestamp } : {}),
      });
    }
    // A read never writes: whether an add returned an older job is said in each status
    // (`duplicate`), not saved into the record, so a status poll can't race a late save.
    return statusReader.read(refs);
  }

  return {
    owns(path) {
      return path === prefix || path.startsWith(`${prefix}/`);
    },
    async handle(request) {
      try {
        const refusal = checkApiRequest(runtime.options, request);
        if (refusal) throw new ApiError(refusal.status, refusal.code, refusal.message);
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          throw new ApiError(405, 'method_not_allowed', 'The Taskscope debug API is read-only: use GET.');
        }
        runDeferredWork(); // enqueues settled a moment ago are in what is served
        const body = await route(splitPath(request.path.slice(prefix.length)), request);
        return respond(200, body, request.method);
      } catch (error) {
        if (error instanceof ApiError || error instanceof WsRouteError) return respond(error.status, errorBody(error.code, error.message), request.method);
        runtime.log.warnOnce('api', 'the debug API failed', error);
        return respond(500, errorBody('internal', 'Taskscope could not answer; see the server log.'), request.method);
      }
    },
  };
}

const STORE_TIMEOUT_MS = 2_000;

/** A store that cannot answer (its Redis went away) gives a plain 503, not a hanging request. */
async function fromStore<T>(pending: Promise<T>): Promise<T> {
  try {
    return await withTimeout(pending, STORE_TIMEOUT_MS, 'reading the store');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ApiError(503, 'store_unavailable', `Taskscope's store could not be read: ${reason}`.slice(0, 300));
  }
}

function splitPath(rest: string): string[] {
  if (rest.length > 4 * MAX_SEGMENT) throw new ApiError(414, 'path_too_long', 'The path is too long.');
  return rest.split('/').filter((s) => s !== '').map((segment) => {
    if (segment.length > MAX_SEGMENT) throw new ApiError(400, 'bad_path', 'A path segment is too long.');
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new ApiError(400, 'bad_path', 'The path is not valid percent-encoding.');
    }
  });
}

function checkName(what: string, value: string): void {
  // eslint-disable-next-line no-control-regex
  if (value.length === 0 || value.length > 256 || /[\u0000-\u001f]/.test(value)) {
    throw new ApiError(400, 'bad_name', `The ${what} is empty, too long or has control characters.`);
  }
}

function listLimit(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null) return DEFAULT_LIST_LIMIT;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new ApiError(400, 'bad_limit', 'limit is an integer from 1 to 1000.');
  }
  return limit;
}

function errorBody(code: string, message: string): ErrorResponse {
  return { version: PROTOCOL_VERSION, error: { code, message } };
}

function respond(status: number, body: unknown, method: string): ApiResponse {
  const json = JSON.stringify(body);
  return {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(status === 405 ? { allow: 'GET, HEAD' } : {}),
    },
    body: method === 'HEAD' ? '' : json,
  };
}
