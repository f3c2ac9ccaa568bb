import { describe, expect, it } from 'vitest';
import { editorLink, resolveFramePath } from '../../extension/src/lib/editor-links.js';

const frame = { file: 'src/routes/orders.ts', line: 45, column: 9, function: 'createOrder' };
const vscode = 'vscode://file/{path}:{line}:{column}';

describe('editorLink(frame, options)', () => {
  it('joins a relative file to the project root', () => {
    expect(editorLink(frame, { template: vscode, projectRoot: '/home/me/shop/', pathMappings: [] })).toBe(
      'vscode://file//home/me/shop/src/routes/orders.ts:45:9',
    );
  });

  it('needs a project root for relative files', () => {
    expect(editorLink(frame, { template: vscode, projectRoot: null, pathMappings: [] })).toBeNull();
  });

  it('maps container paths to the developer machine', () => {
    const inContainer = { ...frame, file: '/app/src/routes/orders.ts' };
    expect(editorLink(inContainer, { template: vscode, projectRoot: null, pathMappings: [{ from: '/app/', to: '/Users/me/shop/' }] })).toBe(
      'vscode://file//Users/me/shop/src/routes/orders.ts:45:9',
    );
  });

  it('unwraps file:// URLs of ESM frames and encodes spaces', () => {
    expect(resolveFramePath('file:///home/me/my%20shop/a.ts', null, [])).toBe('/home/me/my shop/a.ts');
    expect(editorLink({ ...frame, file: 'file:///home/me/my%20shop/a.ts' }, { template: vscode, projectRoot: null, pathMappings: [] })).toBe(
      'vscode://file//home/me/my%20shop/a.ts:45:9',
    );
  });

  it('uses other editors templates', () => {
    const link = editorLink(frame, { template: 'webstorm://open?file={path}&line={line}', projectRoot: 'C:\\work\\shop', pathMappings: [] });
    expect(link).toBe('webstorm://open?file=C:/work/shop/src/routes/orders.ts&line=45');
  });

  it('refuses templates that would run code', () => {
    expect(editorLink(frame, { template: 'javascript:alert({line})', projectRoot: '/x', pathMappings: [] })).toBeNull();
    expect(editorLink(frame, { template: 'data:text/html,{path}', projectRoot: '/x', pathMappings: [] })).toBeNull();
  });
});
