import { defineProject } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

// Component and logic tests of the DevTools panel (extension/src). Owned by the extension work.
// The project's root is this folder, so `include` is relative to it.
export default defineProject({
  plugins: [
    svelte({
      configFile: fileURLToPath(new URL('../../extension/svelte.config.js', import.meta.url)),
      compilerOptions: { dev: false },
    }),
  ],
  resolve: {
    // Svelte's client runtime (not its server one), and server-lib's TypeScript sources.
    conditions: ['browser', 'source'],
  },
  test: {
    name: 'extension',
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['**/*.test.ts'],
    environment: 'happy-dom',
  },
});
