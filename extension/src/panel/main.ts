import { mount } from 'svelte';
import './panel.css';
import App from './App.svelte';
import { createPanelState } from './state.svelte.js';
import { PanelController } from './controller.js';
import { copyText, currentTheme, fetchJson, listenToNetwork, loadSettings, onThemeChange, readHar, requestHostAccess, saveSettings } from '../lib/browser.js';
import { BRIDGE_KEY, PENDING_KEY, type PanelBridge } from '../lib/bridge.js';
import type { TrackedResponse } from '../lib/headers.js';

const state = createPanelState();
const controller = new PanelController(state, { fetcher: fetchJson, saveSettings, requestHostAccess, copyText });

function applyTheme(theme: 'light' | 'dark'): void {
  state.theme = theme;
  document.documentElement.dataset.theme = theme;
}
applyTheme(currentTheme());
onThemeChange(applyTheme);

const bridge: PanelBridge = {
  handOff: (hits) => hits.forEach((hit) => controller.addHit(hit)),
  setVisible: (visible) => controller.setVisible(visible),
};
const win = window as unknown as Record<string, unknown>;
win[BRIDGE_KEY] = bridge;
document.addEventListener('visibilitychange', () => controller.setVisible(document.visibilityState === 'visible'));

mount(App, { target: document.getElementById('app') as HTMLElement, props: { panel: state, controller } });

async function start(): Promise<void> {
  state.settings = await loadSettings();
  listenToNetwork(
    (entry) => controller.onHarEntry(entry),
    (url) => controller.onNavigate(url),
  );
  const pending = (win[PENDING_KEY] as TrackedResponse[] | undefined) ?? [];
  delete win[PENDING_KEY];
  pending.forEach((hit) => controller.addHit(hit));
  try {
    for (const entry of await readHar()) controller.onHarEntry(entry);
  } finally {
    // The e2e test waits for this before making requests: from here on nothing is missed.
    document.documentElement.dataset.ready = '1';
  }
}
void start();
