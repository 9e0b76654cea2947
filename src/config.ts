/**
 * The service's configuration, read from the environment once at start. Each variable is parsed strictly;
 * a bad value stops the start with a message naming the variable and what it accepts, rather than being
 * coerced into something the operator did not mean (Number(" 30e2 ") is 3000). The defaults are defined
 * here and nowhere else: DEFAULT_CONFIG is what an empty environment gives.
 */
import { isIP } from 'node:net';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The batch kernels' instruction-set level: the best the host can run, or one named: x86-64's or arm64's
 * (src/jit/targets.ts lists them; test/config.test.ts holds the two lists equal, since the configuration
 * loads nothing of the JIT). A level of the other architecture stops the start when the JIT resolves it.
 */
export const JIT_ISAS = ['auto', 'avx2', 'sse2', 'scalar', 'neon'] as const;
export type JitIsa = (typeof JIT_ISAS)[number];

export interface Config {
  port: number;
  host: string;
  logLevel: LogLevel;
  jitMaxAdders: number;
  metrics: boolean;
  jitBlinding: boolean;
  jitIsa: JitIsa;
  maxEventLoopDelayMs: number;
  compilesPerMinute: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  connectionTimeoutMs: number;
  shutdownDrainMs: number;
  binaryBatchLimitBytes: number;
  /** The most connections held at once, or 'auto': from the memory and file limits (connection-budget.ts). */
  maxConnections: number | 'auto';
  /** The reverse proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES): none unless configured. */
  trustedProxies: readonly string[];
}

const HOUR_MS = 3_600_000;

/**
 * An integer variable's range, once: what it accepts is said from it (`minMeans`: what its least value
 * means, as "0 (no quota)"; `also`: a further condition), and loadConfig checks against it.
 */
function integerRange(min: number, max: number, { minMeans = '', also = '' } = {}) {
  return {
    min,
    max,
    accepts: `an integer from ${min}${minMeans === '' ? '' : ` (${minMeans})`} to ${max}${also}`,
  };
}

/** The variables, their defaults and what they accept: the README's configuration table says the same. */
export const CONFIG_VARIABLES = {
  PORT: { default: '3000', ...integerRange(0, 65535) },
  HOST: { default: '127.0.0.1', accepts: 'an IPv4 or IPv6 address, or a host name' },
  LOG_LEVEL: { default: 'info', accepts: `one of ${LOG_LEVELS.join(', ')}` },
  JIT_MAX_ADDERS: { default: '4096', ...integerRange(1, 1_048_576) },
  METRICS: { default: 'on', accepts: 'on or off' },
  JIT_BLINDING: { default: 'on', accepts: 'on or off' },
  JIT_ISA: { default: 'auto', accepts: `one of ${JIT_ISAS.join(', ')}` },
  MAX_EVENT_LOOP_DELAY_MS: { default: '500', ...integerRange(0, 60_000, { minMeans: 'never shed load' }) },
  COMPILE_RATE_LIMIT: { default: '0', ...integerRange(0, 1_000_000_000, { minMeans: 'no quota' }) },
  REQUEST_TIMEOUT_MS: { default: '30000', ...integerRange(1000, HOUR_MS) },
  HEADERS_TIMEOUT_MS: {
    default: '10000',
    ...integerRange(1000, HOUR_MS, { also: ', at most REQUEST_TIMEOUT_MS' }),
  },
  KEEP_ALIVE_TIMEOUT_MS: { default: '72000', ...integerRange(1000, HOUR_MS) },
  CONNECTION_TIMEOUT_MS: { default: '120000', ...integerRange(1000, HOUR_MS) },
  SHUTDOWN_DRAIN_MS: { default: '0', ...integerRange(0, 60_000) },
  BINARY_BATCH_LIMIT_BYTES: { default: '16777216', ...integerRange(4, 2 ** 30) },
  MAX_CONNECTIONS: {
    default: 'auto',
    ...integerRange(1, 1_048_576),
    accepts: `auto (from the memory and open-file limits) or ${integerRange(1, 1_048_576).accepts}`,
  },
  TRUSTED_PROXIES: {
    default: 'off',
    accepts: 'off, or IPv4 and IPv6 addresses and CIDR ranges (10.0.0.0/8) separated by commas',
  },
} as const;

/** The variables that hold an integer, whose range is given once above. */
type IntegerVariable = {
  [Name in keyof typeof CONFIG_VARIABLES]: (typeof CONFIG_VARIABLES)[Name] extends { min: number }
    ? Name
    : never;
}[keyof typeof CONFIG_VARIABLES];

export type VariableName = keyof typeof CONFIG_VARIABLES;

export class ConfigError extends Error {
  constructor(
    readonly variable: VariableName,
    value: string,
    /** Why the value cannot be used, when it is well-formed but does not fit (the default: what it accepts). */
    reason = `${variable} must be ${CONFIG_VARIABLES[variable].accepts}`,
  ) {
    super(`${variable}=${JSON.stringify(value)} is not valid: ${reason}`);
    this.name = 'ConfigError';
  }
}

function rawValue(env: NodeJS.ProcessEnv, name: VariableName): string {
  return env[name] ?? CONFIG_VARIABLES[name].default;
}

function integer(env: NodeJS.ProcessEnv, name: IntegerVariable): number {
  const { min, max } = CONFIG_VARIABLES[name];
  const text = rawValue(env, name);
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) throw new ConfigError(name, text);
  return value;
}

function onOff(env: NodeJS.ProcessEnv, name: VariableName): boolean {
  const text = rawValue(env, name);
  if (text !== 'on' && text !== 'off') throw new ConfigError(name, text);
  return text === 'on';
}

const hostName =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/**
 * A host name whose last label is all digits is none (RFC 3696, 2: no top-level domain is): `999.1.1.1`
 * is a mistyped address, not a name to look up.
 */
function isHostName(text: string): boolean {
  return hostName.test(text) && !/(^|\.)[0-9]+$/.test(text);
}

/**
 * TRUSTED_PROXIES: `off`, or addresses and CIDR ranges separated by commas (spaces around them allowed).
 * Fastify's trustProxy (proxy-addr) takes the list as it is; each entry is checked here so that a typo
 * stops the start rather than leaving every client sharing the proxy's address, or worse.
 */
function trustedProxies(env: NodeJS.ProcessEnv): string[] {
  const text = rawValue(env, 'TRUSTED_PROXIES');
  if (text === 'off') return [];
  const entries = text.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixFits = prefix === undefined || (/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixFits || rest.length > 0) throw new ConfigError('TRUSTED_PROXIES', text);
  }
  return entries;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = rawValue(env, 'HOST');
  if (isIP(host) === 0 && !isHostName(host)) throw new ConfigError('HOST', host);
  const logLevel = rawValue(env, 'LOG_LEVEL');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError('LOG_LEVEL', logLevel);
  const jitIsa = rawValue(env, 'JIT_ISA');
  if (!(JIT_ISAS as readonly string[]).includes(jitIsa)) throw new ConfigError('JIT_ISA', jitIsa);
  const requestTimeoutMs = integer(env, 'REQUEST_TIMEOUT_MS');
  const headersTimeoutMs = integer(env, 'HEADERS_TIMEOUT_MS');
  // Node refuses a headers timeout longer than the request timeout: the head is part of the request.
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError('HEADERS_TIMEOUT_MS', rawValue(env, 'HEADERS_TIMEOUT_MS'));
  }
  return {
    port: integer(env, 'PORT'),
    host,
    logLevel: logLevel as LogLevel,
    jitMaxAdders: integer(env, 'JIT_MAX_ADDERS'),
    metrics: onOff(env, 'METRICS'),
    jitBlinding: onOff(env, 'JIT_BLINDING'),
    jitIsa: jitIsa as JitIsa,
    maxEventLoopDelayMs: integer(env, 'MAX_EVENT_LOOP_DELAY_MS'),
    compilesPerMinute: integer(env, 'COMPILE_RATE_LIMIT'),
    requestTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS'),
    connectionTimeoutMs: integer(env, 'CONNECTION_TIMEOUT_MS'),
    shutdownDrainMs: integer(env, 'SHUTDOWN_DRAIN_MS'),
    binaryBatchLimitBytes: integer(env, 'BINARY_BATCH_LIMIT_BYTES'),
    maxConnections: rawValue(env, 'MAX_CONNECTIONS') === 'auto' ? 'auto' : integer(env, 'MAX_CONNECTIONS'),
    trustedProxies: trustedProxies(env),
  };
}

/** What an empty environment gives: every default, parsed. */
export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze(loadConfig({}));
