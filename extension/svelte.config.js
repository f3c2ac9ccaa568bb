import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/vite-plugin-svelte').SvelteConfig} */
export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    runes: true,
    // Build DOM with createElement instead of cloning HTML strings: no innerHTML anywhere in
    // the bundle, which Firefox's add-on linter (rightly) flags in a panel showing server data.
    fragments: 'tree',
  },
};
