import { describe, expect, it } from 'vitest';
import { editorLink, resolveFramePath } from '../../extension/src/lib/editor-links.js';

const frame = { file: 'src/routes/orders.ts', line: 45, column: 9, function: 'createOrder' };
const vscode = 'vscode://file/{path}:{line}:{column}';

describe('editorLink(frame, options)', () => {
  it('joins a relative file to the project root', () => {
    expect(editorLink(frame, { template: vscode, projectRoot: '/home/me/shop/', pathMappings: [] })).toBe(
      'vscode://file/home/me/shop/src/routes/orders.ts:45:9',
    );
  });

  it('needs a project root for relative files', () => {
    expect(editorLink(frame, { template: vscode, projectRoot: null, pathMappings: [] })).toBeNull();
  });

  it('maps container paths to the developer machine', () => {
    const inContainer = { ...frame, file: '/app/src/routes/orders.ts' };
    expect(editorLink(inContainer, { template: vscode, projectRoot: null, pathMappings: [{ from: '/app/', to: '/Users/me/shop/' }] })).toBe(
      'vscode://file/Users/me/shop/src/routes/orders.ts:45:9',
    );
  });

  it('unwraps file:// URLs of ESM frames and encodes spaces', () => {
    expect(resolveFramePath('file:///home/me/my%20shop/a.ts', null, [])).toBe('/home/me/my shop/a.ts');
    expect(editorLink({ ...frame, file: 'file:///home/me/my%20shop/a.ts' }, { template: vscode, projectRoot: null, pathMappings: [] })).toBe(
      'vscode://file/home/me/my%20shop/a.ts:45:9',
    );
  });

  it('puts one slash between the VS Code-style host and the absolute path', () => {
    const options = { projectRoot: '/home/me/shop', pathMappings: [] };
    for (const [template, expected] of [
      ['vscode://file/{path}:{line}:{column}', 'vscode://file/home/me/shop/src/routes/orders.ts:45:9'],
      ['vscode-insiders://file/{path}:{line}:{column}', 'vscode-insiders://file/home/me/shop/src/routes/orders.ts:45:9'],
      ['cursor://file/{path}:{line}:{column}', 'cursor://file/home/me/shop/src/routes/orders.ts:45:9'],
    ]) {
      expect(editorLink(frame, { ...options, template: template! })).toBe(expected);
    }
    expect(editorLink(frame, { template: vscode, projectRoot: 'C:\\work\\shop', pathMappings: [] })).toBe(
      'vscode://file/C:/work/shop/src/routes/orders.ts:45:9',
    );
  });

  it('uses other editors templates', () => {
    const link = editorLink(frame, { template: 'webstorm://open?file={path}&line={line}', projectRoot: 'C:\\work\\shop', pathMappings: [] });
    expect(link).toBe('webstorm://open?file=C:/work/shop/src/routes/orders.ts&line=45');
    const posix = { projectRoot: '/home/me/shop', pathMappings: [] };
    expect(editorLink(frame, { ...posix, template: 'webstorm://open?file={path}&line={line}&column={column}' })).toBe(
      'webstorm://open?file=/home/me/shop/src/routes/orders.ts&line=45&column=9',
    );
    // A file:// URL inside the template keeps its three slashes.
    expect(editorLink(frame, { ...posix, template: 'subl://open?url=file://{path}&line={line}&column={column}' })).toBe(
      'subl://open?url=file:///home/me/shop/src/routes/orders.ts&line=45&column=9',
    );
    expect(editorLink(frame, { template: 'subl://open?url=file://{path}&line={line}', projectRoot: 'C:\\work\\shop', pathMappings: [] })).toBe(
      'subl://open?url=file:///C:/work/shop/src/routes/orders.ts&line=45',
    );
  });

  it('escapes characters that would end the path inside the link', () => {
    const odd = { ...frame, file: '/home/me/c#/a&b?.ts' };
    expect(editorLink(odd, { template: vscode, projectRoot: null, pathMappings: [] })).toBe('vscode://file/home/me/c%23/a%26b%3F.ts:45:9');
  });

  it('maps whole directories, whatever the trailing slashes', () => {
    expect(resolveFramePath('/app/src/a.ts', null, [{ from: '/app', to: '/home/me/shop' }])).toBe('/home/me/shop/src/a.ts');
    expect(resolveFramePath('/app/src/a.ts', null, [{ from: '/app/', to: '/home/me/shop' }])).toBe('/home/me/shop/src/a.ts');
    expect(resolveFramePath('/app/src/a.ts', null, [{ from: '/app', to: '/home/me/shop/' }])).toBe('/home/me/shop/src/a.ts');
    expect(resolveFramePath('/apple/src/a.ts', null, [{ from: '/app', to: '/home/me/shop' }])).toBe('/apple/src/a.ts');
    const mappings = [
      { from: '/srv', to: '/mnt/srv' },
      { from: '/app', to: '/home/me/shop' },
    ];
    expect(resolveFramePath('/app/src/a.ts', null, mappings)).toBe('/home/me/shop/src/a.ts');
    expect(editorLink({ ...frame, file: 'src/a.ts' }, { template: vscode, projectRoot: '/app', pathMappings: mappings })).toBe(
      'vscode://file/home/me/shop/src/a.ts:45:9',
    );
  });

  it('refuses templates that would run code', () => {
    expect(editorLink(frame, { template: 'javascript:alert({line})', projectRoot: '/x', pathMappings: [] })).toBeNull();
    expect(editorLink(frame, { template: 'data:text/html,{path}', projectRoot: '/x', pathMappings: [] })).toBeNull();
  });
});
