import type { Registry } from 'prom-client';

/**
 * The broker's own metrics sampled on every evaluation into a bounded ring per series, so rules
 * can take rates and quantiles over a window (`rate(x[5m])`) without an external Prometheus.
 * Only metrics that some rule reads are sampled; the number of series is capped (`maxSeries`)
 * and each ring holds just enough samples for the longest range a rule asks for.
 */

export type Labels = Readonly<Record<string, string>>;

export interface Series {
  /** Sample name as exposed: `x`, or `x_bucket` / `x_sum` / `x_count` of a histogram `x`. */
  readonly name: string;
  readonly labels: Labels;
  readonly times: Float64Array;
  readonly values: Float64Array;
  /** Index of the next write. */
  head: number;
  count: number;
  /** The sampling round that last saw this series: a series gone from the registry is stale. */
  lastRound: number;
}

export interface SampleStoreOptions {
  registry: Registry;
  /** Samples kept per series (at least 2). */
  samplesPerSeries: number;
  /** Series kept across all metrics; new series beyond it are not sampled. */
  maxSeries: number;
  /** Called when a metric's collect throws; its series are missing from that round. */
  onCollectError?: (metric: string, error: unknown) => void;
  /** Called once per round when series were dropped for the cap. */
  onSeriesDropped?: (dropped: number) => void;
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

export class SampleStore {
  private readonly options: SampleStoreOptions;
  private readonly series = new Map<string, Series>();
  private readonly byName = new Map<string, Series[]>();
  private round = 0;
  private sampledAtMs = 0;

  constructor(options: SampleStoreOptions) {
    if (options.samplesPerSeries < 2) throw new RangeError('samplesPerSeries must be at least 2');
    this.options = options;
  }

  get seriesCount(): number {
    return this.series.size;
  }

  /** Time of the last sampling round: instant selectors read the samples of this round. */
  get lastSampledAtMs(): number {
    return this.sampledAtMs;
  }

  /**
   * Reads the current value of each named sample (`x_bucket` reads histogram `x`) from the
   * registry. Collect callbacks run here, so gauges of state are as fresh as a scrape.
   */
  async sample(names: Iterable<string>, nowMs: number): Promise<void> {
    this.round++;
    this.sampledAtMs = nowMs;
    const wanted = new Set(names);
    const metrics = new Set<string>();
    for (const name of wanted) metrics.add(this.options.registry.getSingleMetric(name) ? name : baseName(name));
    let dropped = 0;
    const failed = new Set<string>();
    for (const metricName of metrics) {
      const metric = this.options.registry.getSingleMetric(metricName);
      if (!metric) continue;
      let data: Awaited<ReturnType<typeof metric.get>>;
      try {
        data = await metric.get();
      } catch (error) {
        // A collect callback that throws costs its own series this round, not every rule's.
        this.options.onCollectError?.(metricName, error);
        failed.add(metricName);
        continue;
      }
      for (const point of data.values as { value: number; labels: Record<string, string | number | undefined>; metricName?: string }[]) {
        const name = point.metricName ?? data.name;
        if (!wanted.has(name)) continue;
        if (!this.record(name, point.labels, point.value, nowMs)) dropped++;
      }
    }
    this.forgetStale(failed);
    if (dropped > 0) this.options.onSeriesDropped?.(dropped);
  }

  /** Series of a name seen in the last round. */
  current(name: string): readonly Series[] {
    return (this.byName.get(name) ?? []).filter((s) => s.lastRound === this.round);
  }

  private record(name: string, rawLabels: Record<string, string | number | undefined>, value: number, nowMs: number): boolean {
    // The hot path of a round (one call per sample): a cheap key in the registry's own label
    // order, which is stable per series; sorted labels are built only for a new series.
    let key = name;
    for (const labelName in rawLabels) {
      const labelValue = rawLabels[labelName];
      if (labelValue !== undefined) key += `\u0000${labelName}\u0001${labelValue}`;
    }
    let series = this.series.get(key);
    if (!series) {
      if (this.series.size >= this.options.maxSeries) return false;
      const labels: Record<string, string> = {};
      for (const labelName of Object.keys(rawLabels).sort()) {
        const labelValue = rawLabels[labelName];
        if (labelValue === undefined) continue;
        labels[labelName] = labelValue === Number.POSITIVE_INFINITY ? '+Inf' : String(labelValue);
      }
      const capacity = this.options.samplesPerSeries;
      series = { name, labels, times: new Float64Array(capacity), values: new Float64Array(capacity), head: 0, count: 0, lastRound: 0 };
      this.series.set(key, series);
      const list = this.byName.get(name);
      if (list) list.push(series);
      else this.byName.set(name, [series]);
    }
    series.times[series.head] = nowMs;
    series.values[series.head] = value;
    series.head = (series.head + 1) % series.times.length;
    series.count = Math.min(series.count + 1, series.times.length);
    series.lastRound = this.round;
    return true;
  }

  /** Drops series the registry no longer reports (a deleted topic's partitions, a gone group). */
  private forgetStale(failedMetrics: ReadonlySet<string>): void {
    for (const [key, series] of this.series) {
      if (series.lastRound === this.round) continue;
      // A metric whose collect failed this round keeps its history for the next one.
      if (failedMetrics.has(series.name) || failedMetrics.has(baseName(series.name))) continue;
      this.series.delete(key);
      const list = this.byName.get(series.name);
      if (!list) continue;
      const remaining = list.filter((s) => s !== series);
      if (remaining.length === 0) this.byName.delete(series.name);
      else this.byName.set(series.name, remaining);
    }
  }
}

/** Samples of a series with time in (fromMs, toMs], oldest first. */
export function pointsInRange(series: Series, fromMs: number, toMs: number): { times: number[]; values: number[] } {
  const times: number[] = [];
  const values: number[] = [];
  const capacity = series.times.length;
  for (let i = 0; i < series.count; i++) {
    const at = (series.head - series.count + i + capacity) % capacity;
    const t = series.times[at]!;
    if (t > fromMs && t <= toMs) {
      times.push(t);
      values.push(series.values[at]!);
    }
  }
  return { times, values };
}

/** The latest sample of a series. */
export function latestValue(series: Series): number {
  const capacity = series.times.length;
  return series.values[(series.head - 1 + capacity) % capacity]!;
}

function baseName(name: string): string {
  for (const suffix of HISTOGRAM_SUFFIXES) if (name.endsWith(suffix)) return name.slice(0, -suffix.length);
  return name;
}
