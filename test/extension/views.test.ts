import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushSync, mount, unmount } from 'svelte';
import App from '../../extension/src/panel/App.svelte';
import { createPanelState, type PanelState } from '../../extension/src/panel/state.svelte.js';
import { PanelController } from '../../extension/src/panel/controller.js';
import { indexStatuses } from '../../extension/src/lib/debug-api.js';
import { newEntry } from '../../extension/src/lib/record-store.js';
import type { RequestRecord, JobStatus } from 'taskscope/protocol';
import { HOSTILE, makeHostileRecord, makeRecord, makeStatus } from './fixtures.js';

let app: ReturnType<typeof mount> | undefined;
afterEach(() => {
  if (app) unmount(app);
  app = undefined;
  document.body.innerHTML = '';
});

/** Mounts the whole panel with one loaded request selected. */
function render(record: RequestRecord, statuses: JobStatus[] = []): { state: PanelState; root: HTMLElement } {
  const state = createPanelState();
  const controller = new PanelController(state, { fetcher: async () => ({ status: 404, body: null }) });
  const recordUrl = `http://localhost:3000/__taskscope/requests/${record.id}`;
  const entry = newEntry({
    id: record.id, origin: 'http://localhost:3000', recordUrl, statusUrl: `${recordUrl}/status`, method: record.request.method,
    path: record.request.url, status: record.request.status ?? 0, startedAt: record.request.startedAt, durationMs: 20,
    taskCount: record.tasks.length, enqueueMs: 1,
  });
  state.entries = [{ ...entry, loading: false, record, statuses: indexStatuses(record, statuses) }];
  state.selectedId = record.id;
  const root = document.createElement('div');
  document.body.append(root);
  app = mount(App, { target: root, props: { panel: state, controller } });
  flushSync();
  return { state, root };
}

/**
 * Time for the tests that draw 1,000 rows in happy-dom: a few seconds of DOM work, which a
 * loaded two-core machine (the full suite, other runs) can stretch past the default 5 s.
 */
const HEAVY_RENDER_MS = 20_000;

const text = (el: Element | null | undefined): string => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();

describe('the panel rendering a record', () => {
  it('shows the summary line, the N+1 warning and the per-queue and per-name tables', () => {
    const { root } = render(makeRecord());
    expect(text(root.querySelector('[data-testid="summary"]'))).toBe('6 jobs (5 immediate, 1 delayed) · 4.2 ms enqueueing');
    const warning = text(root.querySelector('[data-testid="n-plus-one"]'));
    expect(warning).toContain('send-receipt on queue emails enqueued 4× one by one from src/routes/orders.ts:52 in sendReceipts');
    expect(warning).toContain('queue.addBulk');
    expect(text(root.querySelector('[role="option"]'))).toMatch(/POST.*\/orders\?x=1.*201.*6 jobs.*N\+1/);
    const tallies = Array.from(root.querySelectorAll('table caption')).map(text);
    expect(tallies).toEqual(['By queue', 'By name']);
  });

  it('lists jobs with state, delay, attempts and origin, and sorts them by a column', () => {
    const record = makeRecord();
    const statuses = [makeStatus(record.tasks[0]!, 'completed'), makeStatus(record.tasks[1]!, 'delayed')];
    const { root } = render(record, statuses);
    const rows = () =>
      Array.from(root.querySelectorAll('table[aria-label="Jobs"] tbody tr')).map((tr) => Array.from(tr.querySelectorAll('td')).map(text).join(' | '));
    expect(rows()).toHaveLength(6);
    expect(rows()[0]).toBe('1 | send-confirmation | emails | completed | — | 1 / 3 | 0.70 ms | src/routes/orders.ts:45');
    expect(rows()[1]).toMatch(/^2 \| remind \| reminders \| delayed \| 1 min → \d\d:\d\d:\d\d \| 0 \/ 3 \|/);

    const nameHeader = Array.from(root.querySelectorAll('th button')).find((b) => text(b).startsWith('Name')) as HTMLButtonElement;
    nameHeader.click();
    flushSync();
    expect(rows().map((r) => r.split(' | ')[1])).toEqual(['remind', 'send-confirmation', 'send-receipt', 'send-receipt', 'send-receipt', 'send-receipt']);
    nameHeader.click();
    flushSync();
    expect(rows()[0]).toMatch(/^3 \| send-receipt/);
  });

  it('opens a job: data tree with redacted and truncated marks, status, and editor links', () => {
    const record = makeRecord();
    const { root, state } = render(record, [makeStatus(record.tasks[0]!, 'failed')]);
    state.settings = { ...state.settings, projectRoots: { 'http://localhost:3000': '/home/me/shop' } };
    (root.querySelector('tr[data-seq="1"]') as HTMLElement).click();
    flushSync();
    const data = root.querySelector('[role="tree"][aria-label="Job data"]');
    expect(text(data)).toContain('password: redacted');
    expect(text(data)).toContain('"Lorem ipsum dolor…" truncated');
    expect(text(data)).toContain('… 998 more');
    expect(data?.querySelector('[title*="120,000 characters"]')).not.toBeNull();
    const detail = root.querySelector('section[aria-label="Job #1"]');
    expect(text(detail)).toContain('SMTP timeout');
    expect(text(detail)).toContain('Attempts 1 of 3');
    const link = detail?.querySelector('ol[aria-label="Enqueue stack"] a');
    expect(link?.getAttribute('href')).toBe('vscode://file/home/me/shop/src/routes/orders.ts:45:9');
  });

  it('renders 1,000 jobs with a capped table and a way to show the rest', async () => {
    const { root } = render(makeRecord({}, 1000));
    const rows = () => root.querySelectorAll('table[aria-label="Jobs"] tbody tr');
    // A screenful at once, the rest of the first page right after it was painted.
    expect(rows().length).toBeGreaterThanOrEqual(20);
    expect(rows().length).toBeLessThan(100);
    await vi.waitFor(() => expect(rows()).toHaveLength(100));
    expect(text(root.querySelector('div.more'))).toContain('Showing 100 of 1002 jobs.');
    const more = Array.from(root.querySelectorAll('button')).find((b) => text(b) === 'Show all') as HTMLButtonElement;
    more.click();
    flushSync();
    expect(root.querySelectorAll('table[aria-label="Jobs"] tbody tr')).toHaveLength(1002);
  }, HEAVY_RENDER_MS);

  it('starts another request at the first page of its jobs', async () => {
    const { root, state } = render(makeRecord({}, 1000));
    const rows = () => root.querySelectorAll('table[aria-label="Jobs"] tbody tr');
    (Array.from(root.querySelectorAll('button')).find((b) => text(b) === 'Show all') as HTMLButtonElement).click();
    flushSync();
    expect(rows()).toHaveLength(1002);
    const other = makeRecord({ id: 'second-request' }, 500);
    const [first] = state.entries;
    state.entries = [{ ...first!, hit: { ...first!.hit, id: other.id }, record: other }, ...state.entries];
    state.selectedId = other.id;
    flushSync();
    await vi.waitFor(() => expect(rows()).toHaveLength(100));
    expect(text(root.querySelector('div.more'))).toContain('Showing 100 of 502 jobs.');
  }, HEAVY_RENDER_MS);

  it('moves through jobs and requests with the keyboard', () => {
    const { root, state } = render(makeRecord());
    const body = root.querySelector('table[aria-label="Jobs"] tbody') as HTMLElement;
    body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Home', bubbles: true }));
    body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    flushSync();
    expect(state.selectedSeq).toBe(2);
    expect(root.querySelector('section[aria-label="Job #2"]')).not.toBeNull();
  });

  it('explains an expired record, a token request and a version mismatch in plain words', () => {
    const { root, state } = render(makeRecord());
    const set = (problem: NonNullable<PanelState['entries'][number]['problem']>) => {
      state.entries = [{ ...state.entries[0]!, record: null, problem }];
      flushSync();
      return text(root.querySelector('[role="alert"]'));
    };
    expect(set({ kind: 'expired', origin: 'http://localhost:3000' })).toContain("This request's record has expired");
    expect(set({ kind: 'token', origin: 'http://localhost:3000', status: 401, message: '' })).toContain('needs a token');
    expect(root.querySelector('input[type="password"]')).not.toBeNull();
    expect(set({ kind: 'version', origin: 'http://localhost:3000', got: 2 })).toContain('protocol version 2');
    expect(set({ kind: 'unreachable', origin: 'http://localhost:3000', detail: 'Failed to fetch' })).toContain('Cannot reach http://localhost:3000');
  });

  it('shows the setup snippet before any Taskscope response', () => {
    const state = createPanelState();
    const root = document.createElement('div');
    document.body.append(root);
    app = mount(App, { target: root, props: { panel: state, controller: new PanelController(state, { fetcher: async () => ({ status: 404, body: null }) }) } });
    flushSync();
    expect(text(root.querySelector('pre'))).toBe('app.use(taskscope())');
  });
});

describe('hostile server data', () => {
  it('is shown as text in every view, and creates no element', () => {
    const record = makeHostileRecord();
    const { root } = render(record, [makeStatus(record.tasks[0]!, 'failed', { failedReason: HOSTILE, stacktrace: [HOSTILE], returnValue: HOSTILE, reason: HOSTILE })]);
    (root.querySelector('tr[data-seq="1"]') as HTMLElement).click();
    flushSync();
    // Expand every collapsed JSON node so nested hostile strings are rendered too.
    root.querySelectorAll<HTMLButtonElement>('button[aria-label="Expand"]').forEach((b) => b.click());
    flushSync();

    expect(root.querySelectorAll('img, script, iframe, object, embed')).toHaveLength(0);
    expect(Array.from(root.querySelectorAll('*')).some((el) => Array.from(el.attributes).some((a) => a.name.startsWith('on')))).toBe(false);
    const shown = root.textContent ?? '';
    const occurrences = shown.split(HOSTILE).length - 1;
    // Queue, name, job id, origin, stack, data keys and values, the N+1 group, the failure…
    expect(occurrences).toBeGreaterThan(15);
    expect((globalThis as { __pwned?: number }).__pwned).toBeUndefined();
  });
});
