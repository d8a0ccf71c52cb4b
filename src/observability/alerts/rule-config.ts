import { ErrorCode, FerryError } from '../../common/errors.ts';
import { parseDuration } from './duration.ts';
import type { Condition } from './expression.ts';
import { parseCondition } from './expression-parser.ts';
import { checkTemplate } from './template.ts';

/**
 * The `alerts.rules` and `alerts.notifiers` sections of the config file: their shapes, and the
 * checks that run once at config load so a bad rule stops `ferry start` with a message naming the
 * rule and the field rather than failing silently at 3 a.m.
 */

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface AlertRuleConfig {
  name: string;
  /** `<promql subset> <op> <number>`, e.g. `rate(ferry_subscription_dead_lettered_total[5m]) > 0`. */
  expr: string;
  /** How long the condition must hold before the alert fires (`5m`); default `0s`. */
  for?: string;
  severity?: Severity;
  labels?: Record<string, string>;
  /** Template: `{{ $labels.topic }}`, `{{ $value }}`. */
  description?: string;
  summary?: string;
  /** Names of `alerts.notifiers` entries; default: `alerts.defaultNotifiers`. */
  notifiers?: string[];
  /** Overrides `alerts.repeatIntervalMs` for this rule (`1h`). */
  repeatInterval?: string;
}

/** A rule checked and parsed, ready to evaluate. */
export interface AlertRule {
  name: string;
  expr: string;
  condition: Condition;
  forMs: number;
  severity: Severity;
  labels: Record<string, string>;
  description: string;
  summary: string;
  notifiers: string[] | null;
  repeatIntervalMs: number | null;
  isDefault: boolean;
}

export interface RetryConfig {
  /** Attempts after the first; default 5. */
  maxRetries?: number;
  /** First back-off; doubles per attempt up to maxBackoffMs. Default 500. */
  initialBackoffMs?: number;
  /** Default 30000. */
  maxBackoffMs?: number;
}

export interface WebhookNotifierConfig extends RetryConfig {
  type: 'webhook';
  url: string;
  /** `ferry` (default): Ferry's JSON; `alertmanager`: Alertmanager's webhook payload (version 4). */
  format?: 'ferry' | 'alertmanager';
  headers?: Record<string, string>;
  /** Per attempt; default 10000. */
  timeoutMs?: number;
}

export interface EmailNotifierConfig extends RetryConfig {
  type: 'email';
  host: string;
  port?: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean;
  user?: string;
  password?: string;
  from: string;
  to: string[];
  timeoutMs?: number;
}

export interface CommandNotifierConfig {
  type: 'command';
  /** Executable path; run without a shell. */
  command: string;
  args?: string[];
  /** The child is killed after this long; default 10000. */
  timeoutMs?: number;
}

export type NotifierConfig = WebhookNotifierConfig | EmailNotifierConfig | CommandNotifierConfig;

const NAME = /^[a-zA-Z_][a-zA-Z0-9_.-]{0,127}$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function invalid(where: string, message: string): FerryError {
  return new FerryError(ErrorCode.INVALID_CONFIG, `${where}: ${message}`, { key: where });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function only(where: string, object: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(object))
    if (!allowed.includes(key)) throw invalid(where, `unknown field ${key} (known: ${allowed.join(', ')})`);
}

function optionalString(where: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(where, 'expected a string');
  return value;
}

function requiredString(where: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(where, 'expected a non-empty string');
  return value;
}

function optionalInteger(where: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw invalid(where, `expected an integer >= ${min}`);
  return value;
}

function stringMap(where: string, value: unknown, checkName?: RegExp): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalid(where, 'expected an object of strings');
  for (const [name, text] of Object.entries(value)) {
    if (typeof text !== 'string') throw invalid(`${where}.${name}`, 'expected a string');
    if (checkName && !checkName.test(name)) throw invalid(`${where}.${name}`, `bad label name (expected ${checkName.source})`);
  }
  return value as Record<string, string>;
}

function stringList(where: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === ''))
    throw invalid(where, 'expected a list of non-empty strings');
  return value as string[];
}

function duration(where: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || parseDuration(value) === undefined) throw invalid(where, 'expected a duration such as 30s, 5m or 1h');
  return value;
}

const RULE_FIELDS = ['name', 'expr', 'for', 'severity', 'labels', 'description', 'summary', 'notifiers', 'repeatInterval'];

/** Checks `alerts.rules` (a JSON array) and returns it typed; throws INVALID_CONFIG naming the rule and field. */
export function checkRulesConfig(value: unknown, where = 'alerts.rules'): AlertRuleConfig[] {
  if (!Array.isArray(value)) throw invalid(where, 'expected a list of rules');
  const names = new Set<string>();
  return value.map((raw, index) => {
    const at = `${where}[${index}]`;
    if (!isObject(raw)) throw invalid(at, 'expected an object');
    only(at, raw, RULE_FIELDS);
    const name = requiredString(`${at}.name`, raw.name);
    if (!NAME.test(name)) throw invalid(`${at}.name`, `bad rule name ${JSON.stringify(name)} (letters, digits, _ . -)`);
    if (names.has(name)) throw invalid(`${at}.name`, `rule ${name} is defined twice`);
    names.add(name);
    const rule: AlertRuleConfig = { name, expr: requiredString(`${at}.expr`, raw.expr) };
    const forText = duration(`${at}.for`, raw.for);
    if (forText !== undefined) rule.for = forText;
    if (raw.severity !== undefined) {
      if (!SEVERITIES.includes(raw.severity as Severity)) throw invalid(`${at}.severity`, `expected one of ${SEVERITIES.join(', ')}`);
      rule.severity = raw.severity as Severity;
    }
    const labels = stringMap(`${at}.labels`, raw.labels, LABEL_NAME);
    if (labels) rule.labels = labels;
    const description = optionalString(`${at}.description`, raw.description);
    if (description !== undefined) rule.description = description;
    const summary = optionalString(`${at}.summary`, raw.summary);
    if (summary !== undefined) rule.summary = summary;
    const notifiers = stringList(`${at}.notifiers`, raw.notifiers);
    if (notifiers) rule.notifiers = notifiers;
    const repeat = duration(`${at}.repeatInterval`, raw.repeatInterval);
    if (repeat !== undefined) rule.repeatInterval = repeat;
    compileRule(rule, false, at);
    return rule;
  });
}

/** Parses a rule's expression and templates; `where` prefixes every error. */
export function compileRule(config: AlertRuleConfig, isDefault: boolean, where = `rule ${config.name}`): AlertRule {
  let condition: Condition;
  try {
    condition = parseCondition(config.expr);
  } catch (error) {
    throw invalid(`${where}.expr`, (error as Error).message);
  }
  const description = config.description ?? '';
  const summary = config.summary ?? '';
  checkTemplate(description, `${where}.description`);
  checkTemplate(summary, `${where}.summary`);
  return {
    name: config.name,
    expr: config.expr,
    condition,
    forMs: config.for === undefined ? 0 : parseDuration(config.for)!,
    severity: config.severity ?? 'warning',
    labels: config.labels ?? {},
    description,
    summary,
    notifiers: config.notifiers ?? null,
    repeatIntervalMs: config.repeatInterval === undefined ? null : parseDuration(config.repeatInterval)!,
    isDefault,
  };
}

const RETRY_FIELDS = ['maxRetries', 'initialBackoffMs', 'maxBackoffMs'];
const FIELDS_BY_TYPE: Readonly<Record<NotifierConfig['type'], readonly string[]>> = {
  webhook: ['type', 'url', 'format', 'headers', 'timeoutMs', ...RETRY_FIELDS],
  email: ['type', 'host', 'port', 'secure', 'user', 'password', 'from', 'to', 'timeoutMs', ...RETRY_FIELDS],
  command: ['type', 'command', 'args', 'timeoutMs'],
};

/** Checks `alerts.notifiers` (a JSON object: name -> notifier) and returns it typed. */
export function checkNotifiersConfig(value: unknown, where = 'alerts.notifiers'): Record<string, NotifierConfig> {
  if (!isObject(value)) throw invalid(where, 'expected an object of named notifiers');
  const out: Record<string, NotifierConfig> = {};
  for (const [name, raw] of Object.entries(value)) {
    const at = `${where}.${name}`;
    if (!NAME.test(name)) throw invalid(at, 'bad notifier name (letters, digits, _ . -)');
    if (!isObject(raw)) throw invalid(at, 'expected an object');
    const type = raw.type as NotifierConfig['type'];
    if (!Object.hasOwn(FIELDS_BY_TYPE, type)) throw invalid(`${at}.type`, 'expected webhook, email or command');
    only(at, raw, FIELDS_BY_TYPE[type]);
    optionalInteger(`${at}.timeoutMs`, raw.timeoutMs, 1);
    optionalInteger(`${at}.maxRetries`, raw.maxRetries, 0);
    optionalInteger(`${at}.initialBackoffMs`, raw.initialBackoffMs, 1);
    optionalInteger(`${at}.maxBackoffMs`, raw.maxBackoffMs, 1);
    if (type === 'webhook') {
      const url = requiredString(`${at}.url`, raw.url);
      if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw invalid(`${at}.url`, 'expected an http:// or https:// URL');
      if (raw.format !== undefined && raw.format !== 'ferry' && raw.format !== 'alertmanager') {
        throw invalid(`${at}.format`, 'expected ferry or alertmanager');
      }
      stringMap(`${at}.headers`, raw.headers);
    } else if (type === 'email') {
      requiredString(`${at}.host`, raw.host);
      optionalInteger(`${at}.port`, raw.port, 1);
      if (raw.secure !== undefined && typeof raw.secure !== 'boolean') throw invalid(`${at}.secure`, 'expected true or false');
      optionalString(`${at}.user`, raw.user);
      optionalString(`${at}.password`, raw.password);
      requiredString(`${at}.from`, raw.from);
      const to = stringList(`${at}.to`, raw.to);
      if (!to || to.length === 0) throw invalid(`${at}.to`, 'expected at least one address');
    } else {
      requiredString(`${at}.command`, raw.command);
      stringList(`${at}.args`, raw.args);
    }
    out[name] = raw as unknown as NotifierConfig;
  }
  return out;
}

/** Every notifier a rule names must exist: checked once both sections are known. */
export function checkRoutes(
  rules: readonly { name: string; notifiers: readonly string[] | null }[],
  notifierNames: readonly string[],
  defaults: readonly string[],
): void {
  const known = new Set(notifierNames);
  for (const name of defaults)
    if (!known.has(name)) throw invalid('alerts.defaultNotifiers', `no notifier named ${name} in alerts.notifiers`);
  for (const rule of rules) {
    for (const name of rule.notifiers ?? [])
      if (!known.has(name)) throw invalid(`rule ${rule.name}.notifiers`, `no notifier named ${name} in alerts.notifiers`);
  }
}
