/**
 * The panel's only door to the browser: DevTools network events, fetches to the debug API,
 * settings storage, theme and host permissions. Everything else in the panel is plain logic
 * that tests can drive without a browser.
 */
import browser from 'webextension-polyfill';
import type { FetchAnswer, Fetcher } from './debug-api.js';
import type { HarEntryLike } from './headers.js';
import { normalizeSettings, type Settings } from './settings.js';

const TOKEN_HEADER = 'X-Taskscope-Token';
const SETTINGS_KEY = 'settings';

/** Calls `onEntry` for every request the inspected page finishes and `onNavigate` on navigation. */
export function listenToNetwork(onEntry: (entry: HarEntryLike) => void, onNavigate: (url: string) => void): () => void {
  const network = browser.devtools.network;
  const finished = (request: unknown): void => onEntry(request as HarEntryLike);
  network.onRequestFinished.addListener(finished);
  network.onNavigated.addListener(onNavigate);
  return () => {
    network.onRequestFinished.removeListener(finished);
    network.onNavigated.removeListener(onNavigate);
  };
}

/** The requests the inspected page made so far (DevTools clears this log on navigation). */
export async function readHar(): Promise<HarEntryLike[]> {
  const har = (await browser.devtools.network.getHAR()) as { entries?: HarEntryLike[] };
  return Array.isArray(har?.entries) ? har.entries : [];
}

/** Fetches debug-API JSON with the origin's token; a network failure rejects. */
export const fetchJson: Fetcher = async (url, token): Promise<FetchAnswer> => {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers[TOKEN_HEADER] = token;
  const response = await fetch(url, { headers, credentials: 'omit', cache: 'no-store', redirect: 'error' });
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: classified by status alone.
  }
  return { status: response.status, body };
};

export async function loadSettings(): Promise<Settings> {
  try {
    const stored = await browser.storage.local.get(SETTINGS_KEY);
    return normalizeSettings(stored[SETTINGS_KEY]);
  } catch {
    return normalizeSettings(undefined);
  }
}

export async function saveSettings(settings: Settings): Promise<void> {
  await browser.storage.local.set({ [SETTINGS_KEY]: JSON.parse(JSON.stringify(settings)) as Settings });
}

/** `dark` when DevTools uses its dark theme, else `light`. */
export function currentTheme(): 'light' | 'dark' {
  return browser.devtools.panels.themeName === 'dark' ? 'dark' : 'light';
}

/** Follows DevTools theme changes: Chrome reports them through `setThemeChangeHandler`, Firefox through `onThemeChanged`. */
export function onThemeChange(callback: (theme: 'light' | 'dark') => void): void {
  const toTheme = (name: string): 'light' | 'dark' => (name === 'dark' ? 'dark' : 'light');
  const panels = browser.devtools.panels as {
    onThemeChanged?: { addListener(cb: (name: string) => void): void };
  };
  const chromePanels = (globalThis as { chrome?: { devtools?: { panels?: { setThemeChangeHandler?: (cb: (name: string) => void) => void } } } })
    .chrome?.devtools?.panels;
  if (chromePanels?.setThemeChangeHandler) chromePanels.setThemeChangeHandler((name) => callback(toTheme(name)));
  else panels.onThemeChanged?.addListener((name) => callback(toTheme(name)));
}

function originPattern(origin: string): string {
  return `${origin}/*`;
}

/** True when the extension may fetch from `origin` (granted by the manifest or by the user). */
export async function hasHostAccess(origin: string): Promise<boolean> {
  try {
    return await browser.permissions.contains({ origins: [originPattern(origin)] });
  } catch {
    return true; // The API is missing here; let the fetch itself tell.
  }
}

/** Asks the user to allow fetching from `origin`; must be called from a click. */
export async function requestHostAccess(origin: string): Promise<boolean> {
  try {
    return await browser.permissions.request({ origins: [originPattern(origin)] });
  } catch {
    return false;
  }
}

/**
 * Copies text to the clipboard. The Clipboard API is refused inside DevTools panels in some
 * browsers, so a selected, off-screen textarea and `copy` are the fallback.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const focused = document.activeElement as HTMLElement | null;
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.left = '-9999px';
    document.body.append(area);
    area.select();
    const done = document.execCommand('copy');
    area.remove();
    focused?.focus(); // the keyboard stays where the user was
    return done;
  }
}
