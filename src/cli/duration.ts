import { InvalidArgumentError } from 'commander';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

/**
 * A duration as people type it: `500ms`, `30s`, `10m`, `2h`, `1d`, `1.5h`, or a bare number of
 * milliseconds. Returns whole milliseconds; throws commander's InvalidArgumentError otherwise.
 */
export function parseDurationMs(text: string): number {
  const match = DURATION.exec(text.trim().replaceAll('_', ''));
  const ms = match === null ? Number.NaN : Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 'ms']!);
  if (!Number.isSafeInteger(ms)) {
    throw new InvalidArgumentError(`expected a duration such as 500ms, 30s, 10m, 2h or 1d, got ${JSON.stringify(text)}`);
  }
  return ms;
}

/** An absolute time in ISO-8601 (`2026-11-23T18:00:00Z`, `2026-11-23T19:00:00+01:00`), as ms since the epoch. */
export function parseInstantMs(text: string): number {
  // Date.parse also takes loose forms ("Nov 23"); a date and a time are required here.
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new InvalidArgumentError(`expected an ISO-8601 time such as 2026-11-23T18:00:00Z, got ${JSON.stringify(text)}`);
  }
  return ms;
}
