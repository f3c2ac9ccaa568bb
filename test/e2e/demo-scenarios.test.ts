/**
 * Walks every scenario of the demo shop (`npm run demo`) in a real Chromium with the built
 * extension, and asserts what a person reads in the Tasks panel. A screenshot per scenario is
 * left in test/artifacts/ (git-ignored) for a person to look at.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Frame, Page } from 'puppeteer-core';
import type { Demo } from '../support/demo-process.js';
import { useDemoPanel } from '../support/demo-panel.js';
import { saveScreenshot, selectRequest, texts, waitForText, type PanelSession } from '../support/chromium.js';

const JOB_ROWS = 'table[aria-label="Jobs"] tbody tr';
const SUMMARY = '[data-testid="summary"]';
const DETAIL = 'section[aria-label^="Job #"]';

/** Presses the demo page's button for a route, as a user does. */
async function press(page: Page, url: string): Promise<void> {
  await page.click(`button[data-url="${url}"]`);
}

/** The job table's rows, cells joined with ` | `. */
async function jobRows(panel: Frame): Promise<string[]> {
  return panel.$$eval(JOB_ROWS, (rows) =>
    rows.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').replace(/\s+/g, ' ').trim()).join(' | ')),
  );
}

/** Where the keyboard is in the panel: a short description of the focused element. */
async function focused(panel: Frame): Promise<string> {
  // The panel is a frame of its own: after a click, wait until it has the keyboard.
  await panel.waitForFunction(() => document.hasFocus(), { timeout: 5_000 }).catch(() => undefined);
  return panel.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    const table = el.closest('table');
    return `${el.tagName.toLowerCase()}${el.getAttribute('role') ? `[role=${el.getAttribute('role')}]` : ''}${table ? ` in ${table.getAttribute('aria-label')}` : ''}`;
  });
}

async function selectedSeq(panel: Frame): Promise<string | null> {
  return panel.$eval(JOB_ROWS + '.selected', (tr) => tr.getAttribute('data-seq')).catch(() => null);
}

describe.each(['light', 'dark'] as const)('the demo shop in the Tasks panel, in a real Chromium (%s theme)', (theme) => {
  let demo: Demo | undefined;
  let session: PanelSession | undefined;
  let panel: Frame;
  let page: Page;

  const shot = async (name: string): Promise<void> => {
    await saveScreenshot(session!.devtools, `demo-${theme}-${name}`);
  };

  const shop = useDemoPanel({ theme, windowSize: { width: 1440, height: 1000 }, devtoolsHeight: 720, prefix: 'demo-e2e' });
  beforeAll(() => {
    ({ demo, session, panel, page } = shop);
  });

  // Each test leaves a screenshot, also when it fails, so a person can see what was on screen.
  const walk = (name: string, body: () => Promise<void>) =>
    it(name, async () => {
      try {
        await body();
        await shot(name.replace(/\W+/g, '-').slice(0, 60));
      } catch (error) {
        await shot(`FAILED-${name.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
        throw error;
      }
    }, 60_000);

  walk('the page and its assets are listed dimmed, and the newest request with jobs is selected', async () => {
    expect(await panel.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
    await press(page, '/api/orders');
    await waitForText(panel, 'li[role="option"][aria-selected="true"]', /POST\s*\/api\/orders/);
    const pageRow = await panel.$$eval('li[role="option"]', (rows) =>
      rows.filter((li) => li.querySelector('.path')?.textContent === '/').map((li) => li.classList.contains('dim')),
    );
    expect(pageRow).toEqual([true]);
    // Every row has a start time, so identical requests can be told apart.
    for (const row of await texts(panel, 'li[role="option"] .time')) expect(row).toMatch(/^\d\d:\d\d:\d\d$/);
  });

  walk('a delayed job shows its delay and due time, apart from its wait', async () => {
    await selectRequest(panel, 'POST', '/api/orders');
    await waitForText(panel, SUMMARY, /^3 jobs \(2 immediate, 1 delayed\) · [\d.]+ ms enqueueing$/);
    // The state comes with the first status answer, a moment after the record.
    await waitForText(panel, `${JOB_ROWS}[data-seq="2"]`, /delayed/);
    const reminder = (await jobRows(panel)).find((row) => row.includes('send-review-reminder'));
    expect(reminder).toMatch(/\| delayed \| 30 s → \d\d:\d\d:\d\d \|/);
    await panel.click(`${JOB_ROWS}[data-seq="2"]`);
    await waitForText(panel, '[data-testid="queue-time"]', /^delayed 30 s \(due \d\d:\d\d:\d\d\), not due yet$/);
    // The due time is the job's creation plus its delay, as shown in the table.
    const due = (await texts(panel, '[data-testid="queue-time"]'))[0]!.match(/due (\d\d:\d\d:\d\d)/)![1];
    expect(reminder).toContain(`→ ${due}`);
    // Editor links work with no setting: the server told the panel its root (same machine).
    const href = await panel.$eval('ol[aria-label="Enqueue stack"] a', (a) => a.getAttribute('href'));
    expect(href).toMatch(/^vscode:\/\/file\/.+\/demo-koa\/src\/routes\/orders\.ts:\d+:\d+$/);
  });

  walk('keyboard: arrows move through jobs with the detail open, Escape closes it and the keys still work', async () => {
    await press(page, '/api/receipts/one-by-one');
    await selectRequest(panel, 'POST', '/api/receipts/one-by-one');
    await waitForText(panel, '[data-testid="n-plus-one"]', /send-receipt on queue emails enqueued 12× one by one from src\/routes\/receipts\.ts:\d+/);
    await panel.click(`${JOB_ROWS}[data-seq="1"]`);
    await panel.waitForSelector(`${DETAIL}[aria-label="Job #1"]`);
    expect(await focused(panel)).toBe('tbody in Jobs');
    await session!.devtools.keyboard.press('ArrowDown');
    await panel.waitForSelector(`${DETAIL}[aria-label="Job #2"]`);
    await session!.devtools.keyboard.press('ArrowDown');
    await panel.waitForSelector(`${DETAIL}[aria-label="Job #3"]`);
    expect(await selectedSeq(panel)).toBe('3');
    expect(await focused(panel)).toBe('tbody in Jobs');
    await session!.devtools.keyboard.press('Escape');
    await panel.waitForFunction((sel: string) => !document.querySelector(sel), {}, DETAIL);
    expect(await focused(panel)).toBe('tbody in Jobs');
    await session!.devtools.keyboard.press('ArrowUp');
    await panel.waitForSelector(`${DETAIL}[aria-label="Job #2"]`);
    expect(await focused(panel)).toBe('tbody in Jobs');
    // The close button gives the keyboard back to the table too.
    await panel.click('button[aria-label="Close job detail"]');
    await panel.waitForFunction((sel: string) => !document.querySelector(sel), {}, DETAIL);
    expect(await focused(panel)).toBe('tbody in Jobs');
  });

  walk('keyboard: arrows move through the request list', async () => {
    await selectRequest(panel, 'POST', '/api/receipts/one-by-one');
    expect(await focused(panel)).toBe('ul[role=listbox]');
    await session!.devtools.keyboard.press('ArrowDown');
    await waitForText(panel, 'li[role="option"][aria-selected="true"]', /POST\s*\/api\/orders/);
    await waitForText(panel, SUMMARY, /^3 jobs/);
    await session!.devtools.keyboard.press('ArrowUp');
    await waitForText(panel, 'li[role="option"][aria-selected="true"]', /\/api\/receipts\/one-by-one/);
    await waitForText(panel, SUMMARY, /^12 jobs/);
  });

  walk('a flow is one enqueue call: its time is counted once, and its jobs form a tree', async () => {
    await press(page, '/api/shipments');
    await selectRequest(panel, 'POST', '/api/shipments');
    await waitForText(panel, SUMMARY, /^3 jobs \(3 immediate, 0 delayed\) · [\d.]+ ms enqueueing in 1 call$/);
    const summaryMs = Number((await texts(panel, SUMMARY))[0]!.match(/([\d.]+) ms enqueueing/)![1]);
    const cells = await panel.$$eval(`${JOB_ROWS} td.col-enqueue`, (tds) => tds.map((td) => td.getAttribute('title')));
    expect(cells).toHaveLength(3);
    for (const title of cells) expect(title).toMatch(/^[\d.]+ ms, one call for 3 jobs$/);
    // The summary is the call's time, not three times it.
    expect(Number(cells[0]!.match(/^([\d.]+)/)![1])).toBeCloseTo(summaryMs, 1);
    const rows = await jobRows(panel);
    expect(rows[0]).toMatch(/ship-order/);
    expect(rows.slice(1).every((row) => row.includes('└'))).toBe(true);
    const child = await panel.$eval(`${JOB_ROWS}:nth-child(2)`, (tr) => tr.getAttribute('data-seq'));
    await panel.click(`${JOB_ROWS}[data-seq="${child}"]`);
    await waitForText(panel, `${DETAIL} .flow`, /child of #\d+ ship-order/);
    await waitForText(panel, `${DETAIL} [data-testid="enqueue-time"]`, /one call for 3 jobs/);
    await panel.click(`${DETAIL} .flow button`);
    await waitForText(panel, `${DETAIL} .flow`, /parent of #\d+ (pick-items|print-label), #\d+ (pick-items|print-label)/);
  });

  walk('a late (fire-and-forget) job appears with no click', async () => {
    await press(page, '/api/products/MUG-01/views');
    await selectRequest(panel, 'POST', '/api/products/MUG-01/views');
    // No Refresh, no click: the panel follows the record while late jobs may still come.
    await waitForText(panel, JOB_ROWS, /track-product-view\s*late/);
    await waitForText(panel, SUMMARY, /^1 job \(1 immediate, 0 delayed\) · 1 added late · /);
    await waitForText(panel, 'li[role="option"][aria-selected="true"]', /1 job/);
  });

  walk('a deduplicated add is one job plus a merged add', async () => {
    await press(page, '/api/products/MUG-01');
    await selectRequest(panel, 'PUT', '/api/products/MUG-01');
    await waitForText(panel, SUMMARY, /^2 adds → 1 job \(1 immediate, 0 delayed\) · 1 merged into an existing job · /);
    const rows = await jobRows(panel);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(/^2 \| reindex-product \| search \| deduplicated into #1 \|/);
    // One timeline lane: the job; the merged add is only a mark on the request.
    expect(await panel.$$eval('.timeline .lane', (lanes) => lanes.map((l) => l.textContent?.trim()))).toEqual(['#1 reindex-product']);
    await waitForText(panel, 'li[role="option"][aria-selected="true"]', /PUT.*1 job/);
    await panel.click(`${JOB_ROWS}[data-seq="2"]`);
    await waitForText(panel, '[data-testid="merged"]', /No new job: deduplicated into #1/);
    // A job row's context menu copies its data, options and id.
    await (await panel.$(`${JOB_ROWS}[data-seq="1"]`))!.click({ button: 'right' });
    expect(await texts(panel, '[role="menu"] [role="menuitem"]')).toEqual(['Copy data as JSON', 'Copy options as JSON', 'Copy job id']);
    await panel.click('[role="menuitem"]');
    await waitForText(panel, '.toast', /^Copied the data of #1$/);
    expect(await panel.$('[role="menu"]')).toBeNull();
  });

  walk('a failed enqueue is not counted as a job', async () => {
    await press(page, '/api/support/tickets?priority=5000000');
    await selectRequest(panel, 'POST', '/api/support/tickets?priority=5000000');
    await waitForText(panel, SUMMARY, /^1 add → 0 jobs · 1 add failed · /);
    expect(await jobRows(panel)).toEqual([expect.stringMatching(/^1 \| triage-ticket \| support \| add failed \|/)]);
    const row = (await texts(panel, 'li[role="option"][aria-selected="true"]'))[0];
    expect(row).toMatch(/422\s*0 jobs/);
    expect(await panel.$('li[role="option"][aria-selected="true"] .fail-mark')).not.toBeNull();
    expect(await panel.$$('.timeline .lane')).toHaveLength(0);
  });

  walk('a retried job shows its failed first attempt, not as waiting', async () => {
    await press(page, '/api/accounting/sync');
    await selectRequest(panel, 'POST', '/api/accounting/sync');
    await panel.waitForSelector(`${JOB_ROWS} [data-state="completed"]`, { timeout: 30_000 });
    // Timeline bars select their job.
    await panel.click('.timeline .lane button');
    await waitForText(panel, '[data-testid="earlier-attempt"]', /^attempt 1 failed: Accounting API timed out/);
    expect(await texts(panel, `${DETAIL} dt`)).not.toContain('Failure');
    expect(await panel.$$('.timeline .lane .bar.retry')).toHaveLength(1);
    // The job's own log lines, from both attempts.
    expect(await texts(panel, 'ol[aria-label="Job logs"] li')).toEqual([
      'attempt 1: calling the accounting API for ord_1001',
      'attempt 2: calling the accounting API for ord_1001',
    ]);
    expect(await panel.$$('.timeline .lane .bar.wait')).toHaveLength(0);
  });

  walk('the filter matches states, job names and data, in the list and inside a request', async () => {
    const filter = await panel.$('input[type="search"]');
    await filter!.type('failed');
    await panel.waitForFunction(() => document.querySelectorAll('li[role="option"]').length === 1);
    expect(await texts(panel, 'li[role="option"] .path')).toEqual(['/api/support/tickets?priority=5000000']);
    await filter!.click({ count: 3 });
    await filter!.type('send-review');
    await panel.waitForFunction(() => document.querySelectorAll('li[role="option"]').length === 1);
    await selectRequest(panel, 'POST', '/api/orders');
    await waitForText(panel, '[data-testid="job-filter"]', /1 of 3 match “send-review”/);
    expect((await jobRows(panel)).map((row) => row.split(' | ')[1])).toEqual(['send-review-reminder']);
    // A request the filter hides is not kept in the detail.
    await filter!.click({ count: 3 });
    await filter!.type('reindex-product');
    await panel.waitForFunction(() => !document.querySelector('[data-testid="summary"]'));
    await filter!.click({ count: 3 });
    await session!.devtools.keyboard.press('Backspace');
    await panel.waitForFunction(() => document.querySelectorAll('li[role="option"]').length > 5);
  });

  walk('Clear empties the list without blaming the app for missing headers', async () => {
    await panel.click('button[aria-label="Clear"]');
    await waitForText(panel, 'section[aria-label="Getting started"]', /Make a request from this page/);
    expect((await texts(panel, 'section[aria-label="Getting started"]'))[0]).not.toContain('none with an');
  });
});
