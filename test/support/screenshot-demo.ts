/**
 * Makes the README's pictures of the Tasks panel on the demo shop: starts `npm run demo` on a
 * free port, opens its home page in Chromium with the built extension and DevTools on the Tasks
 * panel, presses a few scenario buttons, and saves DevTools (light theme), cropped from its tab
 * bar down:
 * - docs/images/panel-demo.png: the N+1 request and one of its jobs;
 * - docs/images/job-runs.png: the order, its follow-up jobs nested under the jobs that enqueued
 *   them, and the fraud check's runs (its attempt, the jobs it enqueued, the N+1 inside it).
 *
 *   npm run build -w taskscope-extension
 *   cd test && npx tsx --conditions=source support/screenshot-demo.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { launchWithPanel, saveScreenshot, selectRequest, waitForText } from './chromium.js';

const ROOT = resolve(import.meta.dirname, '../..');
const IMAGES_DIR = resolve(ROOT, 'docs/images');

/** Starts `npm run demo` with PORT=0 and resolves with the URL it prints. */
async function startDemo(): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn('npm', ['run', 'demo'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((done, fail) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /open (http:\/\/\S+)/.exec(output);
      if (match) done(match[1]!);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`npm run demo exited with code ${code}:\n${output}`)));
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGINT'); // the demo's Ctrl-C: closes the server, workers, queues and its Redis
      await once(child, 'exit');
    },
  };
}

const demo = await startDemo();
const session = await launchWithPanel({ theme: 'light', windowSize: { width: 1440, height: 1000 }, devtoolsHeight: 760 });
try {
  const { page, panel, devtools } = session;
  await page.goto(demo.url);

  // Editor links need no setting here: the demo tells the panel its root (same machine).
  for (const url of ['/api/orders', '/api/receipts/one-by-one', '/api/shipments']) {
    await page.click(`button[data-url="${url}"]`);
    await waitForText(panel, '[role="option"]', new RegExp(url.replaceAll('/', '\\/')));
  }

  await selectRequest(panel, 'POST', '/api/receipts/one-by-one');
  await waitForText(panel, '[data-testid="n-plus-one"]', /send-receipt/);
  // Let the workers get through some of the receipts, so the states and timeline have colour,
  // and open one that is done: its detail shows timings and a return value.
  await panel.waitForSelector('table[aria-label="Jobs"] tr[data-seq="2"] [data-state="completed"]', { timeout: 30_000 });
  await panel.click('table[aria-label="Jobs"] tbody tr[data-seq="2"]');
  await waitForText(panel, 'ol[aria-label="Enqueue stack"]', /receipts\.ts/);
  await panel.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

  const path = await saveScreenshot(devtools, 'panel-demo', IMAGES_DIR);
  console.log(`Saved ${path}`);

  // Job runs: the order's tree, once every follow-up is done, and the fraud check's runs.
  await selectRequest(panel, 'POST', '/api/orders');
  await panel.waitForFunction(
    () => {
      const states = Array.from(document.querySelectorAll('table[aria-label="Jobs"] tr[data-follow-up] [data-state]'));
      return states.length === 4 && states.every((el) => el.getAttribute('data-state') === 'completed');
    },
    { timeout: 30_000 },
  );
  await panel.click('table[aria-label="Jobs"] tbody tr[data-seq="3"]');
  await waitForText(panel, 'section[aria-label="Runs"] [data-testid="n-plus-one"]', /reserve-stock/);
  await panel.evaluate(() => {
    document.querySelector('section[aria-label="Runs"]')?.scrollIntoView({ block: 'start' });
    (document.activeElement as HTMLElement | null)?.blur();
  });
  const runsPath = await saveScreenshot(devtools, 'job-runs', IMAGES_DIR);
  console.log(`Saved ${runsPath}`);
} finally {
  await session.close();
  await demo.stop();
}
