import type { RangeFunction } from './expression.ts';

/**
 * The functions over a window of samples. Counters: a value that drops is a reset (the broker
 * restarted or the series was recreated) and counts from zero, as in Prometheus. Rates are taken
 * over the samples actually in the window (last - first over their time span); `increase` and
 * `delta` scale that to the whole window, the way Prometheus extrapolates, so `increase(x[5m])`
 * reads as "per 5 minutes" even when the window holds only part of it.
 */
export function applyRangeFunction(
  fn: RangeFunction,
  times: readonly number[],
  values: readonly number[],
  rangeMs: number,
): number | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  switch (fn) {
    case 'avg_over_time':
      return values.reduce((a, b) => a + b, 0) / n;
    case 'max_over_time':
      return Math.max(...values);
    case 'min_over_time':
      return Math.min(...values);
    default:
      break;
  }
  if (n < 2) return undefined;
  const spanSeconds = (times[n - 1]! - times[0]!) / 1000;
  if (spanSeconds <= 0) return undefined;
  switch (fn) {
    case 'rate':
      return counterIncrease(values) / spanSeconds;
    case 'increase':
      return (counterIncrease(values) / spanSeconds) * (rangeMs / 1000);
    case 'delta':
      return ((values[n - 1]! - values[0]!) / spanSeconds) * (rangeMs / 1000);
    case 'deriv':
      return slopePerSecond(times, values);
  }
}

function counterIncrease(values: readonly number[]): number {
  let total = 0;
  for (let i = 1; i < values.length; i++) {
    const step = values[i]! - values[i - 1]!;
    total += step >= 0 ? step : values[i]!;
  }
  return total;
}

/** Least-squares slope, per second (PromQL's deriv). Times are shifted to the first sample to keep precision. */
function slopePerSecond(times: readonly number[], values: readonly number[]): number {
  const n = values.length;
  const t0 = times[0]!;
  let sumX = 0;
  let sumY = 0;
  let sumXY = 0;
  let sumXX = 0;
  for (let i = 0; i < n; i++) {
    const x = (times[i]! - t0) / 1000;
    const y = values[i]!;
    sumX += x;
    sumY += y;
    sumXY += x * y;
    sumXX += x * x;
  }
  const denominator = n * sumXX - sumX * sumX;
  return denominator === 0 ? 0 : (n * sumXY - sumX * sumY) / denominator;
}

/**
 * PromQL's histogram_quantile over one series' cumulative buckets (upper bound `le` -> count):
 * linear interpolation inside the bucket holding the rank; the +Inf bucket answers with the
 * highest finite bound. NaN when there are no observations or no +Inf bucket.
 */
export function bucketQuantile(quantile: number, buckets: readonly { upperBound: number; count: number }[]): number {
  const sorted = [...buckets].sort((a, b) => a.upperBound - b.upperBound);
  if (sorted.length < 2 || sorted[sorted.length - 1]!.upperBound !== Number.POSITIVE_INFINITY) return Number.NaN;
  // Rates of cumulative counts can come out slightly non-monotonic; a bucket never holds fewer than the one below.
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.count < sorted[i - 1]!.count) sorted[i] = { ...sorted[i]!, count: sorted[i - 1]!.count };
  }
  const total = sorted[sorted.length - 1]!.count;
  if (!(total > 0)) return Number.NaN;
  const rank = quantile * total;
  let index = sorted.findIndex((b) => b.count >= rank);
  if (index < 0) index = sorted.length - 1;
  if (index === sorted.length - 1) return sorted[sorted.length - 2]!.upperBound;
  const bucket = sorted[index]!;
  if (index === 0 && bucket.upperBound <= 0) return bucket.upperBound;
  const lowerBound = index === 0 ? 0 : sorted[index - 1]!.upperBound;
  const countBelow = index === 0 ? 0 : sorted[index - 1]!.count;
  const inBucket = bucket.count - countBelow;
  if (inBucket <= 0) return bucket.upperBound;
  return lowerBound + (bucket.upperBound - lowerBound) * ((rank - countBelow) / inBucket);
}
