import { describe, expect, it } from 'vitest';
import { fetchRecord, fetchStatus, allFinished, indexStatuses, type FetchAnswer, type Fetcher } from '../../extension/src/lib/debug-api.js';
import { makeRecord, makeStatus } from './fixtures.js';

const URL_ = 'http://localhost:3000/__taskscope/requests/abc12345';
const notFound: FetchAnswer = { status: 404, body: { version: 1, error: { code: 'not_found', message: 'Unknown or expired id' } } };

/** A fetcher answering from a list, recording the tokens it was given. */
function scripted(...answers: Array<FetchAnswer | Error>): Fetcher & { calls: Array<string | null> } {
  const calls: Array<string | null> = [];
  const fetcher = async (_url: string, token: string | null): Promise<FetchAnswer> => {
    calls.push(token);
    const next = answers.length > 1 ? answers.shift()! : answers[0]!;
    if (next instanceof Error) throw next;
    return next;
  };
  return Object.assign(fetcher, { calls });
}

const noSleep = async (): Promise<void> => undefined;

describe('fetchRecord(fetcher, url, token, options)', () => {
  it('returns the record and sends the token', async () => {
    const record = makeRecord();
    const fetcher = scripted({ status: 200, body: record });
    const result = await fetchRecord(fetcher, URL_, 's3cret', { respondedAt: Date.now(), sleep: noSleep });
    expect(result).toEqual({ ok: true, value: record });
    expect(fetcher.calls).toEqual(['s3cret']);
  });

  it('retries a 404 right after the response, with growing delays, until the record is there', async () => {
    const record = makeRecord();
    const slept: number[] = [];
    const fetcher = scripted(notFound, notFound, { status: 200, body: record });
    const result = await fetchRecord(fetcher, URL_, null, { respondedAt: Date.now(), sleep: async (ms) => void slept.push(ms) });
    expect(result.ok).toBe(true);
    expect(slept).toHaveLength(2);
    expect(slept[1]!).toBeGreaterThan(slept[0]!);
  });

  it('gives up after a few tries and says the record expired', async () => {
    const fetcher = scripted(notFound);
    const result = await fetchRecord(fetcher, URL_, null, { respondedAt: Date.now(), sleep: noSleep });
    expect(result).toEqual({ ok: false, problem: { kind: 'expired', origin: 'http://localhost:3000' } });
    expect(fetcher.calls.length).toBeGreaterThan(2);
    expect(fetcher.calls.length).toBeLessThan(10);
  });

  it('does not retry a 404 for a response seen long ago', async () => {
    const fetcher = scripted(notFound);
    await fetchRecord(fetcher, URL_, null, { respondedAt: Date.now() - 60_000, sleep: noSleep });
    expect(fetcher.calls).toHaveLength(1);
  });

  it.each([
    [{ status: 401, body: { version: 1, error: { code: 'token_required', message: 'needs token' } } }, { kind: 'token', status: 401 }],
    [{ status: 403, body: { version: 1, error: { code: 'bad_token', message: 'bad' } } }, { kind: 'token', status: 403 }],
    [{ status: 200, body: { ...makeRecord(), version: 2 } }, { kind: 'version', got: 2 }],
    [{ status: 404, body: null }, { kind: 'server', status: 404 }],
    [{ status: 503, body: { version: 1, error: { code: 'store_down', message: 'Redis is down' } } }, { kind: 'server', status: 503, code: 'store_down', message: 'Redis is down' }],
    [{ status: 200, body: '<html>' }, { kind: 'server', status: 200 }],
  ] as Array<[FetchAnswer, Record<string, unknown>]>)('classifies HTTP %# as a plain problem', async (answer, problem) => {
    const result = await fetchRecord(scripted(answer), URL_, null, { respondedAt: 0, sleep: noSleep });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatchObject(problem);
  });

  it('reports an unreachable server', async () => {
    const result = await fetchRecord(scripted(new TypeError('Failed to fetch')), URL_, null, { respondedAt: 0, sleep: noSleep });
    expect(result).toEqual({ ok: false, problem: { kind: 'unreachable', origin: 'http://localhost:3000', detail: 'Failed to fetch' } });
  });
});

describe('job status helpers', () => {
  it('matches status lines to tasks by seq, or by queue and job id', async () => {
    const record = makeRecord({}, 0);
    const [first, second] = record.tasks;
    const result = await fetchStatus(scripted({ status: 200, body: { version: 1, jobs: [makeStatus(first!, 'completed'), { ...makeStatus(second!, 'active'), seq: undefined }] } }), URL_ + '/status', null);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const statuses = indexStatuses(record, result.value.jobs);
    expect(statuses.get(1)?.state).toBe('completed');
    expect(statuses.get(2)?.state).toBe('active');
    expect(allFinished(record, statuses)).toBe(false);
    statuses.set(2, makeStatus(second!, 'failed'));
    expect(allFinished(record, statuses)).toBe(true);
  });

  it('counts a task whose enqueue failed as finished: it has no job to wait for', () => {
    const record = makeRecord({}, 0);
    record.tasks[1] = { ...record.tasks[1]!, jobId: null, error: 'Connection is closed' };
    expect(allFinished(record, new Map([[1, makeStatus(record.tasks[0]!, 'completed')]]))).toBe(true);
  });
});
