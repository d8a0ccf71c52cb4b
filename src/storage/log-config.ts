import { ErrorCode, FerryError } from '../common/errors.ts';
import { BATCH_HEADER_BYTES } from '../common/record-batch-header.ts';
import type { FlushPolicy, LogConfig } from './types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Index entries hold file positions as int32, so no segment may reach 2 GiB. */
export const MAX_SEGMENT_BYTES = 0x7fff_ffff;

/** Kafka's defaults, so a topic behaves as Kafka users expect unless configured. */
export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  indexIntervalBytes: 4096,
  retentionMs: 7 * DAY_MS,
  retentionBytes: -1,
  maxBatchBytes: 1_048_588,
  flush: Object.freeze({ kind: 'always' as const }),
  timestampType: 'CreateTime' as const,
});

function invalid(field: string, value: unknown, rule: string): FerryError {
  return new FerryError(ErrorCode.INVALID_CONFIG, `log config ${field}=${JSON.stringify(value)} is invalid: ${rule}`, { field, value });
}

function checkInteger(config: LogConfig, field: keyof LogConfig, min: number, max: number): void {
  const value = config[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(field, value, `an integer in [${min}, ${max}]`);
  }
}

/** Throws INVALID_CONFIG naming the first field that is out of range. */
export function validateLogConfig(config: LogConfig): void {
  checkInteger(config, 'segmentBytes', BATCH_HEADER_BYTES, MAX_SEGMENT_BYTES);
  checkInteger(config, 'segmentMs', 1, Number.MAX_SAFE_INTEGER);
  checkInteger(config, 'indexIntervalBytes', 0, MAX_SEGMENT_BYTES);
  checkInteger(config, 'retentionMs', -1, Number.MAX_SAFE_INTEGER);
  checkInteger(config, 'retentionBytes', -1, Number.MAX_SAFE_INTEGER);
  checkInteger(config, 'maxBatchBytes', BATCH_HEADER_BYTES, MAX_SEGMENT_BYTES);
  const flush: FlushPolicy | undefined = config.flush;
  if (flush === undefined || (flush.kind !== 'always' && flush.kind !== 'none' && flush.kind !== 'interval')) {
    throw invalid('flush', flush, "kind 'always', 'interval' or 'none'");
  }
  if (flush.kind === 'interval' && (!Number.isSafeInteger(flush.intervalMs) || flush.intervalMs < 1)) {
    throw invalid('flush', flush, 'intervalMs an integer >= 1');
  }
  if (config.timestampType !== 'CreateTime' && config.timestampType !== 'LogAppendTime') {
    throw invalid('timestampType', config.timestampType, "'CreateTime' or 'LogAppendTime'");
  }
}

/** `base` with `overrides` applied (undefined fields ignored), validated. */
export function resolveLogConfig(base: LogConfig, overrides?: Partial<LogConfig>): LogConfig {
  const config: LogConfig = { ...base };
  if (overrides !== undefined) {
    for (const key of Object.keys(overrides) as (keyof LogConfig)[]) {
      const value = overrides[key];
      if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
    }
  }
  validateLogConfig(config);
  return config;
}

/** Parses the text form used in configuration files: `always`, `none` or `interval:<ms>`. */
export function parseFlushPolicy(text: string): FlushPolicy {
  const trimmed = text.trim();
  if (trimmed === 'always') return { kind: 'always' };
  if (trimmed === 'none') return { kind: 'none' };
  const match = /^interval:(\d+)$/.exec(trimmed);
  if (match !== null) {
    const intervalMs = Number(match[1]);
    if (Number.isSafeInteger(intervalMs) && intervalMs >= 1) return { kind: 'interval', intervalMs };
  }
  throw invalid('flush', text, "'always', 'none' or 'interval:<ms>' with ms >= 1");
}

export function formatFlushPolicy(policy: FlushPolicy): string {
  return policy.kind === 'interval' ? `interval:${policy.intervalMs}` : policy.kind;
}
