import { setFlagsFromString } from 'node:v8';

/** Default of the server option `heapGrowingPercent`. */
export const DEFAULT_HEAP_GROWING_PERCENT = 300;

/**
 * Lets V8's old generation grow to (1 + percent/100) times its live size before the next full
 * GC. Process-wide, so the server sets it once at start; 0 leaves V8's own heuristics.
 *
 * A broker's live heap is small (~20 MB: code, topic state) while its garbage comes in bursts of
 * buffers and requests. V8's default limit then ran a mark-compact every 50-300 ms under load and
 * every 0.3-1.3 s at light load after it, 5-28 ms each; with 300 the light load after the heavy
 * workloads ran none, broker CPU for 100 B publishes fell from 73-75% to 40-46% of a core, and
 * RSS at 1,000 topics moved within its noise (docs/operations.md, docs/benchmarks.md).
 */
export function applyHeapGrowingPercent(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
