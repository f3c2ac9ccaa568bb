import { afterEach, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../server-lib/src/core/options.js';

const env = process.env.NODE_ENV;
afterEach(() => { process.env.NODE_ENV = env; });

describe('taskscope(options)', () => {
  it('has secure defaults', () => {
    process.env.NODE_ENV = 'development';
    expect(resolveOptions(undefined)).toMatchObject({
      enabled: true, prefix: '/__taskscope', captureStacks: true, nPlusOneThreshold: 3,
      allowRemote: false, token: undefined, allowedHosts: ['localhost', '127.0.0.1', '[::1]', '*.localhost'],
      limits: { maxTasksPerRequest: 1000, maxStackFrames: 6, lateGraceMs: 30_000 },
    });
  });

  it('is off when NODE_ENV is production, unless enabled is passed', () => {
    process.env.NODE_ENV = 'production';
    expect(resolveOptions({}).enabled).toBe(false);
    expect(resolveOptions({ enabled: true }).enabled).toBe(true);
  });

  it.each(['Production', 'PRODUCTION', ' production '])('counts NODE_ENV=%j as production too', (nodeEnv) => {
    process.env.NODE_ENV = nodeEnv;
    expect(resolveOptions({}).enabled).toBe(false);
  });

  it.each([
    [{ nPlusOneThreshold: -1 }, 'Expected nPlusOneThreshold to be an integer >= 2, got -1'],
    [{ nPlusOneThreshold: 2.5 }, 'Expected nPlusOneThreshold to be an integer >= 2, got 2.5'],
    [{ enabled: 'yes' }, 'Expected enabled to be a boolean, got "yes"'],
    [{ prefix: 'taskscope' }, 'Expected prefix to be a path like "/__taskscope" (leading slash, no trailing slash), got "taskscope"'],
    [{ prefix: '/x/' }, 'Expected prefix to be a path like "/__taskscope" (leading slash, no trailing slash), got "/x/"'],
    [{ limits: { maxStackFrames: -3 } }, 'Expected limits.maxStackFrames to be an integer >= 0, got -3'],
    [{ limits: { maxTasks: 5 } }, /^Expected limits\.maxTasks to be one of maxDepth, .*maxTasksPerRequest.*, got "maxTasks"$/],
    [{ allowedHosts: 'localhost' }, 'Expected allowedHosts to be a non-empty array of host names, got "localhost"'],
    [{ token: '' }, 'Expected token to be a non-empty string, got ""'],
    [{ store: {} }, 'Expected store to be a Store (an object with save, get and list methods), got an object'],
    [{ redact: 'password' }, 'Expected redact to be false or an array of strings and RegExps, got "password"'],
    [{ captureStack: false }, /^Expected options\.captureStack to be one of enabled, prefix, store, captureStacks, .*, got "captureStack"$/],
  ])('rejects %j with a precise TypeError', (options, message) => {
    expect(() => resolveOptions(options as never)).toThrow(TypeError);
    expect(() => resolveOptions(options as never)).toThrow(message);
  });
});
