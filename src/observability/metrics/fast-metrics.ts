import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the hot paths. prom-client's own children hash and validate their
 * label values on every `inc` / `observe` (measured ~3-6 us per call on the shared VM); these
 * hand out a cell per label set once, and recording is a field addition (a histogram adds a
 * bucket search over at most ~20 bounds). prom-client still owns the registry and the text
 * format: these register as metrics whose `get()` builds the values at scrape time.
 */

type Labels = Record<string, string>;

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface MetricData {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: MetricValue[];
}

export interface CounterCell {
  value: number;
}

export class HistogramCell {
  /** Per bucket, not cumulative; the last slot is above every bound (+Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  private readonly bounds: Float64Array;

  constructor(bounds: Float64Array) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

abstract class CellMetric<C> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  protected readonly labelNames: readonly string[];
  protected readonly cells = new Map<string, { labels: Labels; cell: C }>();

  constructor(options: { name: string; help: string; labelNames: readonly string[]; registers: Registry[] }) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    // prom-client's Registry is typed for its own classes; it reads only name, help, type, get()
    // and reset() (registry.js), which this provides.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  protected abstract newCell(): C;

  /** The cell of one label set, created on first use: call once and keep it. */
  cell(...labelValues: string[]): C {
    if (labelValues.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes labels ${this.labelNames.join(', ')}, got ${labelValues.length} values`);
    }
    const key = labelValues.join('\0');
    let entry = this.cells.get(key);
    if (entry === undefined) {
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => {
        labels[name] = labelValues[i]!;
      });
      entry = { labels, cell: this.newCell() };
      this.cells.set(key, entry);
    }
    return entry.cell;
  }

  /** Drops one label set's series (a cell kept elsewhere keeps counting, unexported). */
  remove(...labelValues: string[]): void {
    this.cells.delete(labelValues.join('\0'));
  }

  reset(): void {
    this.cells.clear();
  }
}

export class FastCounter extends CellMetric<CounterCell> {
  readonly type = 'counter' as const;

  protected newCell(): CounterCell {
    return { value: 0 };
  }

  async get(): Promise<MetricData> {
    const values: MetricValue[] = [];
    for (const { labels, cell } of this.cells.values()) values.push({ labels: { ...labels }, value: cell.value });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export class FastHistogram extends CellMetric<HistogramCell> {
  readonly type = 'histogram' as const;
  private readonly bounds: Float64Array;

  constructor(options: { name: string; help: string; labelNames: readonly string[]; buckets: readonly number[]; registers: Registry[] }) {
    super(options);
    this.bounds = Float64Array.from([...options.buckets].sort((a, b) => a - b));
  }

  protected newCell(): HistogramCell {
    return new HistogramCell(this.bounds);
  }

  async get(): Promise<MetricData> {
    const values: MetricValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const { labels, cell } of this.cells.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += cell.counts[i]!;
        values.push({ labels: { ...labels, le: this.bounds[i]! }, value: cumulative, metricName: bucketName });
      }
      values.push({ labels: { ...labels, le: '+Inf' }, value: cell.count, metricName: bucketName });
      values.push({ labels: { ...labels }, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...labels }, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
