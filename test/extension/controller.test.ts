import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PanelController } from '../../extension/src/panel/controller.js';
import { createPanelState } from '../../extension/src/panel/state.svelte.js';
import type { FetchAnswer } from '../../extension/src/lib/debug-api.js';
import type { HarEntryLike } from '../../extension/src/lib/headers.js';
import type { RequestRecord } from 'taskscope/protocol';
import { makeRecord, makeStatus, makeTask } from './fixtures.js';

function harFor(record: RequestRecord): HarEntryLike {
  return {
    startedDateTime: new Date().toISOString(),
    time: 20,
    request: { method: record.request.method, url: `http://localhost:3000${record.request.url}` },
    response: { status: 201, headers: [{ name: 'x-debug-id', value: record.id }, { name: 'server-timing', value: `tasks;dur=3;desc="${record.tasks.length} tasks"` }] },
  };
}

/** A fake debug API: records by id, and job states that the test moves on. */
function fakeServer() {
  const records = new Map<string, RequestRecord>();
  let state: 'active' | 'completed' = 'active';
  let token: string | null = null;
  const calls: string[] = [];
  const fetcher = async (url: string, given: string | null): Promise<FetchAnswer> => {
    calls.push(url);
    if (token && given !== token) return { status: 401, body: { version: 1, error: { code: 'token_required', message: 'token' } } };
    const m = /\/requests\/([^/]+)(\/status)?$/.exec(url);
    const record = m ? records.get(m[1]!) : undefined;
    if (!record) return { status: 404, body: { version: 1, error: { code: 'not_found', message: 'gone' } } };
    if (m?.[2]) return { status: 200, body: { version: 1, jobs: record.tasks.map((t) => makeStatus(t, state)) } };
    return { status: 200, body: record };
  };
  return {
    records, calls, fetcher,
    finishJobs: () => void (state = 'completed'),
    requireToken: (t: string) => void (token = t),
  };
}

describe('PanelController', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('lists a tracked response, loads its record and follows its jobs until they complete', async () => {
    const server = fakeServer();
    const record = makeRecord({}, 0);
    server.records.set(record.id, record);
    const state = createPanelState();
    const controller = new PanelController(state, { fetcher: server.fetcher });

    controller.onHarEntry({ ...harFor(record), response: { status: 200, headers: [] } }); // untracked
    controller.onHarEntry(harFor(record));
    expect(state.responsesSeen).toBe(2);
    expect(state.entries).toHaveLength(1);
    expect(state.selectedId).toBe(record.id);

    await vi.advanceTimersByTimeAsync(0);
    expect(state.entries[0]?.record?.id).toBe(record.id);
    expect(state.entries[0]?.statuses.get(1)?.state).toBe('active');
    expect(state.polling).toBe(true);

    server.finishJobs();
    await vi.advanceTimersByTimeAsync(1_100);
    expect(state.entries[0]?.statuses.get(1)?.state).toBe('completed');
    expect(state.polling).toBe(false);
    const statusCalls = server.calls.filter((u) => u.endsWith('/status')).length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.calls.filter((u) => u.endsWith('/status')).length).toBe(statusCalls);
  });

  it('picks up late tasks with no user action when the status says the record changed, and only then refetches it', async () => {
    const now = Date.now();
    const record = makeRecord({ request: { method: 'POST', url: '/views', status: 202, startedAt: now, durationMs: 2 }, revision: 1, lateUntil: now + 30_000 }, 0);
    record.tasks = [];
    record.summary = { ...record.summary, total: 0, jobs: 0, calls: 0, immediate: 0, delayed: 0 };
    let served = record;
    const calls: string[] = [];
    const fetcher = async (url: string): Promise<FetchAnswer> => {
      calls.push(url);
      if (url.endsWith('/status')) {
        const jobs = served.tasks.map((t) => makeStatus(t, 'completed'));
        return { status: 200, body: { version: 1, jobs, revision: served.revision, taskCount: served.summary.total, lateUntil: served.lateUntil } };
      }
      return { status: 200, body: served };
    };
    const state = createPanelState();
    const controller = new PanelController(state, { fetcher });
    controller.onHarEntry(harFor(record));
    await vi.advanceTimersByTimeAsync(0);
    expect(state.entries[0]?.record?.tasks).toHaveLength(0);
    // Nothing changed: polls read the small status answer, never the record again.
    await vi.advanceTimersByTimeAsync(3_100);
    const recordCalls = () => calls.filter((u) => !u.endsWith('/status') && u.includes('/requests/')).length;
    expect(recordCalls()).toBe(1);
    expect(state.polling).toBe(true);

    const late = makeTask(1, { name: 'track-product-view', late: true });
    served = { ...record, revision: 2, tasks: [late], summary: { ...record.summary, total: 1, jobs: 1, calls: 1, immediate: 1, late: 1 } };
    await vi.advanceTimersByTimeAsync(1_100);
    expect(recordCalls()).toBe(2);
    expect(state.entries[0]?.record?.tasks.map((t) => t.name)).toEqual(['track-product-view']);
    expect(state.entries[0]?.statuses.get(1)?.state).toBe('completed');

    // Refresh fetches the record too, whatever the status says.
    await controller.refresh(record.id);
    expect(recordCalls()).toBe(3);
    // Once the late window closes and every job is done, polling stops.
    await vi.advanceTimersByTimeAsync(31_000);
    expect(state.polling).toBe(false);
    controller.clear();
  });

  it('hides the detail of a request the filter hides, and Clear forgets the responses seen', () => {
    const state = createPanelState();
    const controller = new PanelController(state, { fetcher: fakeServer().fetcher });
    controller.onHarEntry(harFor(makeRecord({ id: 'orders-000001' }, 0)));
    expect(state.selected?.hit.id).toBe('orders-000001');
    state.filter = 'no-such-thing';
    expect(state.selected).toBeNull();
    state.filter = '';
    expect(state.selected?.hit.id).toBe('orders-000001');
    controller.clear();
    expect(state.responsesSeen).toBe(0);
  });

  it('keeps the selection where the user put it while new requests arrive', async () => {
    const server = fakeServer();
    const state = createPanelState();
    const controller = new PanelController(state, { fetcher: server.fetcher });
    const a = makeRecord({ id: 'aaaaaaaa-1' }, 0);
    const b = makeRecord({ id: 'bbbbbbbb-2' }, 0);
    controller.onHarEntry(harFor(a));
    controller.select(a.id);
    controller.onHarEntry(harFor(b));
    expect(state.selectedId).toBe(a.id);
    expect(state.entries.map((e) => e.hit.id)).toEqual([b.id, a.id]);
    controller.clear();
  });

  it('shows the newest request with jobs until the user picks one, not the page own GET /', () => {
    const state = createPanelState();
    const controller = new PanelController(state, { fetcher: fakeServer().fetcher });
    const page = makeRecord({ id: 'page-00000001', request: { method: 'GET', url: '/', status: 200, startedAt: 1, durationMs: 1 } }, 0);
    page.tasks = [];
    controller.onHarEntry(harFor(page));
    expect(state.selectedId).toBe(page.id);
    const orders = makeRecord({ id: 'orders-000001' }, 0);
    controller.onHarEntry(harFor(orders));
    expect(state.selectedId).toBe(orders.id);
    // Still no pick of the user's own: the newest request with jobs is the one shown.
    controller.onHarEntry(harFor(makeRecord({ id: 'receipts-0001' }, 4)));
    expect(state.selectedId).toBe('receipts-0001');
    // A later page asset with no jobs does not take the selection away from it.
    const icon = makeRecord({ id: 'favicon-00001', request: { method: 'GET', url: '/favicon.ico', status: 404, startedAt: 9, durationMs: 1 } }, 0);
    icon.tasks = [];
    controller.onHarEntry(harFor(icon));
    expect(state.selectedId).toBe('receipts-0001');
    controller.clear();
  });

  it('asks for a token, and retries with it once the user sets one', async () => {
    const server = fakeServer();
    const record = makeRecord({}, 0);
    server.records.set(record.id, record);
    server.requireToken('s3cret');
    const state = createPanelState();
    const saved: unknown[] = [];
    const controller = new PanelController(state, { fetcher: server.fetcher, saveSettings: async (s) => void saved.push(s) });
    controller.onHarEntry(harFor(record));
    await vi.advanceTimersByTimeAsync(0);
    expect(state.entries[0]?.problem).toMatchObject({ kind: 'token', status: 401, origin: 'http://localhost:3000' });

    await controller.setToken('http://localhost:3000', 's3cret');
    await vi.advanceTimersByTimeAsync(0);
    expect(state.entries[0]?.problem).toBeNull();
    expect(state.entries[0]?.record?.id).toBe(record.id);
    expect(saved).toHaveLength(1);
    controller.clear();
  });

  it('starts over on navigation unless the log is preserved', async () => {
    const server = fakeServer();
    const state = createPanelState();
    const controller = new PanelController(state, { fetcher: server.fetcher });
    controller.onHarEntry(harFor(makeRecord({ id: 'aaaaaaaa-1' }, 0)));
    await controller.updateSettings({ ...state.settings, preserveLog: true });
    controller.onNavigate();
    expect(state.entries).toHaveLength(1);
    await controller.updateSettings({ ...state.settings, preserveLog: false });
    controller.onNavigate();
    expect(state.entries).toHaveLength(0);
    expect(state.selectedId).toBeNull();
  });

  it('lists the server recent requests on demand', async () => {
    const state = createPanelState();
    const controller = new PanelController(state, {
      fetcher: async (url) =>
        url.endsWith('/__taskscope/requests')
          ? { status: 200, body: { version: 1, requests: [{ id: 'newer-000001', method: 'GET', url: '/b', status: 200, startedAt: 2, durationMs: 1, taskCount: 1, nPlusOneCount: 0 }, { id: 'older-000001', method: 'GET', url: '/a', status: 200, startedAt: 1, durationMs: 1, taskCount: 0, nPlusOneCount: 0 }] } }
          : { status: 404, body: null },
    });
    await controller.loadRecent('http://localhost:3000');
    expect(state.entries.map((e) => e.hit.path)).toEqual(['/b', '/a']);
    expect(state.entries[0]?.hit.recordUrl).toBe('http://localhost:3000/__taskscope/requests/newer-000001');
    controller.clear();
  });
});
