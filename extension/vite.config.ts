import { defaultClientConditions, defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { crx } from '@crxjs/vite-plugin';
import { manifestFor } from './manifest.config.js';

// One config, two targets: `vite build` writes the Chrome extension to dist/,
// `vite build --mode firefox` writes the same panel with a Firefox manifest to dist-firefox/.
export default defineConfig(({ command, mode }) => {
  const browser = mode === 'firefox' ? 'firefox' : 'chrome';
  return {
    plugins: [svelte(), crx({ manifest: manifestFor(browser), browser })],
    resolve: {
      // `taskscope/protocol` resolves to server-lib's TypeScript source (types only are imported).
      conditions: [...defaultClientConditions, 'source'],
    },
    build: {
      outDir: browser === 'firefox' ? 'dist-firefox' : 'dist',
      // Only a real build empties the folder: svelte-check resolves this config in `serve` mode
      // to find the Svelte options, and crxjs would otherwise delete dist/ while it runs.
      emptyOutDir: command === 'build',
      target: 'es2022',
      rollupOptions: {
        // crxjs bundles only the HTML the manifest names; the panel page is named only from
        // JS (`devtools.panels.create`), so it is listed here by hand.
        input: { panel: 'src/panel/index.html' },
      },
    },
  };
});
