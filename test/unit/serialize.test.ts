import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSerializer, DEFAULT_REDACT_KEYS, DEFAULT_SERIALIZE_LIMITS } from '../../server-lib/src/core/serialize.js';

const serialize = createSerializer();
const snap = (value: unknown): unknown => serialize(value).value;
const json = (value: unknown): string => JSON.stringify(serialize(value).value);

describe('createSerializer()', () => {
  describe('plain data', () => {
    it('copies small JSON values unchanged and reports their JSON size', () => {
      const data = { to: 'a@b.c', orderId: 42, tags: ['x', 'y'], nested: { ok: true, none: null } };
      const result = serialize(data);
      expect(result.value).toEqual(data);
      expect(result.value).not.toBe(data);
      expect(result.truncated).toBe(false);
      expect(result.bytes).toBe(JSON.stringify(data).length);
    });

    it('stores NaN and Infinity as null and -0 as 0, like JSON', () => {
      expect(snap([NaN, Infinity, -0])).toEqual([null, null, 0]);
    });

    it('marks undefined values and keeps sparse array holes as null', () => {
      // eslint-disable-next-line no-sparse-arrays
      expect(snap({ a: undefined, list: [1, , undefined] })).toEqual({
        a: { $taskscope: 'undefined' },
        list: [1, null, { $taskscope: 'undefined' }],
      });
    });

    it('keeps own enumerable properties of class instances', () => {
      class Order { id = 7; get total(): number { return 1; } }
      expect(snap(new Order())).toEqual({ id: 7 });
    });

    it('copies null-prototype objects', () => {
      const bare = Object.assign(Object.create(null), { a: 1 });
      expect(snap(bare)).toEqual({ a: 1 });
    });
  });

  describe('values JSON cannot hold', () => {
    it('marks bigint, symbol and function values, and ignores symbol keys', () => {
      expect(snap({ n: 10n, s: Symbol('tag'), f: function send() {}, [Symbol('k')]: 1 })).toEqual({
        n: { $taskscope: 'bigint', value: '10' },
        s: { $taskscope: 'symbol', description: 'tag' },
        f: { $taskscope: 'function', name: 'send' },
      });
    });

    it('marks dates, invalid dates, regexps and errors', () => {
      expect(snap([new Date(0), new Date(NaN), /a+/gi, new RangeError('too far')])).toEqual([
        { $taskscope: 'date', iso: '1970-01-01T00:00:00.000Z' },
        { $taskscope: 'date', iso: null },
        { $taskscope: 'regexp', source: 'a+', flags: 'gi' },
        { $taskscope: 'error', name: 'RangeError', message: 'too far' },
      ]);
    });

    it('marks Buffers, typed arrays, ArrayBuffers and DataViews with a short hex preview', () => {
      expect(snap(Buffer.from('hi'))).toEqual({ $taskscope: 'binary', type: 'Buffer', length: 2, preview: '6869' });
      expect(snap(new Uint16Array([1]))).toEqual({ $taskscope: 'binary', type: 'Uint16Array', length: 2, preview: '0100' });
      expect(snap(new ArrayBuffer(1))).toEqual({ $taskscope: 'binary', type: 'ArrayBuffer', length: 1, preview: '00' });
      expect(snap(new DataView(new ArrayBuffer(2)))).toEqual({ $taskscope: 'binary', type: 'DataView', length: 2, preview: '0000' });
      const big = serialize(Buffer.alloc(10_000_000, 0xab)).value as { preview: string; length: number };
      expect(big.length).toBe(10_000_000);
      expect(big.preview.length).toBeLessThanOrEqual(32);
    });

    it('copies Maps and Sets into markers, redacting secret Map keys', () => {
      expect(snap(new Map<unknown, unknown>([['a', 1], [2, 'b'], ['password', 'hunter2']]))).toEqual({
        $taskscope: 'map', size: 3, entries: [['a', 1], [2, 'b'], ['password', { $taskscope: 'redacted' }]],
      });
      expect(snap(new Set([1, 'x']))).toEqual({ $taskscope: 'set', size: 2, values: [1, 'x'] });
    });

    it('unwraps boxed primitives', () => {
      // eslint-disable-next-line no-new-wrappers
      expect(snap([new Number(1), new String('s'), new Boolean(false)])).toEqual([1, 's', false]);
    });
  });

  describe('toJSON', () => {
    it('stores what toJSON returns, as JSON.stringify (and so BullMQ) would', () => {
      const money = { toJSON: (key: string) => `12.50 EUR (${key})` };
      expect(snap({ price: money })).toEqual({ price: '12.50 EUR (price)' });
    });

    it('does not call toJSON again on what toJSON returned', () => {
      const inner = { toJSON: () => 'inner' };
      const outer = { toJSON: () => inner };
      expect(snap(outer)).toEqual({ toJSON: { $taskscope: 'function', name: 'toJSON' } });
    });

    it('marks a throwing toJSON as unreadable', () => {
      expect(snap({ a: { toJSON() { throw new Error('nope'); } } })).toEqual({
        a: { $taskscope: 'unreadable', reason: 'Error: nope' },
      });
    });
  });

  describe('hostile input', () => {
    it('marks circular references, but repeats shared ones', () => {
      const shared = { id: 1 };
      const loop: Record<string, unknown> = { shared, again: shared };
      loop.self = loop;
      expect(snap(loop)).toEqual({ shared: { id: 1 }, again: { id: 1 }, self: { $taskscope: 'circular' } });
    });

    it('marks throwing getters as unreadable and keeps the other keys', () => {
      const data = { ok: 1, get bad(): number { throw new Error('getter'); } };
      expect(snap(data)).toEqual({ ok: 1, bad: { $taskscope: 'unreadable', reason: 'Error: getter' } });
    });

    it('survives revoked Proxies and Proxies whose traps throw', () => {
      const { proxy, revoke } = Proxy.revocable({ a: 1 }, {});
      revoke();
      expect(snap({ p: proxy })).toEqual({ p: { $taskscope: 'unreadable', reason: expect.stringContaining('revoked') } });
      const throwing = new Proxy({}, { ownKeys() { throw new Error('trap'); } });
      expect(snap(throwing)).toEqual({ $taskscope: 'unreadable', reason: 'Error: trap' });
      const fine = new Proxy({ a: 1 }, {});
      expect(snap(fine)).toEqual({ a: 1 });
    });

    it('survives errors that are not Errors, and thrown Proxies', () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      const data = { get a(): number { throw proxy; }, get b(): number { throw 'text'; } };
      expect(snap(data)).toEqual({
        a: { $taskscope: 'unreadable', reason: expect.any(String) },
        b: { $taskscope: 'unreadable', reason: 'text' },
      });
    });

    it('keeps __proto__, constructor and prototype as ordinary data keys without polluting prototypes', () => {
      const parsed = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
      const result = serialize(parsed);
      expect(JSON.stringify(result.value)).toBe('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
      expect(Object.getPrototypeOf(result.value)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(result.bytes).toBe(JSON.stringify(result.value).length);
    });

    it('cuts 10k-deep nesting at maxDepth without overflowing the stack', () => {
      let deep: unknown = 'bottom';
      for (let i = 0; i < 10_000; i += 1) deep = [deep];
      const result = serialize(deep);
      expect(result.truncated).toBe(true);
      expect(json(deep)).toBe(`${'['.repeat(8)}{"$taskscope":"depth"}${']'.repeat(8)}`);
    });

    it('truncates a 10 MB string to a preview with its full length', () => {
      const result = serialize({ body: 'x'.repeat(10_000_000) });
      expect(result.value).toEqual({ body: { $taskscope: 'truncated', preview: 'x'.repeat(1024), length: 10_000_000 } });
      expect(result.truncated).toBe(true);
    });

    it('keeps the first items of a 100k-element array and counts the rest', () => {
      const result = serialize(Array.from({ length: 100_000 }, (_, i) => i));
      const items = result.value as unknown[];
      expect(items).toHaveLength(51);
      expect(items[49]).toBe(49);
      expect(items[50]).toEqual({ $taskscope: 'more', count: 99_950 });
    });

    it('keeps the first keys of an object with 100k keys and counts the rest under "…"', () => {
      const wide: Record<string, number> = {};
      for (let i = 0; i < 100_000; i += 1) wide[`k${i}`] = i;
      const out = serialize(wide).value as Record<string, unknown>;
      expect(Object.keys(out)).toHaveLength(51);
      expect(out['…']).toEqual({ $taskscope: 'more', count: 99_950 });
    });

    it('bounds the output by maxBytes', () => {
      const small = createSerializer({ limits: { maxBytes: 200 } });
      const result = small({ list: Array.from({ length: 40 }, (_, i) => ({ id: i, text: 'y'.repeat(30) })) });
      expect(result.truncated).toBe(true);
      expect(JSON.stringify(result.value).length).toBeLessThanOrEqual(200 + 64);
    });
  });

  describe('redaction', () => {
    it('redacts secret-looking keys at any depth, whatever their spelling', () => {
      const out = snap({
        password: 'p', user: { apiKey: 'k', api_key: 'k', 'X-Api-Key': 'k', profile: { sessionId: 's' } },
        headers: [{ Authorization: 'Bearer x', Cookie: 'c' }], clientSecret: 's', refresh_token: 't',
        privateKey: 'pk', awsAccessKeyId: 'a', creditCardNumber: '4111', cvv: '123', credentials: {},
      });
      const redacted = { $taskscope: 'redacted' };
      expect(out).toEqual({
        password: redacted, user: { apiKey: redacted, api_key: redacted, 'X-Api-Key': redacted, profile: { sessionId: redacted } },
        headers: [{ Authorization: redacted, Cookie: redacted }], clientSecret: redacted, refresh_token: redacted,
        privateKey: redacted, awsAccessKeyId: redacted, creditCardNumber: redacted, cvv: redacted, credentials: redacted,
      });
    });

    it('leaves innocent keys alone', () => {
      const data = { author: 'Ann', authored: true, to: 'a@b.c', key: 'k', monkey: 1, passport: 'p', session: 's' };
      expect(snap(data)).toEqual(data);
    });

    it('redacts keys that only contain a rule, such as tokenizer (substring rules err on the side of hiding)', () => {
      expect(snap({ tokenizer: 'bpe', maxTokens: 5 })).toEqual({
        tokenizer: { $taskscope: 'redacted' }, maxTokens: { $taskscope: 'redacted' },
      });
    });

    it('replaces the defaults with a given list of strings and RegExps', () => {
      const custom = createSerializer({ redact: ['ssn', /^x-/i] });
      expect(custom.call(null, { password: 'p', SSN: '1', 'X-Trace': 't', trace: 't' }).value).toEqual({
        password: 'p', SSN: { $taskscope: 'redacted' }, 'X-Trace': { $taskscope: 'redacted' }, trace: 't',
      });
    });

    it('is turned off by redact: false', () => {
      expect(createSerializer({ redact: false })({ password: 'p' }).value).toEqual({ password: 'p' });
    });

    it('covers the documented default keys', () => {
      expect(DEFAULT_REDACT_KEYS).toEqual(expect.arrayContaining(['password', 'secret', 'token', 'authorization', 'cookie', 'api key']));
    });
  });

  describe('options', () => {
    it('applies given limits over the defaults', () => {
      const tight = createSerializer({ limits: { maxStringLength: 3, maxArrayLength: 1, maxKeys: 1, maxDepth: 1 } });
      expect(tight('abcdef').value).toEqual({ $taskscope: 'truncated', preview: 'abc', length: 6 });
      expect(tight([1, 2]).value).toEqual([1, { $taskscope: 'more', count: 1 }]);
      expect(tight({ a: 1, b: 2 }).value).toEqual({ a: 1, '…': { $taskscope: 'more', count: 1 } });
      expect(tight({ a: {} }).value).toEqual({ a: { $taskscope: 'depth' } });
      expect(DEFAULT_SERIALIZE_LIMITS).toEqual({ maxDepth: 8, maxStringLength: 1024, maxArrayLength: 50, maxKeys: 50, maxBytes: 16384 });
    });

    it('rejects bad options with a precise TypeError', () => {
      expect(() => createSerializer({ limits: { maxDepth: 0 } })).toThrow('Expected limits.maxDepth to be an integer >= 1, got 0');
      expect(() => createSerializer({ limits: { maxDepth: 5000 } })).toThrow('Expected limits.maxDepth to be an integer from 1 to 1000, got 5000');
      expect(() => createSerializer({ limits: { maxBytes: -1 } })).toThrow('Expected limits.maxBytes to be an integer >= 0, got -1');
      expect(() => createSerializer({ redact: 'password' as never })).toThrow('Expected redact to be false or an array of strings and RegExps, got "password"');
      expect(() => createSerializer({ redact: ['ok', 3 as never] })).toThrow('Expected redact[1] to be a string with a letter or digit, or a RegExp, got 3');
      expect(() => createSerializer('x' as never)).toThrow(TypeError);
    });
  });
});

describe('createSerializer() properties', () => {
  const anything = fc.anything({
    maxDepth: 6,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
    key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toJSON', 'password')),
  });

  // Hostile values are generated as builders: fast-check itself would trip over a revoked Proxy.
  type Build = () => unknown;
  const hostile = fc.letrec<{ value: Build; throwingGetter: Build; proxy: Build; circular: Build }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      anything.map((value) => () => value),
      tie('throwingGetter'),
      tie('proxy'),
      tie('circular'),
      fc.constantFrom<Build>(() => Symbol('s'), () => () => 1, () => new Date(NaN), () => new Error('e'), () => Buffer.from('buf')),
      fc.string({ minLength: 0, maxLength: 3000 }).map((text) => () => text),
      fc.array(tie('value'), { maxLength: 5 }).map((items) => () => items.map((build) => build())),
      fc.dictionary(fc.string(), tie('value'), { maxKeys: 5 }).map((entries) => () => {
        const out: Record<string, unknown> = {};
        for (const [key, build] of Object.entries(entries)) Object.defineProperty(out, key, { value: build(), enumerable: true });
        return out;
      }),
    ),
    throwingGetter: fc.string().map((key) => () => Object.defineProperty({}, key, { enumerable: true, get() { throw new Error('g'); } })),
    proxy: fc.constantFrom('revoked', 'ownKeys', 'get', 'getPrototypeOf', 'fine').map((kind) => () => {
      if (kind === 'revoked') {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      }
      if (kind === 'fine') return new Proxy({ a: [1] }, {});
      return new Proxy({ a: 1 }, { [kind]: () => { throw new Error(kind); } });
    }),
    circular: tie('value').map((build) => () => {
      const box: Record<string, unknown> = { inner: build() };
      box.self = box;
      return box;
    }),
  })).value;

  const limitsArb = fc.record({
    maxDepth: fc.integer({ min: 1, max: 10 }),
    maxStringLength: fc.integer({ min: 0, max: 2000 }),
    maxArrayLength: fc.integer({ min: 0, max: 60 }),
    maxKeys: fc.integer({ min: 0, max: 60 }),
    maxBytes: fc.integer({ min: 0, max: 4000 }),
  });

  it('never throws, returns JSON-stringifiable output within maxBytes, and reports its size', () => {
    fc.assert(
      fc.property(hostile, limitsArb, (build, limits) => {
        const result = createSerializer({ limits })(build());
        const text = JSON.stringify(result.value);
        expect(typeof text).toBe('string');
        expect(text.length).toBeLessThanOrEqual(limits.maxBytes + 128);
        expect(result.bytes).toBe(text.length);
      }),
      { numRuns: 500 },
    );
  });

  it('never leaks the value of a redacted key', () => {
    const secretKey = fc.constantFrom('password', 'apiKey', 'X-Auth-Token', 'client_secret', 'Cookie');
    const secretValue = fc.uuid().map((id) => `s3cr3t-${id}`);
    const withSecret = fc.tuple(anything, secretKey, secretValue, fc.array(fc.string(), { maxLength: 3 })).map(([base, key, secret, path]) => {
      let holder: Record<string, unknown> = { [key]: secret };
      for (const step of path) holder = { [step]: holder, other: base };
      return { value: holder, secret };
    });
    fc.assert(
      fc.property(withSecret, ({ value, secret }) => {
        expect(json(value)).not.toContain(secret);
        expect(json(new Map([['password', secret]]))).not.toContain(secret);
      }),
      { numRuns: 300 },
    );
  });
});
