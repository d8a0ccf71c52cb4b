/**
 * A latency histogram in the manner of HdrHistogram: log-linear buckets with 7 bits of
 * sub-bucket precision (every recorded value is kept within 1/64 = 1.6% of itself), fixed memory
 * whatever the number of samples: 128 + 25 * 64 = 1,728 counters for 1 µs .. 2^31 µs (35 min).
 *
 * Values are integers in the caller's unit (the benches record microseconds). Values above the
 * range are clamped to its top and counted in `clampedCount`.
 */
const SUB_BUCKET_BITS = 7;
const SUB_BUCKET_COUNT = 1 << SUB_BUCKET_BITS; // 128
const SUB_BUCKET_HALF = SUB_BUCKET_COUNT >> 1; // 64
const MAX_VALUE = 2 ** 31 - 1;
const BUCKET_COUNT = SUB_BUCKET_COUNT + (31 - SUB_BUCKET_BITS + 1) * SUB_BUCKET_HALF;

export class Histogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private sum = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = 0;
  clampedCount = 0;

  get count(): number {
    return this.total;
  }

  get min(): number {
    return this.total === 0 ? 0 : this.minValue;
  }

  get max(): number {
    return this.maxValue;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  /** Records `value` `times` times (a batch of records that share one latency). */
  record(value: number, times = 1): void {
    let v = Math.max(0, Math.round(value));
    if (v > MAX_VALUE) {
      v = MAX_VALUE;
      this.clampedCount += times;
    }
    this.counts[bucketIndex(v)]! += times;
    this.total += times;
    this.sum += v * times;
    if (v < this.minValue) this.minValue = v;
    if (v > this.maxValue) this.maxValue = v;
  }

  /** The value at `percentile` (0..100): the highest value of the bucket holding that rank,
   *  capped at the exact maximum, as HdrHistogram reports it. */
  percentile(percentile: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, percentile)) / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(highestEquivalentValue(i), this.maxValue);
    }
    return this.maxValue;
  }

  /** Adds every sample of `other` (per-interval histograms into a total). */
  add(other: Histogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sum += other.sum;
    this.clampedCount += other.clampedCount;
    if (other.total > 0) {
      this.minValue = Math.min(this.minValue, other.minValue);
      this.maxValue = Math.max(this.maxValue, other.maxValue);
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.minValue = Number.POSITIVE_INFINITY;
    this.maxValue = 0;
    this.clampedCount = 0;
  }
}

/** Values below 128 have a bucket each; above, each power of two is split into 64 buckets. */
export function bucketIndex(value: number): number {
  if (value < SUB_BUCKET_COUNT) return value;
  const shift = 31 - Math.clz32(value) - (SUB_BUCKET_BITS - 1); // >= 1
  const subBucket = value >>> shift; // 64..127
  return SUB_BUCKET_COUNT + (shift - 1) * SUB_BUCKET_HALF + (subBucket - SUB_BUCKET_HALF);
}

/** The largest value that lands in bucket `index`. */
export function highestEquivalentValue(index: number): number {
  if (index < SUB_BUCKET_COUNT) return index;
  const shift = Math.floor((index - SUB_BUCKET_COUNT) / SUB_BUCKET_HALF) + 1;
  const subBucket = ((index - SUB_BUCKET_COUNT) % SUB_BUCKET_HALF) + SUB_BUCKET_HALF;
  return (subBucket + 1) * 2 ** shift - 1;
}
