import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type ElementHandle, type Frame, type Page } from 'puppeteer-core';

/** The built Chrome extension (npm run build -w taskscope-extension). */
export const EXTENSION_DIR = resolve(import.meta.dirname, '../../extension/dist');
/** Where tests leave screenshots (git-ignored). */
export const ARTIFACTS_DIR = resolve(import.meta.dirname, '../artifacts');

/** Chromium to drive: `$CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/** A Chromium with the extension loaded, DevTools open on the first tab, and the Tasks panel shown. */
export interface PanelSession {
  browser: Browser;
  /** The inspected tab. */
  page: Page;
  /** The DevTools front end, as a page. */
  devtools: Page;
  /** The Tasks panel's frame inside DevTools. */
  panel: Frame;
  close(): Promise<void>;
}

export interface LaunchOptions {
  theme?: 'light' | 'dark';
  extensionDir?: string;
  /** The browser window, in CSS pixels. @defaultValue 1280 × 900 */
  windowSize?: { width: number; height: number };
  /** Height of DevTools docked at the bottom, in CSS pixels. @defaultValue 600 */
  devtoolsHeight?: number;
}

/**
 * Launches Chromium (new headless) with the extension, opens DevTools docked at the bottom,
 * shows the Tasks panel and waits until the panel has subscribed to the network, following
 * shared/notes/devtools-e2e.md. Requests made after this resolves are seen by the panel.
 */
export async function launchWithPanel(options: LaunchOptions = {}): Promise<PanelSession> {
  const extensionDir = options.extensionDir ?? EXTENSION_DIR;
  if (!existsSync(join(extensionDir, 'manifest.json'))) {
    throw new Error(`No built extension in ${extensionDir}: run npm run build -w taskscope-extension first`);
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'taskscope-chromium-'));
  // Docked at the bottom, the extension's tab is not hidden in the » overflow menu.
  const theme = options.theme === 'dark' ? '"dark"' : '"default"';
  // The theme setting was renamed over Chrome versions; write both spellings.
  // A taller DevTools (the inspected page/DevTools split) shows more of the panel in screenshots.
  const split = JSON.stringify({ vertical: { size: 640 }, horizontal: { size: options.devtoolsHeight ?? 600 } });
  const windowSize = options.windowSize ?? { width: 1280, height: 900 };
  const preferences = {
    currentDockState: '"bottom"',
    uiTheme: theme,
    'ui-theme': theme,
    'InspectorView.splitViewState': split,
    'inspector-view.split-view-state': split,
  };
  await mkdir(join(userDataDir, 'Default'), { recursive: true });
  await writeFile(join(userDataDir, 'Default', 'Preferences'), JSON.stringify({ devtools: { preferences } }));

  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    devtools: true,
    enableExtensions: true,
    defaultViewport: null,
    userDataDir,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--window-size=${windowSize.width},${windowSize.height}`,
      `--load-extension=${extensionDir}`,
      `--disable-extensions-except=${extensionDir}`,
    ],
  });
  const close = async (): Promise<void> => {
    await browser.close().catch(() => undefined);
    await rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    const target = await browser.waitForTarget((t) => t.url().startsWith('devtools://devtools/'), { timeout: 20_000 });
    const devtools = await target.asPage();
    const tab = await devtools.waitForSelector('aria/Tasks[role="tab"]', { timeout: 20_000 });
    await tab?.click();
    const panel = await devtools.waitForFrame(
      (f) => f.url().startsWith('chrome-extension://') && !f.url().includes('devtools'),
      { timeout: 20_000 },
    );
    // The frame exists before the panel script subscribed to the network: wait for its mark.
    await panel.waitForSelector('html[data-ready="1"]', { timeout: 20_000 });
    const [page] = await browser.pages();
    if (!page) throw new Error('Chromium opened no tab');
    return { browser, page, devtools, panel, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Saves a PNG of the DevTools window to `<dir>/<name>.png` (test/artifacts by default) and
 * returns its path. Cropped to DevTools itself (from its tab bar down) when the Tasks tab can be
 * found.
 */
export async function saveScreenshot(devtools: Page, name: string, dir = ARTIFACTS_DIR): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  const tab = await devtools.$('aria/Tasks[role="tab"]').catch(() => null);
  const box = await tab?.boundingBox();
  const size = await devtools.evaluate(() => ({ width: window.innerWidth, height: window.innerHeight }));
  const top = box ? Math.max(0, Math.floor(box.y) - 2) : 0;
  await devtools.screenshot({ path, captureBeyondViewport: false, clip: { x: 0, y: top, width: size.width, height: size.height - top } });
  return path;
}

/** Waits until some element matching `selector` in the panel has text matching `pattern`. */
export async function waitForText(panel: Frame, selector: string, pattern: RegExp, timeout = 20_000): Promise<void> {
  await panel.waitForFunction(
    (sel: string, source: string, flags: string) =>
      Array.from(document.querySelectorAll(sel)).some((el) => new RegExp(source, flags).test((el.textContent ?? '').replace(/\s+/g, ' '))),
    { timeout },
    selector,
    pattern.source,
    pattern.flags,
  );
}

/** The text of every element matching `selector`, whitespace collapsed, as a person reads it. */
export async function texts(panel: Frame, selector: string): Promise<string[]> {
  return panel.$$eval(selector, (els) => els.map((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim()));
}

/**
 * Clicks (with the mouse, so focus moves as for a user) the newest row of the request list whose
 * method and path are exactly these, once it is listed.
 */
export async function selectRequest(panel: Frame, method: string, path: string): Promise<void> {
  const row = await panel.waitForFunction(
    (m: string, p: string) =>
      Array.from(document.querySelectorAll('li[role="option"]')).find(
        (li) => li.querySelector('.method')?.textContent === m && li.querySelector('.path')?.textContent === p,
      ) ?? null,
    { timeout: 20_000 },
    method,
    path,
  );
  const element = row.asElement() as ElementHandle<Element> | null;
  if (!element) throw new Error(`No request ${method} ${path} in the list`);
  await element.click();
  await panel.waitForFunction(
    (m: string, p: string) => {
      const selected = document.querySelector('li[role="option"][aria-selected="true"]');
      return selected?.querySelector('.method')?.textContent === m && selected?.querySelector('.path')?.textContent === p;
    },
    { timeout: 5_000 },
    method,
    path,
  );
}
