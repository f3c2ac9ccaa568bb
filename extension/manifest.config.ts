import { defineManifest, type ManifestV3Export } from '@crxjs/vite-plugin';
import pkg from './package.json' with { type: 'json' };

/** Hosts the panel may fetch debug records from without asking: loopback and local dev names. */
export const LOCAL_HOSTS = [
  'http://localhost/*',
  'http://127.0.0.1/*',
  'http://[::1]/*',
  'http://*.localhost/*',
  'https://localhost/*',
  'https://127.0.0.1/*',
  'https://*.localhost/*',
  'http://*.test/*',
  'https://*.test/*',
];

/**
 * The manifest for one browser. Firefox gets `browser_specific_settings.gecko` and the same
 * devtools page; Chrome-only keys are never added.
 */
export function manifestFor(browser: 'chrome' | 'firefox'): ManifestV3Export {
  return defineManifest({
    manifest_version: 3,
    name: 'Taskscope',
    short_name: 'Taskscope',
    version: pkg.version,
    description: 'See the BullMQ jobs each HTTP request enqueued, in a DevTools panel named Tasks.',
    icons: { '16': 'icons/icon-16.png', '48': 'icons/icon-48.png', '128': 'icons/icon-128.png' },
    devtools_page: 'src/devtools/index.html',
    permissions: ['storage'],
    host_permissions: LOCAL_HOSTS,
    // Any other host (a staging box, a LAN IP) is asked for from the panel's settings.
    optional_host_permissions: ['http://*/*', 'https://*/*'],
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: {
              id: 'taskscope@taskscope.dev',
              strict_min_version: '140.0',
              // Nothing leaves the browser: the panel only reads the developer's own app.
              data_collection_permissions: { required: ['none'] },
            },
            // DevTools panels do not exist on Android; this only keeps the linter's version check exact.
            gecko_android: { strict_min_version: '142.0' },
          },
        }
      : { minimum_chrome_version: '120' }),
  });
}
