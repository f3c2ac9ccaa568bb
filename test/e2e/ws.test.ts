import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Frame } from 'puppeteer-core';
import { launchWithPanel, saveScreenshot, type PanelSession } from '../support/chromium.js';
import { killAll, startDemo, type Demo } from '../support/demo-process.js';

/** Waits until an element matching `selector` in the panel has text matching `pattern`. */
async function waitForText(panel: Frame, selector: string, pattern: RegExp, timeout = 20_000): Promise<void> {
  await panel.waitForFunction(
    (sel: string, source: string, flags: string) =>
      Array.from(document.querySelectorAll(sel)).some((el) => new RegExp(source, flags).test(el.textContent ?? '')),
    { timeout },
    selector,
    pattern.source,
    pattern.flags,
  );
}

async function stopDemo(demo: Demo | undefined): Promise<void> {
  if (!demo?.child.pid) return;
  try {
    process.kill(-demo.child.pid, 'SIGINT');
    await Promise.race([demo.exit, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  } finally {
    killAll(demo, []);
  }
}

describe.each(['light', 'dark'] as const)('the WebSockets view on the demo\'s live order desk (%s theme)', (theme) => {
  let demo: Demo | undefined;
  let session: PanelSession | undefined;

  beforeAll(async () => {
    demo = await startDemo({ REDIS_URL: inject('redisUrl'), PORT: '0', DEMO_QUEUE_PREFIX: `ws-e2e-${randomUUID().slice(0, 8)}` });
    session = await launchWithPanel({ theme });
  }, 90_000);

  afterAll(async () => {
    await session?.close();
    await stopDemo(demo);
  });

  it('lists and selects the page\'s socket, shows a command\'s jobs live, and the refused upgrade', async () => {
    const { page, devtools, panel } = session!;
    try {
      await page.goto(demo!.baseUrl.replace('localhost', '127.0.0.1'));
      await page.waitForFunction(() => document.querySelector('#order-desk output')?.textContent?.includes('open ws'));
      await panel.click('button[role="tab"]:nth-child(2)');
      // The page's own WebSocket: listed, marked and selected first.
      await waitForText(panel, '[role="option"][aria-selected="true"]', /this page/);
      await waitForText(panel, '[role="option"][aria-selected="true"]', /\/desk\?token=\[redacted\]/);

      await page.click('[data-desk="order"]');
      await waitForText(panel, '[data-testid="ws-jobs"]', /7 jobs/);
      await panel.click('tr:has([data-testid="ws-jobs"])');
      await waitForText(panel, '[data-testid="ws-summary"]', /7/);
      await waitForText(panel, 'section[aria-label="Message detail"]', /N\+1/);
      // Their live state, as the workers run them.
      await waitForText(panel, 'section[aria-label="Message detail"] table', /completed/, 30_000);

      await page.click('[data-desk="binary"]');
      await page.click('[data-desk="ping"]');
      await waitForText(panel, 'table[aria-label="Messages"] tbody', /pinged/);
      await waitForText(panel, 'table[aria-label="Messages"] tbody', /binary/);
      await saveScreenshot(devtools, `ws-view-${theme}`);

      await page.click('[data-desk="bad-token"]');
      await waitForText(panel, '[role="option"]', /401/);
      const rows = await panel.$$eval('[role="option"]', (els) => els.map((el) => (el.textContent ?? '').replace(/\s+/g, ' ')));
      expect(rows.some((row) => row.includes('401') && row.includes('/desk?token=[redacted]'))).toBe(true);
      // The page's socket stays selected while others come.
      await waitForText(panel, '[role="option"][aria-selected="true"]', /this page/);
      await panel.click('[role="option"]:not(:has(.badge.info))');
      await waitForText(panel, '[data-testid="ws-rejected"]', /HTTP 401: Unauthorized: bad desk token/);
      await saveScreenshot(devtools, `ws-view-rejected-${theme}`);
    } catch (error) {
      await saveScreenshot(devtools, `ws-view-${theme}-failure`).catch(() => undefined);
      throw error;
    }
  }, 120_000);
});
