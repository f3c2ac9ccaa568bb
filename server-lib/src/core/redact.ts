import { invalid } from './validate.js';

/**
 * A key to redact. A string matches any key that contains it once both are lower-cased and
 * stripped of everything but letters and digits (`'api key'` matches `apiKey`, `api_key`,
 * `X-Api-Key`); a RegExp is tested against the raw key.
 */
export type RedactRule = string | RegExp;

/**
 * Keys whose values are replaced by `{ $taskscope: 'redacted' }` unless the app passes its own
 * list. Matching is by substring, so false positives are the price of never leaking a secret:
 * `tokenizer` or `maxTokens` are redacted too (pass a list of your own to change that), while
 * `author` is not, because no rule is a part of it (`authorization` is, `auth` on its own isn't).
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = Object.freeze([
  'password',
  'passwd',
  'passphrase',
  'pwd',
  'secret',
  'token',
  'authorization',
  'cookie',
  'api key',
  'private key',
  'access key',
  'credential',
  'session id',
  'credit card',
  'card number',
  'cc number',
  'cvv',
  'cvc',
  'jwt',
  'bearer',
  'signature',
]);

/** Decides whether a key is secret; answers are cached because apps reuse the same few keys. */
export type KeyRedactor = (key: string) => boolean;

// Enough for every key name of a real app; a flood of distinct keys only costs a cache reset.
const MAX_CACHED_KEYS = 10_000;
// Longer keys are tested every time rather than kept: the cache is bounded in size, not only count.
const MAX_CACHED_KEY_LENGTH = 128;
const NOT_ALPHANUMERIC = /[^a-z0-9]/g;

const NEVER: KeyRedactor = () => false;

/**
 * Builds the key test for a list of rules, validating it; `false` redacts nothing and
 * `undefined` means {@link DEFAULT_REDACT_KEYS}.
 *
 * @example
 * ```ts
 * const isSecret = createRedactor(['api key', /^x-/i]);
 * isSecret('X-Api-Key'); // true
 * isSecret('author');    // false
 * ```
 */
export function createRedactor(rules: readonly RedactRule[] | false | undefined): KeyRedactor {
  if (rules === false) return NEVER;
  const list = rules ?? DEFAULT_REDACT_KEYS;
  if (!Array.isArray(list)) invalid('redact', 'false or an array of strings and RegExps', list);
  const words: string[] = [];
  const patterns: RegExp[] = [];
  list.forEach((rule: unknown, index) => {
    if (rule instanceof RegExp) {
      // A global or sticky RegExp keeps state between tests; a fresh copy without those flags doesn't.
      patterns.push(new RegExp(rule.source, rule.flags.replace(/[gy]/g, '')));
    } else if (typeof rule === 'string' && normalizeKey(rule).length > 0) {
      words.push(normalizeKey(rule));
    } else {
      invalid(`redact[${index}]`, 'a string with a letter or digit, or a RegExp', rule);
    }
  });
  if (words.length === 0 && patterns.length === 0) return NEVER;

  const cache = new Map<string, boolean>();
  return (key) => {
    const known = cache.get(key);
    if (known !== undefined) return known;
    const normalized = normalizeKey(key);
    const secret = words.some((word) => normalized.includes(word)) || patterns.some((pattern) => pattern.test(key));
    if (key.length > MAX_CACHED_KEY_LENGTH) return secret;
    if (cache.size >= MAX_CACHED_KEYS) cache.clear();
    cache.set(key, secret);
    return secret;
  };
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(NOT_ALPHANUMERIC, '');
}
