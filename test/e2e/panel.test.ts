import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Koa from 'koa';
import { Queue, Worker } from 'bullmq';
import { taskscope, type TaskscopeMiddleware } from 'taskscope/koa';
import type { Frame } from 'puppeteer-core';
import { freshQueueName, redisConnection } from '../support/redis.js';
import { launchWithPanel, saveScreenshot, selectRequest, texts, waitForText, type PanelSession } from '../support/chromium.js';

const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head><body><h1>Shop</h1></body></html>';

/** A real Koa app with Taskscope and a BullMQ queue, its worker, and its URL. */
interface ShopApp {
  url: string;
  close(): Promise<void>;
}

async function startShop(): Promise<ShopApp> {
  const connection = redisConnection();
  const name = freshQueueName('e2e-emails');
  const queue = new Queue(name, { connection });
  const worker = new Worker(
    name,
    async (job) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      await job.updateProgress(100);
      return { sent: true };
    },
    { connection },
  );
  const middleware: TaskscopeMiddleware = taskscope();
  const app = new Koa();
  app.use(middleware);
  app.use(async (ctx) => {
    if (ctx.path === '/') {
      ctx.type = 'html';
      ctx.body = PAGE;
    } else if (ctx.method === 'POST' && ctx.path === '/orders') {
      await queue.add('send-confirmation', { to: 'ann@example.test', orderId: 7 });
      ctx.status = 201;
      ctx.body = { ok: true };
    } else if (ctx.method === 'POST' && ctx.path === '/receipts') {
      for (const orderId of [1, 2, 3, 4]) await queue.add('send-receipt', { orderId });
      ctx.body = { ok: true };
    }
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.close();
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await middleware.close();
    },
  };
}

describe.each(['light', 'dark'] as const)('the Tasks panel in a real Chromium (%s theme)', (theme) => {
  let shop: ShopApp;
  let session: PanelSession | undefined;

  beforeAll(async () => {
    shop = await startShop();
    session = await launchWithPanel({ theme });
  });

  afterAll(async () => {
    await session?.close();
    await shop?.close();
  });

  it('lists requests with their jobs, origins, N+1 warning and live state', async (ctx) => {
    const { page, panel, devtools } = session!;
    try {
      expect(await panel.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
      // The local hosts of the manifest are granted at install, nothing more.
      const granted = await panel.evaluate(async () => {
        type Permissions = { getAll(): Promise<{ origins?: string[] }> };
        const { chrome } = globalThis as unknown as { chrome: { permissions: Permissions } };
        return (await chrome.permissions.getAll()).origins ?? [];
      });
      expect(granted).toEqual(expect.arrayContaining(['http://127.0.0.1/*', 'http://localhost/*', 'http://[::1]/*']));
      expect(granted).not.toContain('http://*/*');

      await page.goto(shop.url);
      await page.evaluate(async () => {
        await fetch('/orders', { method: 'POST' });
        await fetch('/receipts', { method: 'POST' });
      });

      // Both requests are listed, newest first, with their job counts.
      await waitForText(panel, '[role="option"]', /\/receipts.*4 jobs/);
      await waitForText(panel, '[role="option"]', /\/orders.*1 job/);
      const posts = (await texts(panel, '[role="option"]')).filter((row) => /^\d\d:\d\d:\d\d\s*POST/.test(row));
      expect(posts[0]).toMatch(/POST\s*\/receipts\s*200\s*4 jobs/);
      expect(posts[1]).toMatch(/POST\s*\/orders\s*201\s*1 job/);

      // The newest request with jobs is selected, not the page or its favicon.
      await waitForText(panel, '[role="option"][aria-selected="true"]', /POST\s*\/receipts/);
      // The order's job shows where it was enqueued, and becomes completed without any click,
      // through live status.
      await selectRequest(panel, 'POST', '/orders');
      await waitForText(panel, 'table[aria-label="Jobs"] tbody tr', /send-confirmation/);
      const [jobRow] = await texts(panel, 'table[aria-label="Jobs"] tbody tr');
      expect(jobRow).toMatch(/panel\.test\.ts:\d+/);
      await panel.waitForSelector('tr [data-state="completed"]', { timeout: 15_000 });

      // The loop of adds is flagged as N+1, with its count and origin.
      await selectRequest(panel, 'POST', '/receipts');
      await waitForText(panel, '[data-testid="n-plus-one"]', /send-receipt.*4×.*panel\.test\.ts:\d+/);
      await waitForText(panel, '[data-testid="summary"]', /4 jobs \(4 immediate, 0 delayed\)/);
      await waitForText(panel, 'table[aria-label="Jobs"] tbody', /completed.*completed.*completed.*completed/);

      // Job detail: data tree and the enqueue stack.
      await panel.click('table[aria-label="Jobs"] tbody tr[data-seq="2"]');
      await waitForText(panel, '[role="tree"][aria-label="Job data"]', /orderId.*2/);
      await waitForText(panel, 'ol[aria-label="Enqueue stack"]', /panel\.test\.ts:\d+/);

      await saveScreenshot(devtools, `panel-${theme}`);
    } catch (error) {
      await saveScreenshot(devtools, `panel-${theme}-failure-${ctx.task.id}`).catch(() => undefined);
      throw error;
    }
  }, 60_000);
});
