// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';

const FIREFOX_DIR = resolve(import.meta.dirname, '../../extension/dist-firefox');
const CHROME_DIR = resolve(import.meta.dirname, '../../extension/dist');

interface LinterMessage {
  code: string;
  message: string;
  file?: string;
}
interface LinterResult {
  errors: LinterMessage[];
  warnings: LinterMessage[];
}

function readManifest(dir: string): Record<string, unknown> {
  const path = `${dir}/manifest.json`;
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build -w taskscope-extension first`);
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

describe('the built extensions', () => {
  it('Chrome: a devtools page, no background, host access limited to local hosts', () => {
    const manifest = readManifest(CHROME_DIR);
    expect(manifest).toMatchObject({ manifest_version: 3, devtools_page: 'src/devtools/index.html' });
    expect(manifest.background).toBeUndefined();
    expect(manifest.content_scripts).toBeUndefined();
    expect(manifest.host_permissions).toContain('http://localhost/*');
    expect(manifest.host_permissions).toContain('http://127.0.0.1/*');
    expect(manifest.host_permissions).not.toContain('<all_urls>');
    expect(existsSync(`${CHROME_DIR}/src/panel/index.html`)).toBe(true);
  });

  it('Firefox: gecko settings, no Chrome-only keys, and a clean addons-linter report', async () => {
    const manifest = readManifest(FIREFOX_DIR);
    expect(manifest.browser_specific_settings).toMatchObject({ gecko: { id: expect.stringContaining('@') } });
    expect(manifest.minimum_chrome_version).toBeUndefined();
    expect(manifest.key).toBeUndefined();

    // addons-linter is a CommonJS dev dependency of the extension workspace.
    const require = createRequire(resolve(import.meta.dirname, '../../extension/package.json'));
    const linter = require('addons-linter') as {
      createInstance(options: { config: Record<string, unknown>; runAsBinary: boolean }): { run(): Promise<LinterResult> };
    };
    const result = await linter
      .createInstance({
        config: { _: [FIREFOX_DIR], logLevel: 'fatal', stack: false, pretty: false, warningsAsErrors: false, metadata: false, output: 'none', boring: false, selfHosted: false },
        runAsBinary: false,
      })
      .run();
    const summary = (list: LinterMessage[]) => list.map((m) => `${m.code} ${m.file ?? ''}: ${m.message}`);
    expect(summary(result.errors)).toEqual([]);
    expect(summary(result.warnings)).toEqual([]);
  }, 60_000);
});
