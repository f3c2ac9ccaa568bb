import type { ConnectionOptions } from 'bullmq';
import { DEFAULT_PREFIX } from '../protocol.js';
import { DEFAULT_SERIALIZE_LIMITS, type RedactRule, type SerializeLimits } from './serialize.js';
import type { Store } from '../store/store.js';
import { booleanOption, integerOption, invalid, objectOption, stringOption } from './validate.js';
import { resolveWsOptions, type ResolvedWsOptions, type WsOptions } from '../ws/options.js';

/** Every bound Taskscope applies. Each one shows in the data when it bites. */
export interface TaskscopeLimits extends SerializeLimits {
  /**
   * Tasks kept per request; more are counted in `summary` and `droppedTasks` but not kept.
   * @defaultValue 1000
   */
  maxTasksPerRequest: number;
  /**
   * Stack frames captured below each enqueue call; the application frames among them are kept
   * (dependencies' and Node's are left out). Each frame costs about 1 µs per enqueue.
   * @defaultValue 6
   */
  maxStackFrames: number;
  /**
   * How long after the response jobs enqueued in the request's async context are still
   * recorded (as `late`).
   * @defaultValue 30000
   */
  lateGraceMs: number;
  // --- job runs (issue 11) ---
  /**
   * How deep the lineage request → job → follow-up job → … is followed; deeper follow-ups are
   * counted in their parent run's `enqueued.beyondDepth` and not recorded.
   * @defaultValue 8
   */
  maxLineageDepth: number;
  /**
   * Attempts recorded per job; later ones are counted in `droppedRuns`.
   * @defaultValue 25
   */
  maxRunsPerJob: number;
  /**
   * `job.log` lines kept per attempt (the newest); each is cut at 1,000 characters.
   * @defaultValue 50
   */
  maxLogLines: number;
  /**
   * `job.updateProgress` values kept per attempt (the newest).
   * @defaultValue 50
   */
  maxProgressUpdates: number;
  // --- end job runs ---
}

export const DEFAULT_LIMITS: TaskscopeLimits = {
  ...DEFAULT_SERIALIZE_LIMITS,
  maxTasksPerRequest: 1000,
  maxStackFrames: 6,
  lateGraceMs: 30_000,
  maxLineageDepth: 8,
  maxRunsPerJob: 25,
  maxLogLines: 50,
  maxProgressUpdates: 50,
};

/** Options of `taskscope()` (Koa) and `createTaskscope()`. All optional. */
export interface TaskscopeOptions {
  /**
   * Record requests and serve the debug API.
   * @defaultValue `true` unless `NODE_ENV` is `production` (in any case, ignoring spaces)
   */
  enabled?: boolean;
  /**
   * Where the debug API is mounted.
   * @defaultValue '/__taskscope'
   */
  prefix?: string;
  /**
   * Where records live. Use a `RedisStore` when the app runs in more than one process.
   * @defaultValue a new `MemoryStore()`
   */
  store?: Store;
  /**
   * Capture the line of code that enqueued each job.
   * @defaultValue true
   */
  captureStacks?: boolean;
  /**
   * Jobs of one queue and name enqueued one by one from one line, at least this many times,
   * are flagged as N+1.
   * @defaultValue 3
   */
  nPlusOneThreshold?: number;
  /**
   * Keys whose values are replaced by a redaction mark in job data; `false` turns it off.
   * @defaultValue DEFAULT_REDACT_KEYS (password, secret, token, authorization, cookie, api key, …)
   */
  redact?: readonly RedactRule[] | false;
  /** Bounds on what is kept; see {@link TaskscopeLimits}. */
  limits?: Partial<TaskscopeLimits>;
  /**
   * Host header values the debug API answers to (port ignored); `'*'` allows any.
   * Guards against DNS rebinding.
   * @defaultValue ['localhost', '127.0.0.1', '[::1]', '*.localhost']
   */
  allowedHosts?: readonly string[];
  /**
   * Answer debug-API requests from non-loopback clients.
   * @defaultValue false
   */
  allowRemote?: boolean;
  /**
   * When set, the debug API requires this value in the `X-Taskscope-Token` header.
   * @defaultValue undefined
   */
  token?: string;
  /** BullMQ settings. */
  bullmq?: {
    /**
     * Instrument the app's `bullmq` automatically.
     * @defaultValue true
     */
    instrument?: boolean;
    /** Redis connection for job status of queues this process has no Queue instance of. */
    connection?: ConnectionOptions;
    /**
     * Record what each job of a tracked request did, in BullMQ Workers of this process (issue 11).
     * @defaultValue true
     */
    runs?: boolean;
  };
  /**
   * Directory stack frame paths are shown relative to.
   * @defaultValue process.cwd()
   */
  root?: string;
  /** WebSocket (`ws`) recording: see {@link WsOptions}. */
  ws?: WsOptions;
}

export interface ResolvedOptions {
  enabled: boolean;
  prefix: string;
  store: Store | undefined;
  captureStacks: boolean;
  nPlusOneThreshold: number;
  redact: readonly RedactRule[] | false | undefined;
  limits: TaskscopeLimits;
  allowedHosts: readonly string[];
  allowRemote: boolean;
  token: string | undefined;
  bullmq: { instrument: boolean; connection: ConnectionOptions | undefined; runs: boolean };
  root: string;
  ws: ResolvedWsOptions;
}

const DEFAULT_ALLOWED_HOSTS = ['localhost', '127.0.0.1', '[::1]', '*.localhost'] as const;
const KNOWN_OPTIONS = new Set([
  'enabled', 'prefix', 'store', 'captureStacks', 'nPlusOneThreshold', 'redact', 'limits',
  'allowedHosts', 'allowRemote', 'token', 'bullmq', 'root', 'ws',
]);

/**
 * Applies defaults and checks every option, throwing a precise TypeError for a bad one.
 *
 * @example
 * ```ts
 * resolveOptions({ nPlusOneThreshold: 1 });
 * // TypeError: Expected nPlusOneThreshold to be an integer >= 2, got 1
 * ```
 */
export function resolveOptions(input: TaskscopeOptions | undefined): ResolvedOptions {
  const options = objectOption<TaskscopeOptions>('options', input);
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) invalid(`options.${key}`, `one of ${[...KNOWN_OPTIONS].join(', ')}`, key);
  }
  const prefix = stringOption('prefix', options.prefix, DEFAULT_PREFIX);
  if (!/^\/[\w\-./~]*[^/]$/.test(prefix) || prefix.includes('..')) {
    invalid('prefix', 'a path like "/__taskscope" (leading slash, no trailing slash)', prefix);
  }
  const store = options.store;
  if (store !== undefined && (typeof store !== 'object' || store === null || typeof store.save !== 'function'
    || typeof store.get !== 'function' || typeof store.list !== 'function')) {
    invalid('store', 'a Store (an object with save, get and list methods)', store);
  }
  const redact = options.redact;
  if (redact !== undefined && redact !== false
    && (!Array.isArray(redact) || !redact.every((r) => typeof r === 'string' || r instanceof RegExp))) {
    invalid('redact', 'false or an array of strings and RegExps', redact);
  }
  const token = options.token === undefined ? undefined : stringOption('token', options.token, '');
  const bullmq = objectOption<NonNullable<TaskscopeOptions['bullmq']>>('bullmq', options.bullmq);
  const root = stringOption('root', options.root, process.cwd());
  return {
    enabled: booleanOption('enabled', options.enabled, !isProduction(process.env.NODE_ENV)),
    prefix,
    store,
    captureStacks: booleanOption('captureStacks', options.captureStacks, true),
    nPlusOneThreshold: integerOption('nPlusOneThreshold', options.nPlusOneThreshold, 3, 2),
    redact,
    limits: resolveLimits(options.limits),
    allowedHosts: resolveAllowedHosts(options.allowedHosts),
    allowRemote: booleanOption('allowRemote', options.allowRemote, false),
    token,
    bullmq: {
      instrument: booleanOption('bullmq.instrument', bullmq.instrument, true),
      connection: bullmq.connection,
      runs: booleanOption('bullmq.runs', bullmq.runs, true),
    },
    root,
    ws: resolveWsOptions(options.ws),
  };
}

function resolveLimits(input: unknown): TaskscopeLimits {
  const given = objectOption<TaskscopeLimits>('limits', input);
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(given) as Array<keyof TaskscopeLimits>) {
    if (!(key in DEFAULT_LIMITS)) invalid(`limits.${key}`, `one of ${Object.keys(DEFAULT_LIMITS).join(', ')}`, key);
    const min = key === 'maxDepth' || key === 'maxTasksPerRequest' || key === 'maxLineageDepth' || key === 'maxRunsPerJob' ? 1 : 0;
    limits[key] = integerOption(`limits.${key}`, given[key], DEFAULT_LIMITS[key], min);
  }
  return limits;
}

function resolveAllowedHosts(input: unknown): readonly string[] {
  if (input === undefined) return DEFAULT_ALLOWED_HOSTS;
  if (!Array.isArray(input) || input.length === 0 || !input.every((h) => typeof h === 'string' && h.length > 0)) {
    invalid('allowedHosts', 'a non-empty array of host names', input);
  }
  return input.map((host: string) => host.toLowerCase());
}

/** `NODE_ENV=Production`, ` production ` and `PRODUCTION` are production too: off by default there. */
function isProduction(nodeEnv: string | undefined): boolean {
  return nodeEnv?.trim().toLowerCase() === 'production';
}
