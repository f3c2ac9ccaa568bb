import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Frame, Page } from 'puppeteer-core';
import { killAll, startDemo, type Demo } from './demo-process.js';
import { launchWithPanel, type PanelSession } from './chromium.js';

/** The demo shop open in a tab of a real Chromium, with DevTools on its Tasks panel. */
export interface DemoPanel {
  readonly demo: Demo;
  readonly session: PanelSession;
  readonly panel: Frame;
  readonly page: Page;
}

/**
 * Starts the demo (`npm run demo`, on the run's Redis and its own queue prefix) and a Chromium
 * with the built extension before the tests of the enclosing `describe`, and stops both after.
 *
 * @example
 * ```ts
 * const shop = useDemoPanel({ theme: 'dark', windowSize: { width: 1280, height: 800 }, devtoolsHeight: 380 });
 * it('lists the page', async () => { await shop.page.reload(); … });
 * ```
 */
export function useDemoPanel(options: Parameters<typeof launchWithPanel>[0] & { prefix: string }): DemoPanel {
  let demo: Demo | undefined;
  let session: PanelSession | undefined;
  const { prefix, ...launch } = options;

  beforeAll(async () => {
    demo = await startDemo({ REDIS_URL: inject('redisUrl'), PORT: '0', DEMO_QUEUE_PREFIX: `${prefix}-${randomUUID().slice(0, 8)}` });
    session = await launchWithPanel(launch);
    await session.page.goto(demo.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    if (demo) {
      demo.child.kill('SIGINT');
      await Promise.race([demo.exit, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      killAll(demo, []);
    }
  });

  return {
    get demo() { return demo!; },
    get session() { return session!; },
    get panel() { return session!.panel; },
    get page() { return session!.page; },
  };
}
