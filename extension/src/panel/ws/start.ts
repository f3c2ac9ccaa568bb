import type { PanelState } from '../state.svelte.js';
import { WsController } from './ws-controller.js';
import { WsViewState } from './ws-state.svelte.js';

/** How often the view updates while shown. */
const TICK_MS = 1000;
/** DevTools reports a WebSocket in `onRequestFinished` only once it closed: read the log for open ones. */
const HAR_EVERY_TICKS = 3;

/**
 * Creates the WebSockets view's state and controller and keeps them fed: the inspected page's
 * network log (for its own sockets) and, while the view is shown, a tick a second.
 *
 * @example
 * ```ts
 * const ws = startWsView(() => panel); // in App.svelte
 * ```
 */
// Loaded lazily: the browser module only loads inside the extension, and App renders in tests too.
const browserModule = () => import('../../lib/browser.js');

export function startWsView(panelOf: () => PanelState): { state: WsViewState; controller: WsController } {
  const state = new WsViewState();
  const controller = new WsController(state, {
    fetcher: async (url, token) => (await browserModule()).fetchJson(url, token),
    fallbackOrigin: () => panelOf().lastOrigin,
    tokenFor: (origin) => panelOf().settings.tokens[origin] || null,
    copyText: async (text) => (await browserModule()).copyText(text),
  });
  const readLog = async (): Promise<void> => {
    try {
      for (const entry of await (await browserModule()).readHar()) controller.onHarEntry(entry);
    } catch {
      // Outside DevTools (tests of the page): nothing to read.
    }
  };
  browserModule().then(
    ({ listenToNetwork }) => listenToNetwork((entry) => controller.onHarEntry(entry), () => controller.onNavigate()),
    () => {},
  );
  void readLog();
  let ticks = 0;
  setInterval(() => {
    if (!state.active || document.visibilityState === 'hidden') return;
    if (ticks++ % HAR_EVERY_TICKS === 0) void readLog();
    void controller.tick();
  }, TICK_MS);
  return { state, controller };
}
