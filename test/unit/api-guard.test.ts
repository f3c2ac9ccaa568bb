import { describe, expect, it } from 'vitest';
import { checkApiRequest, isLoopback } from '../../server-lib/src/api/api-guard.js';
import { resolveOptions } from '../../server-lib/src/core/options.js';

const request = (remoteAddress: string, host = 'localhost:3000') => ({ method: 'GET', headers: { host }, remoteAddress });

describe('checkApiRequest()', () => {
  it('answers loopback clients only by default', () => {
    const options = resolveOptions({});
    expect(checkApiRequest(options, request('127.0.0.1'))).toBeUndefined();
    expect(checkApiRequest(options, request('::1'))).toBeUndefined();
    expect(checkApiRequest(options, request('::ffff:127.0.0.1'))).toBeUndefined();
    expect(checkApiRequest(options, request('10.0.0.5'))).toMatchObject({ status: 403, code: 'forbidden_remote' });
    expect(checkApiRequest(options, request('::ffff:192.168.1.2'))).toMatchObject({ status: 403, code: 'forbidden_remote' });
  });

  it('answers remote clients with allowRemote, still checking the Host', () => {
    const options = resolveOptions({ allowRemote: true, allowedHosts: ['dev.internal'] });
    expect(checkApiRequest(options, request('10.0.0.5', 'dev.internal:3000'))).toBeUndefined();
    expect(checkApiRequest(options, request('10.0.0.5', 'localhost:3000'))).toMatchObject({ code: 'forbidden_host' });
  });

  it('matches *.domain rules on subdomains only', () => {
    const options = resolveOptions({ allowedHosts: ['*.test'] });
    expect(checkApiRequest(options, request('127.0.0.1', 'shop.test'))).toBeUndefined();
    expect(checkApiRequest(options, request('127.0.0.1', 'test'))).toMatchObject({ code: 'forbidden_host' });
    expect(checkApiRequest(options, request('127.0.0.1', 'shoptest'))).toMatchObject({ code: 'forbidden_host' });
  });

  it('accepts extensions and the app\'s own origin, and refuses every other origin, null included', () => {
    const options = resolveOptions({});
    const from = (origin: string) => ({ method: 'GET', headers: { host: 'localhost:3000', origin }, remoteAddress: '127.0.0.1' });
    expect(checkApiRequest(options, from('chrome-extension://abcdefghijklmnop'))).toBeUndefined();
    expect(checkApiRequest(options, from('moz-extension://4b2c-11'))).toBeUndefined();
    expect(checkApiRequest(options, from('http://localhost:3000'))).toBeUndefined();
    // A sandboxed iframe or a data: URL on any website sends `Origin: null`.
    expect(checkApiRequest(options, from('null'))).toMatchObject({ status: 403, code: 'forbidden_origin' });
    expect(checkApiRequest(options, from('https://evil.example'))).toMatchObject({ status: 403, code: 'forbidden_origin' });
    expect(checkApiRequest(options, from('http://localhost:3001'))).toMatchObject({ status: 403, code: 'forbidden_origin' });
  });

  it('refuses a missing Host', () => {
    expect(checkApiRequest(resolveOptions({}), { method: 'GET', headers: {}, remoteAddress: '127.0.0.1' })).toMatchObject({ code: 'forbidden_host' });
  });
});

describe('isLoopback()', () => {
  it.each([['127.0.0.1', true], ['127.8.9.10', true], ['::1', true], ['::ffff:127.0.0.1', true], ['0.0.0.0', false], ['::', false], [undefined, false], ['128.0.0.1', false]])(
    '%s → %s', (address, expected) => expect(isLoopback(address)).toBe(expected),
  );
});
