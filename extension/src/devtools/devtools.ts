// The devtools page: creates the Tasks panel, and listens to the network from the moment
// DevTools opens, so responses seen before the panel first ran are handed over to it.
import browser from 'webextension-polyfill';
import { trackedFromHar, type HarEntryLike, type TrackedResponse } from '../lib/headers.js';
import { BRIDGE_KEY, PENDING_KEY, type PanelBridge } from '../lib/bridge.js';

const MAX_BUFFERED = 200;
let buffer: TrackedResponse[] = [];
let panelWindow: Record<string, unknown> | null = null;

const bridge = (): PanelBridge | null => (panelWindow?.[BRIDGE_KEY] as PanelBridge | undefined) ?? null;

browser.devtools.network.onRequestFinished.addListener((request: unknown) => {
  if (bridge()) return; // the panel is running and listens for itself
  const hit = trackedFromHar(request as HarEntryLike);
  if (!hit) return;
  buffer.push(hit);
  if (buffer.length > MAX_BUFFERED) buffer = buffer.slice(-MAX_BUFFERED);
});

function handOver(): void {
  if (!panelWindow || !buffer.length) return;
  const target = bridge();
  if (target) target.handOff(buffer);
  else panelWindow[PENDING_KEY] = [...((panelWindow[PENDING_KEY] as TrackedResponse[] | undefined) ?? []), ...buffer];
  buffer = [];
}

void browser.devtools.panels.create('Tasks', '/icons/icon-16.png', '/src/panel/index.html').then((panel) => {
  panel.onShown.addListener((shownWindow: unknown) => {
    panelWindow = shownWindow as Record<string, unknown>;
    handOver();
    bridge()?.setVisible(true);
  });
  panel.onHidden.addListener(() => bridge()?.setVisible(false));
});
