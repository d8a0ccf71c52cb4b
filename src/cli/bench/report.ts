import type { Histogram } from './histogram.ts';

/** MB as Kafka's perf tools count it: 2^20 bytes. */
const MB = 1024 * 1024;

export interface BenchResult {
  mode: 'produce' | 'consume' | 'e2e';
  topic: string;
  records: number;
  /** Payload bytes (values only, as Kafka's tools count). */
  bytes: number;
  elapsedMs: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  /** Milliseconds; absent for consume. */
  latencyMs?: { mean: number; p50: number; p99: number; p999: number; max: number };
}

export function summarize(
  mode: BenchResult['mode'],
  topic: string,
  records: number,
  bytes: number,
  elapsedMs: number,
  latencyUs?: Histogram,
): BenchResult {
  const seconds = Math.max(elapsedMs, 1e-3) / 1000;
  const result: BenchResult = {
    mode,
    topic,
    records,
    bytes,
    elapsedMs: round(elapsedMs, 1),
    recordsPerSecond: Math.round(records / seconds),
    mbPerSecond: round(bytes / MB / seconds, 2),
  };
  if (latencyUs && latencyUs.count > 0) {
    const ms = (us: number) => round(us / 1000, 3);
    result.latencyMs = {
      mean: ms(latencyUs.mean),
      p50: ms(latencyUs.percentile(50)),
      p99: ms(latencyUs.percentile(99)),
      p999: ms(latencyUs.percentile(99.9)),
      max: ms(latencyUs.max),
    };
  }
  return result;
}

/** One line like kafka-producer-perf-test's final line. */
export function formatResult(result: BenchResult): string {
  const parts = [
    `${result.mode}: ${result.records.toLocaleString('en-US')} records in ${(result.elapsedMs / 1000).toFixed(2)} s`,
    `${result.recordsPerSecond.toLocaleString('en-US')} records/s`,
    `${result.mbPerSecond.toFixed(2)} MB/s`,
  ];
  const l = result.latencyMs;
  if (l) {
    const label = result.mode === 'e2e' ? 'end-to-end latency' : 'send-to-ack latency';
    parts.push(`${label} ms: mean ${l.mean}, p50 ${l.p50}, p99 ${l.p99}, p99.9 ${l.p999}, max ${l.max}`);
  }
  return parts.join(', ');
}

/** Progress every `intervalMs` on stderr, so a long run shows it is alive. */
export class Progress {
  private readonly intervalMs: number;
  private readonly label: string;
  private lastAtMs = performance.now();
  private lastRecords = 0;

  constructor(label: string, intervalMs = 2000) {
    this.label = label;
    this.intervalMs = intervalMs;
  }

  update(records: number): void {
    const now = performance.now();
    if (now - this.lastAtMs < this.intervalMs) return;
    const rate = ((records - this.lastRecords) * 1000) / (now - this.lastAtMs);
    process.stderr.write(
      `${this.label}: ${records.toLocaleString('en-US')} records, ${Math.round(rate).toLocaleString('en-US')} records/s\n`,
    );
    this.lastAtMs = now;
    this.lastRecords = records;
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
