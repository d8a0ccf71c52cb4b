/**
 * The result file (bench/results/compare-<date>.json) and the median over runs. Pure: the chart,
 * the tables and their test read only these shapes.
 */
import { type Measurement, WORKLOAD_NAMES, type WorkloadName } from './types.ts';

export interface ResultRow {
  system: string;
  workload: WorkloadName;
  variant: string;
  runs: Measurement[];
  /** Median of each figure over the runs; absent when the row did not run. */
  median?: Measurement;
  /** Why there is no figure: the system lacks the feature, or a run failed. */
  missing?: string;
}

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  kernel: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
}

export interface CompareResults {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: MachineInfo;
  node: string;
  runsPerFigure: number;
  /** Unrecorded runs before each figure's runs (absent in files written before warm-ups). */
  warmupRunsPerFigure?: number;
  durationMs: number;
  /** The latency workload's own duration (absent in files written before it had one). */
  latencyDurationMs?: number;
  systems: Array<{ id: string; product: string; version: string; durability: string }>;
  rows: ResultRow[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Each figure is the median of that figure over the runs (not the figures of the median run). */
export function medianMeasurement(runs: readonly Measurement[]): Measurement | undefined {
  if (runs.length === 0) return undefined;
  const latencyRuns = runs.filter((run) => run.latencyMs !== undefined).map((run) => run.latencyMs!);
  // Notes are '; '-separated facts; each distinct fact once (a per-run count stays per run).
  const notes = [...new Set(runs.flatMap((run) => (run.note ? run.note.split('; ') : [])))];
  return {
    records: median(runs.map((run) => run.records)),
    seconds: median(runs.map((run) => run.seconds)),
    recordsPerSecond: median(runs.map((run) => run.recordsPerSecond)),
    megabytesPerSecond: median(runs.map((run) => run.megabytesPerSecond)),
    ...(latencyRuns.length > 0
      ? {
          latencyMs: {
            p50: median(latencyRuns.map((latency) => latency.p50)),
            p99: median(latencyRuns.map((latency) => latency.p99)),
            p999: median(latencyRuns.map((latency) => latency.p999)),
          },
        }
      : {}),
    brokerCpuPercent: median(runs.map((run) => run.brokerCpuPercent)),
    brokerRssMiB: median(runs.map((run) => run.brokerRssMiB)),
    clientCpuPercent: median(runs.map((run) => run.clientCpuPercent)),
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
  };
}

/** Table order: workload, then variant (in the order first seen), then system (stable). */
export function sortRows(rows: readonly ResultRow[]): ResultRow[] {
  const variantOrder = [...new Set(rows.map((row) => row.variant))];
  return [...rows].sort(
    (a, b) =>
      WORKLOAD_NAMES.indexOf(a.workload) - WORKLOAD_NAMES.indexOf(b.workload) ||
      variantOrder.indexOf(a.variant) - variantOrder.indexOf(b.variant),
  );
}
