/**
 * Job runs in the Tasks panel (issue 11), on the demo shop in a real Chromium: what each job did
 * in its worker (attempts, the timeline per attempt, log lines, progress) and the jobs it
 * enqueued, nested under it in the request's job table with their live state. Asserts what a
 * person reads; a screenshot per test is left in test/artifacts/ (git-ignored).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Frame, Page } from 'puppeteer-core';
import { useDemoPanel } from '../support/demo-panel.js';
import { saveScreenshot, selectRequest, texts, waitForText, type PanelSession } from '../support/chromium.js';

const JOB_ROWS = 'table[aria-label="Jobs"] tbody tr';
const RUNS = 'section[aria-label="Runs"]';

/**
 * The job table as a person reads it: each row's name cell (its parts apart: branch, name, the
 * fold button with its count, the N+1 badge), follow-ups marked with their ↳.
 */
async function jobTree(panel: Frame): Promise<string[]> {
  return panel.$$eval(JOB_ROWS, (rows) =>
    rows.map((tr) => {
      const cell = tr.querySelectorAll('td')[1];
      const parts = Array.from(cell?.childNodes ?? []).map((node) => (node.textContent ?? '').replace(/\s+/g, ' ').trim()).filter(Boolean);
      return [tr.hasAttribute('data-follow-up') ? '↳' : '', ...parts].filter(Boolean).join(' ');
    }),
  );
}

/** Waits until the panel's text at `selector` is exactly `expected`, item by item. */
async function waitForTexts(panel: Frame, selector: string, expected: RegExp[], timeout = 30_000): Promise<string[]> {
  await panel.waitForFunction(
    (sel: string, sources: string[]) => {
      const found = Array.from(document.querySelectorAll(sel)).map((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());
      return found.length === sources.length && sources.every((source, i) => new RegExp(source).test(found[i]!));
    },
    { timeout },
    selector,
    expected.map((pattern) => pattern.source),
  ).catch(async (error: unknown) => {
    throw new Error(`${selector} never read ${expected.join(', ')}: it reads ${JSON.stringify(await texts(panel, selector))}`, { cause: error });
  });
  return texts(panel, selector);
}

/**
 * Narrows the browser window, DevTools with it, once the Tasks panel is shown: opened that narrow,
 * DevTools would hide the Tasks tab in its » menu.
 */
async function narrowWindow(session: PanelSession, width: number): Promise<void> {
  const cdp = await session.page.createCDPSession();
  const { windowId } = (await cdp.send('Browser.getWindowForTarget')) as { windowId: number };
  await cdp.send('Browser.setWindowBounds', { windowId, bounds: { width } });
  await cdp.detach();
  await session.panel.waitForFunction((max: number) => window.innerWidth <= max, { timeout: 5_000 }, width);
}

describe.each([
  { theme: 'light', windowSize: { width: 1440, height: 1000 }, devtoolsHeight: 720, narrowTo: null, size: 'wide' },
  // A small screen: DevTools 380 px tall, 1000 px wide, the job detail about 380 px of it.
  { theme: 'dark', windowSize: { width: 1280, height: 800 }, devtoolsHeight: 380, narrowTo: 1000, size: 'narrow' },
] as const)('job runs in the Tasks panel ($theme theme, $size DevTools)', ({ theme, windowSize, devtoolsHeight, narrowTo, size }) => {
  let session: PanelSession | undefined;
  let panel: Frame;
  let page: Page;

  const shop = useDemoPanel({ theme, windowSize, devtoolsHeight, prefix: 'demo-runs' });
  beforeAll(async () => {
    ({ session, panel, page } = shop);
    if (narrowTo !== null) await narrowWindow(session, narrowTo);
  });

  const walk = (name: string, body: () => Promise<void>) =>
    it(name, async () => {
      const file = `runs-${theme}-${size}-${name.replace(/\W+/g, '-').slice(0, 50)}`;
      try {
        await body();
        // The picture shows the runs of the open job, wherever the detail is scrolled to.
        await panel.evaluate((sel: string) => document.querySelector(sel)?.scrollIntoView({ block: 'start' }), RUNS);
        await saveScreenshot(session!.devtools, file);
      } catch (error) {
        await saveScreenshot(session!.devtools, `FAILED-${file}`).catch(() => undefined);
        throw error;
      }
    }, 90_000);

  walk('a retried job lists its attempts and draws waiting, attempt 1 failed, backoff, attempt 2', async () => {
    await page.click('button[data-url="/api/accounting/sync"]');
    await selectRequest(panel, 'POST', '/api/accounting/sync');
    await (await panel.waitForSelector(`${JOB_ROWS}[data-seq="1"]`))!.click();
    const attempts = await waitForTexts(panel, `${RUNS} ol[aria-label="Attempts"] > li`, [/^Attempt 1 failed retried started /, /^Attempt 2 completed started /]);
    expect(attempts[0]).toMatch(/ran [\d.]+ m?s worker on \S+:\d+ Error: Accounting API timed out \(first attempt always fails\)/);
    expect(await texts(panel, `${RUNS} [data-testid="attempt-error"]`)).toEqual(['Error: Accounting API timed out (first attempt always fails)']);
    // Once the job's status is in too (when it was created), the wait before attempt 1 is drawn.
    await expect.poll(() => texts(panel, `${RUNS} ol[aria-label="Attempt timeline steps"] li`), { timeout: 10_000 }).toEqual([
      expect.stringMatching(/^waited [\d.]+ m?s$/),
      expect.stringMatching(/^attempt 1 failed after [\d.]+ m?s$/),
      expect.stringMatching(/^backoff [\d.]+ m?s$/),
      expect.stringMatching(/^attempt 2 completed in [\d.]+ m?s$/),
    ]);
    // Each attempt's own log line, with the attempt it came from.
    expect(await texts(panel, `${RUNS} ol[aria-label="Run logs"] li`)).toEqual([
      expect.stringMatching(/^#1 \+[\d.]+ m?s attempt 1: calling the accounting API for ord_1001$/),
      expect.stringMatching(/^#2 \+[\d.]+ m?s attempt 2: calling the accounting API for ord_1001$/),
    ]);
    // The request list marks the request: an attempt of its job failed, and BullMQ retried it.
    await panel.waitForFunction(
      () => document.querySelector('li[role="option"][aria-selected="true"] .retry-mark')?.getAttribute('title') === "1 attempt failed in this request's jobs and their follow-ups; BullMQ retried",
      { timeout: 10_000 },
    );
  });

  walk("an order's follow-ups nest under the jobs that enqueued them, with live states and the N+1 inside a job", async () => {
    await page.click('button[data-url="/api/orders"]');
    await selectRequest(panel, 'POST', '/api/orders');
    // No click: the tree grows as the workers enqueue, and every state goes live to completed.
    await expect.poll(() => jobTree(panel), { timeout: 30_000 }).toEqual([
      'send-order-confirmation ▾ 1', '↳ └ render-receipt-pdf', 'send-review-reminder', 'check-order ▾ 3 N+1',
      '↳ └ reserve-stock', '↳ └ reserve-stock', '↳ └ reserve-stock',
    ]);
    await panel.waitForFunction(
      (sel: string) => Array.from(document.querySelectorAll(`${sel}[data-follow-up] [data-state]`)).every((el) => el.getAttribute('data-state') === 'completed'),
      { timeout: 30_000 },
      JOB_ROWS,
    );
    await waitForText(panel, '[data-testid="follow-up-count"]', /^\+ 4 follow-ups$/);
    expect(await panel.$eval(`${JOB_ROWS}[data-seq="3"] [data-testid="job-n-plus-one"]`, (el) => el.getAttribute('title'))).toMatch(/^N\+1 inside this job/);

    // Folding a job hides its follow-ups, and its count says how many there are.
    await panel.click(`${JOB_ROWS}[data-seq="3"] button.fold`);
    expect(await jobTree(panel)).toEqual(['send-order-confirmation ▾ 1', '↳ └ render-receipt-pdf', 'send-review-reminder', 'check-order ▸ 3 N+1']);
    await panel.click(`${JOB_ROWS}[data-seq="3"] button.fold`);

    // The fraud check's detail: the jobs it enqueued, each with its live state, and the N+1 with its line.
    await panel.click(`${JOB_ROWS}[data-seq="3"]`);
    // Beside the open detail the job table still shows whole names, also on a narrow DevTools (the request list gives way).
    await panel.waitForSelector(RUNS);
    expect(await panel.$eval(`${JOB_ROWS}[data-seq="2"] td.name`, (el) => ({ text: el.textContent?.trim(), cut: el.scrollWidth > el.clientWidth })))
      .toEqual({ text: 'send-review-reminder', cut: false });
    await waitForTexts(panel, `${RUNS} ul[aria-label^="Jobs enqueued"] li`, [/^reserve-stock warehouse completed/, /^reserve-stock warehouse completed/, /^reserve-stock warehouse completed/]);
    await waitForText(panel, `${RUNS} [data-testid="n-plus-one"]`, /reserve-stock on queue warehouse enqueued 3× one by one from src\/processors\.ts:\d+ in \S*checkFraud/);

    // A follow-up opens in its own detail, with the job that enqueued it and its own run.
    await panel.click(`${JOB_ROWS}[data-follow-up="render-receipt-pdf"]`);
    await waitForText(panel, '[data-testid="enqueued-by"]', /^enqueued by #1 send-order-confirmation \+\d+ ms into its run$/);
    await waitForTexts(panel, `${RUNS} ol[aria-label="Attempts"] > li`, [/^Attempt 1 completed started /]);
    await waitForText(panel, 'ol[aria-label="Enqueue stack"]', /src\/processors\.ts:\d+/);
    await saveScreenshot(session!.devtools, `runs-${theme}-${size}-follow-up-detail`);
    await panel.click('[data-testid="enqueued-by"] button');
    await panel.waitForSelector('section[aria-label="Job #1"]');

    // The arrow keys go through the rows as drawn: from a job into its follow-up, and on.
    await panel.focus('table[aria-label="Jobs"] tbody');
    await session!.devtools.keyboard.press('ArrowDown');
    await waitForText(panel, '[data-testid="enqueued-by"]', /^enqueued by #1 send-order-confirmation/);
    await session!.devtools.keyboard.press('ArrowDown');
    await panel.waitForSelector('section[aria-label="Job #2"]');
    await session!.devtools.keyboard.press('ArrowUp');
    await waitForText(panel, '[data-testid="enqueued-by"]', /^enqueued by #1 send-order-confirmation/);
  });

  walk('the report job shows its log lines and its progress over time', async () => {
    await page.click('button[data-url="/api/reports/sales"]');
    await selectRequest(panel, 'POST', '/api/reports/sales');
    await (await panel.waitForSelector(`${JOB_ROWS}[data-seq="1"]`))!.click();
    const lines = await waitForTexts(panel, `${RUNS} ol[aria-label="Run logs"] .line`, [
      /^building last-30-days report as csv$/, /^20% of the rows read$/, /^40% of the rows read$/, /^60% of the rows read$/,
      /^80% of the rows read$/, /^100% of the rows read$/, /^report written$/,
    ]);
    expect(lines).toHaveLength(7);
    const progress = await panel.$$eval(`${RUNS} ol[aria-label="Progress of attempt 1"] [role="progressbar"]`, (bars) => bars.map((bar) => bar.getAttribute('aria-valuenow')));
    expect(progress).toEqual(['20', '40', '60', '80', '100']);
    await waitForTexts(panel, `${RUNS} ol[aria-label="Attempts"] > li`, [/^Attempt 1 completed started /]);
  });

  walk('a job that failed for good marks its request in the list', async () => {
    await page.click('button[data-url="/api/invoices"]');
    await selectRequest(panel, 'POST', '/api/invoices');
    await (await panel.waitForSelector(`${JOB_ROWS}[data-seq="1"]`))!.click();
    await waitForTexts(panel, `${RUNS} ol[aria-label="Attempts"] > li`, [/^Attempt 1 failed retried /, /^Attempt 2 failed last attempt /]);
    // The mark says which job: the lineage names it once its last attempt failed.
    await panel.waitForFunction(
      () => document.querySelector('li[role="option"][aria-selected="true"] .fail-mark')?.getAttribute('title') === 'A job of this request failed: render-invoice-pdf (billing)',
      { timeout: 15_000 },
    );
  });
});
