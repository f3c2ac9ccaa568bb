/**
 * The Tasks panel on a small screen (1280 × 800, DevTools 380 px tall), with the demo shop: what
 * matters is in view without scrolling, nothing a user must read is cut, page loads are marked
 * when the log is preserved, and rows have a context menu that copies.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Frame, Page } from 'puppeteer-core';
import type { Demo } from '../support/demo-process.js';
import { useDemoPanel } from '../support/demo-panel.js';
import { saveScreenshot, selectRequest, texts, waitForText, type PanelSession } from '../support/chromium.js';

describe.each(['light', 'dark'] as const)('the Tasks panel on a 1280 × 800 screen with DevTools 380 px tall (%s theme)', (theme) => {
  let demo: Demo | undefined;
  let session: PanelSession | undefined;
  let panel: Frame;
  let page: Page;

  const shop = useDemoPanel({ theme, windowSize: { width: 1280, height: 800 }, devtoolsHeight: 380, prefix: 'demo-layout' });
  beforeAll(() => {
    ({ demo, session, panel, page } = shop);
  });

  const guard = (name: string, body: () => Promise<void>) =>
    it(name, async () => {
      const file = `layout-${theme}-${name.replace(/\W+/g, '-').slice(0, 50)}`;
      try {
        await body();
        await saveScreenshot(session!.devtools, file);
      } catch (error) {
        await saveScreenshot(session!.devtools, `FAILED-${file}`).catch(() => undefined);
        throw error;
      }
    }, 60_000);

  guard('the N+1 warning, the timeline and the first jobs are in view without scrolling, and the N+1 advice is whole', async () => {
    await page.click('button[data-url="/api/receipts/one-by-one"]');
    await selectRequest(panel, 'POST', '/api/receipts/one-by-one');
    await panel.waitForSelector('table[aria-label="Jobs"] tbody tr[data-seq="1"]');
    const inView = await panel.evaluate(() => {
      const visible = (sel: string): boolean => {
        const box = document.querySelector(sel)?.getBoundingClientRect();
        return !!box && box.top >= 0 && box.bottom <= window.innerHeight;
      };
      return {
        warning: visible('[data-testid="n-plus-one"]'),
        timeline: visible('figure.timeline figcaption'),
        firstJob: visible('table[aria-label="Jobs"] tbody tr[data-seq="1"]'),
      };
    });
    expect(inView).toEqual({ warning: true, timeline: true, firstJob: true });
    // Its advice gets one line in a short DevTools: the whole of it, not facts the line above already gave.
    const advice = await panel.$eval('[data-testid="n-plus-one"] .suggestion', (el) => ({ text: el.textContent, cut: el.scrollWidth > el.clientWidth + 1 }));
    expect(advice).toEqual({ text: 'Batch them with queue.addBulk([...]): one round trip instead of 12.', cut: false });
  });

  guard('with a job open, state badges and column titles are whole, and a cut path has its full text on hover', async () => {
    await page.click('button[data-url="/api/support/tickets?priority=5000000"]');
    await page.click('button[data-url="/api/products/MUG-01"]');
    await selectRequest(panel, 'PUT', '/api/products/MUG-01');
    await (await panel.waitForSelector('table[aria-label="Jobs"] tbody tr[data-seq="2"]'))!.click();
    await panel.waitForSelector('section[aria-label="Job #2"]');
    await waitForText(panel, 'table[aria-label="Jobs"] tbody', /deduplicated into #1/);
    const cut = await panel.evaluate(() => {
      const overflowing = (el: Element): boolean => el.scrollWidth > el.clientWidth + 1;
      const badges = Array.from(document.querySelectorAll('table[aria-label="Jobs"] .badge'));
      const cells = badges.map((b) => b.closest('td')!).filter((td) => td.getBoundingClientRect().right < b(td).right);
      function b(td: Element): DOMRect {
        return td.querySelector('.badge')!.getBoundingClientRect();
      }
      const headers = Array.from(document.querySelectorAll('table[aria-label="Jobs"] th'))
        .filter((th) => getComputedStyle(th).display !== 'none')
        .filter((th) => overflowing(th.querySelector('button')!))
        .map((th) => th.textContent);
      return { badgesCut: cells.length + badges.filter(overflowing).length, headers };
    });
    expect(cut).toEqual({ badgesCut: 0, headers: [] });
    const titles = await panel.$$eval('li[role="option"] .path .middle', (els) => els.map((el) => el.getAttribute('title')));
    expect(titles).toContain('/api/support/tickets?priority=5000000');
  });

  guard('Preserve log marks each page load in the list', async () => {
    await panel.click('input[type="checkbox"]'); // Preserve log
    await page.goto(demo!.baseUrl);
    await page.click('button[data-url="/api/orders"]');
    await selectRequest(panel, 'POST', '/api/orders');
    await waitForText(panel, 'li.page-load', new RegExp(`page load ${demo!.baseUrl.replace(/[.:/]/g, '\\$&')}`));
    // Above the mark, the new page load: its document, its assets and the order; below it, the
    // requests from before the navigation, still listed.
    const order = await panel.$$eval('ul[role="listbox"] > li', (lis) => lis.map((li) => (li.classList.contains('page-load') ? 'mark' : li.querySelector('.path')?.textContent)));
    const mark = order.indexOf('mark');
    expect(order.slice(0, mark)).toEqual(expect.arrayContaining(['/api/orders', '/', '/app.js', '/style.css']));
    expect(order.slice(0, mark)).not.toContain('/api/products/MUG-01');
    expect(order.slice(mark + 1)).toEqual(expect.arrayContaining(['/api/products/MUG-01', '/api/receipts/one-by-one', '/']));
  });

  guard('a context menu on a request row copies it as cURL, from the mouse and the keyboard', async () => {
    // "Copy record as JSON" is offered once the record is loaded, which the summary line shows.
    await panel.waitForSelector('[data-testid="summary"]', { timeout: 20_000 });
    const row = await panel.$('li[role="option"][aria-selected="true"]');
    await row!.click({ button: 'right' });
    const items = await texts(panel, '[role="menu"] [role="menuitem"]');
    expect(items).toEqual(['Copy as cURL', 'Copy URL', 'Copy record as JSON']);
    await panel.click('[role="menuitem"]');
    await waitForText(panel, '.toast', /^Copied the request as cURL$/);
    const copied = await panel.evaluate(() => navigator.clipboard.readText().catch(() => null));
    if (copied !== null) expect(copied).toBe(`curl -X POST '${demo!.baseUrl}/api/orders'`);
    // From the keyboard: Shift+F10 on the focused list, Escape closes the menu and keeps focus.
    await session!.devtools.keyboard.down('Shift');
    await session!.devtools.keyboard.press('F10');
    await session!.devtools.keyboard.up('Shift');
    await panel.waitForSelector('[role="menu"]');
    await session!.devtools.keyboard.press('Escape');
    await panel.waitForFunction(() => !document.querySelector('[role="menu"]'));
    expect(await panel.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('listbox');
  });
});
