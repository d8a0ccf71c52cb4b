/**
 * Durations as Prometheus writes them (`30s`, `5m`, `1h30m`, `0s`), used by rule `for`, range
 * selectors (`x[5m]`) and repeat intervals, so a rule reads the same here and in promtool.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^(\d+(?:ms|s|m|h|d|w))+$/;
const PART = /(\d+)(ms|s|m|h|d|w)/g;

/** Milliseconds of a duration such as `5m` or `1h30m`; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let totalMs = 0;
  for (const match of text.matchAll(PART)) totalMs += Number(match[1]) * UNIT_MS[match[2]!]!;
  return Number.isSafeInteger(totalMs) ? totalMs : undefined;
}

/** The shortest Prometheus spelling of a whole number of milliseconds: 300000 -> `5m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const unit of ['w', 'd', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit]!;
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}
