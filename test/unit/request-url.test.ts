import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../server-lib/src/core/redact.js';
import { MAX_URL_LENGTH, recordedUrl } from '../../server-lib/src/core/request-url.js';

const isSecret = createRedactor(undefined);

describe('recordedUrl()', () => {
  it('redacts the values of secret-looking query parameters and keeps the rest as sent', () => {
    expect(recordedUrl('/reset?token=abc&page=2', isSecret)).toBe('/reset?token=[redacted]&page=2');
    expect(recordedUrl('/hook?api%5Fkey=k1&Access-Token=t&q=a%20b', isSecret)).toBe('/hook?api%5Fkey=[redacted]&Access-Token=[redacted]&q=a%20b');
    expect(recordedUrl('/orders?author=ada&flag', isSecret)).toBe('/orders?author=ada&flag');
    expect(recordedUrl('/plain', isSecret)).toBe('/plain');
  });

  it('keeps everything when redaction is off', () => {
    expect(recordedUrl('/reset?token=abc', createRedactor(false))).toBe('/reset?token=abc');
  });

  it('bounds a huge URL and marks the cut', () => {
    const url = recordedUrl(`/search?q=${'x'.repeat(10_000)}`, isSecret);
    expect(url).toHaveLength(MAX_URL_LENGTH + 1);
    expect(url.endsWith('…')).toBe(true);
  });

  it('survives bad percent-encoding in a key', () => {
    expect(recordedUrl('/x?%E0%A4%A=1&password=p', isSecret)).toBe('/x?%E0%A4%A=1&password=[redacted]');
  });
});
