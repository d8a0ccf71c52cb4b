import type { CompressionName } from '../../common/record-batch-header.ts';

/** What every `ferry bench` mode takes (commander fills it; defaults differ per mode). */
export interface BenchOptions {
  broker: string;
  topic: string;
  records: number;
  size: number;
  partitions: number;
  /** Records per second; 0 = as fast as possible. */
  rate: number;
  acks: 'all' | '1' | '0';
  lingerMs?: number;
  batchBytes?: number;
  maxInFlight?: number;
  bufferBytes: number;
  compression: CompressionName;
  fetchBytes: number;
  timeoutMs: number;
  json?: boolean;
}

export const ACKS = { all: 'all', 1: 'leader', 0: 'none' } as const;

/** Microseconds on a monotonic clock. */
export function nowUs(): number {
  return performance.now() * 1000;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
