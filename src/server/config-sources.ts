import { readFile } from 'node:fs/promises';
import type { RawValue } from './config-options.ts';
import {
  CONFIG_OPTIONS,
  type ConfigEntry,
  configError,
  type FerryConfig,
  NON_CONFIG_ENV,
  optionByEnv,
  optionByKey,
  resolveConfig,
  unknownKeyError,
} from './config.ts';

/**
 * Where config values come from: command-line flags, `FERRY_*` environment variables and a
 * config file (JSON, or `key=value` properties). `loadConfig` applies the precedence
 * flags > env > file > defaults.
 */

const ENV_PREFIX = 'FERRY_';

/** `FERRY_*` variables as entries. An unknown `FERRY_*` name is an error (a typo would otherwise
 *  be silently ignored); empty values count as unset. */
export function envEntries(env: Readonly<Record<string, string | undefined>>): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || NON_CONFIG_ENV.has(name) || value === undefined || value === '') continue;
    const option = optionByEnv(name);
    if (!option) {
      throw unknownKeyError(name, `env ${name}`, [...CONFIG_OPTIONS.flatMap((o) => (o.env === null ? [] : [o.env])), ...NON_CONFIG_ENV]);
    }
    entries.push({ key: option.key, raw: value, origin: `env ${name}` });
  }
  return entries;
}

/** Commander's name for each flag: `--kafka-max-connections` -> `kafkaMaxConnections`. */
const BY_FLAG_NAME = new Map(
  CONFIG_OPTIONS.flatMap((o) =>
    o.flag === null ? [] : [[o.flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), o] as const],
  ),
);

/** Parsed command-line options (commander's camelCase names) as entries; only options that name
 *  a config field and were given count. */
export function flagEntries(options: Readonly<Record<string, unknown>>): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  for (const [name, value] of Object.entries(options)) {
    const option = BY_FLAG_NAME.get(name);
    if (!option || value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    entries.push({ key: option.key, raw: value, origin: `flag ${option.flag}` });
  }
  return entries;
}

/**
 * Reads a config file. Files ending in `.json` are JSON, nested by section
 * (`{"nativePort": 7420, "storage": {"flushPolicy": "always"}}`); any other file is a properties
 * file: one `key=value` per line with dotted keys (`storage.flushPolicy=always`), `#` comments.
 */
export async function readConfigFile(path: string): Promise<ConfigEntry[]> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw configError(`cannot read config file ${path}: ${reason}`, { key: 'config', origin: `file ${path}` });
  }
  return path.endsWith('.json') ? parseJsonConfig(content, path) : parsePropertiesConfig(content, path);
}

export function parseJsonConfig(content: string, path: string): ConfigEntry[] {
  const origin = `file ${path}`;
  let document: unknown;
  try {
    document = JSON.parse(content);
  } catch (error) {
    throw configError(`config file ${path} is not valid JSON: ${(error as Error).message}`, { key: 'config', origin });
  }
  if (!isPlainObject(document)) throw configError(`config file ${path} must hold a JSON object`, { key: 'config', origin });
  const entries: ConfigEntry[] = [];
  flatten(document, '', origin, entries);
  return entries;
}

function flatten(object: Record<string, unknown>, prefix: string, origin: string, out: ConfigEntry[]): void {
  for (const [name, value] of Object.entries(object)) {
    const key = prefix + name;
    if (isPlainObject(value) && prefix === '') {
      flatten(value, `${key}.`, origin, out);
    } else if (typeof value === 'object' && value !== null && optionByKey(key)?.spec.acceptsJson) {
      // Structured options (alerts.rules, alerts.notifiers) are parsed and checked by their spec.
      out.push({ key, raw: JSON.stringify(value), origin });
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out.push({ key, raw: value, origin });
    } else {
      throw configError(`invalid value ${JSON.stringify(value)} for ${key} (${origin}): expected a string, number or boolean`, {
        key,
        origin,
      });
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parsePropertiesConfig(content: string, path: string): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  const lines = content.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const origin = `file ${path} line ${i + 1}`;
    const equals = line.indexOf('=');
    if (equals <= 0)
      throw configError(`config file ${path} line ${i + 1}: expected key=value, got ${JSON.stringify(line)}`, { key: 'config', origin });
    entries.push({ key: line.slice(0, equals).trim(), raw: line.slice(equals + 1).trim(), origin });
  }
  return entries;
}

export interface LoadConfigOptions {
  /** Commander's parsed options for `ferry start` (camelCase). */
  flags?: Readonly<Record<string, unknown>>;
  env?: Readonly<Record<string, string | undefined>>;
  /** `--config FILE`; falls back to `FERRY_CONFIG` in `env`. */
  configPath?: string;
}

/** Every source read and merged: flags > env > file > defaults. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<FerryConfig> {
  const env = options.env ?? {};
  const configPath = options.configPath ?? (env.FERRY_CONFIG || undefined);
  return resolveConfig({
    flags: flagEntries(options.flags ?? {}),
    env: envEntries(env),
    file: configPath === undefined ? [] : await readConfigFile(configPath),
  });
}

export type { RawValue };
