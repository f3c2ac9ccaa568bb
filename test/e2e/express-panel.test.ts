import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { Queue, Worker } from 'bullmq';
import { taskscope, type TaskscopeMiddleware } from 'taskscope/express';
import type { Frame } from 'puppeteer-core';
import type { AdapterApp } from '../support/adapter-app.js';
import { listen } from '../support/koa-app.js';
import { freshQueueName, redisConnection } from '../support/redis.js';
import { launchWithPanel, saveScreenshot, type PanelSession } from '../support/chromium.js';

const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head><body><h1>Shop</h1></body></html>';

/** A real Express app with `taskscope()` first, a BullMQ queue and its worker. */
async function startShop(): Promise<AdapterApp> {
  const connection = redisConnection();
  const name = freshQueueName('e2e-express');
  const queue = new Queue(name, { connection });
  const worker = new Worker(name, async () => ({ sent: true }), { connection });
  const middleware: TaskscopeMiddleware = taskscope();
  const app = express();
  app.use(middleware);
  app.get('/', (_req, res) => { res.type('html').send(PAGE); });
  app.post('/orders', async (_req, res) => {
    await queue.add('send-confirmation', { to: 'ann@example.test', orderId: 7 });
    res.status(201).json({ ok: true });
  });
  app.post('/refunds', async (_req, _res, next) => {
    await queue.add('notify-finance', { orderId: 7 });
    next(Object.assign(new Error('Refund window closed'), { status: 409 }));
  });
  return listen(app, middleware.taskscope, async () => {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await middleware.close();
  });
}

async function waitForText(panel: Frame, selector: string, pattern: RegExp): Promise<void> {
  await panel.waitForFunction(
    (sel: string, source: string, flags: string) =>
      Array.from(document.querySelectorAll(sel)).some((el) => new RegExp(source, flags).test(el.textContent ?? '')),
    { timeout: 15_000 },
    selector,
    pattern.source,
    pattern.flags,
  );
}

describe('the Tasks panel on an Express app (taskscope/express)', () => {
  let shop: AdapterApp;
  let session: PanelSession | undefined;

  beforeAll(async () => {
    shop = await startShop();
    session = await launchWithPanel();
  });

  afterAll(async () => {
    await session?.close();
    await shop?.close();
  });

  it('lists the app\'s requests, an error response\'s included, with their jobs and live state', async (ctx) => {
    const { page, panel, devtools } = session!;
    try {
      await page.goto(shop.url);
      const statuses = await page.evaluate(async () => [
        (await fetch('/orders', { method: 'POST' })).status,
        (await fetch('/refunds', { method: 'POST' })).status,
      ]);
      expect(statuses).toEqual([201, 409]);

      await waitForText(panel, '[role="option"]', /\/orders\s*201\s*1 job/);
      await waitForText(panel, '[role="option"]', /\/refunds\s*409\s*1 job/);
      const orders = await panel.waitForSelector('::-p-xpath(//li[@role="option"][contains(., "/orders")])');
      await orders?.click();
      await waitForText(panel, 'table[aria-label="Jobs"] tbody tr', /send-confirmation.*express-panel\.test\.ts:\d+/);
      await panel.waitForSelector('tr [data-state="completed"]', { timeout: 15_000 });

      const refunds = await panel.waitForSelector('::-p-xpath(//li[@role="option"][contains(., "/refunds")])');
      await refunds?.click();
      await waitForText(panel, 'table[aria-label="Jobs"] tbody tr', /notify-finance/);
      await saveScreenshot(devtools, 'panel-express');
    } catch (error) {
      await saveScreenshot(devtools, `panel-express-failure-${ctx.task.id}`).catch(() => undefined);
      throw error;
    }
  });
});
