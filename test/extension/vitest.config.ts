import { defineProject } from 'vitest/config';

// Component and logic tests of the DevTools panel (extension/src). Owned by the extension work.
export default defineProject({
  test: { name: 'extension', include: ['extension/**/*.test.ts'], passWithNoTests: true },
});
