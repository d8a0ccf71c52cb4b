/**
 * Pieces every workload shares: stamped payloads, the pipelined publish loop, delivery counting
 * with latency samples, and the meter around the measured interval.
 */
import { TreeMeter } from '../proc-stats.ts';
import type { Measurement, Publisher, RunningSystem } from '../types.ts';

/** The first 8 bytes of every payload carry performance.now() at publish time (one clock: the
 *  bench process publishes and consumes), so any consumer can compute publish-to-delivery. */
export function stampedBatch(recordBytes: number, count: number): Buffer[] {
  const value = Buffer.alloc(Math.max(8, recordBytes), 0x61);
  value.writeDoubleLE(performance.now(), 0);
  return new Array<Buffer>(count).fill(value);
}

/** Counts deliveries and keeps up to `maxSamples` latencies (ms), sampled evenly by count. */
export class DeliveryCounter {
  count = 0;
  lastAt = 0;
  readonly #samples: Float64Array;
  #sampleCount = 0;
  readonly #sampleEvery: number;
  #waiters: Array<{ target: number; resolve: () => void }> = [];

  constructor(maxSamples = 200_000, sampleEvery = 1) {
    this.#samples = new Float64Array(maxSamples);
    this.#sampleEvery = sampleEvery;
  }

  readonly onDelivery = (value: Buffer): void => {
    const now = performance.now();
    this.count++;
    this.lastAt = now;
    if (this.count % this.#sampleEvery === 0 && this.#sampleCount < this.#samples.length && value.length >= 8) {
      this.#samples[this.#sampleCount++] = now - value.readDoubleLE(0);
    }
    if (this.#waiters.length > 0 && this.count >= this.#waiters[0]!.target) {
      const ready = this.#waiters.filter((waiter) => this.count >= waiter.target);
      this.#waiters = this.#waiters.filter((waiter) => this.count < waiter.target);
      for (const waiter of ready) waiter.resolve();
    }
  };

  /** Resolves true when `target` deliveries arrived, false after `timeoutMs`. */
  waitFor(target: number, timeoutMs: number): Promise<boolean> {
    if (this.count >= target) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#waiters.push({
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      });
    });
  }

  percentiles(): { p50: number; p99: number; p999: number } | undefined {
    if (this.#sampleCount === 0) return undefined;
    const sorted = this.#samples.slice(0, this.#sampleCount).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return { p50: at(0.5), p99: at(0.99), p999: at(0.999) };
  }
}

/**
 * Publishes batches of `batchRecords` with up to `batchesInFlight` unconfirmed at once until
 * `durationMs` has passed; resolves with the number of confirmed records and the elapsed time
 * up to the last confirmation.
 */
export async function publishFor(
  publishers: readonly Publisher[],
  options: { durationMs: number; batchRecords: number; batchesInFlight: number; recordBytes: number },
): Promise<{ records: number; seconds: number }> {
  const started = performance.now();
  const deadline = started + options.durationMs;
  let confirmed = 0;
  let nextPublisher = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  while (performance.now() < deadline && failure === undefined) {
    while (inFlight.size < options.batchesInFlight) {
      const publisher = publishers[nextPublisher++ % publishers.length]!;
      const sending: Promise<void> = publisher.publish(stampedBatch(options.recordBytes, options.batchRecords)).then(
        () => {
          confirmed += options.batchRecords;
          inFlight.delete(sending);
        },
        (error: unknown) => {
          // Kept, not thrown here: the batches still in flight must settle before the run ends.
          failure ??= error;
          inFlight.delete(sending);
        },
      );
      inFlight.add(sending);
    }
    await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return { records: confirmed, seconds: (performance.now() - started) / 1000 };
}

/** Runs `body` with the broker tree metered; the body returns records and seconds it measured. */
export async function metered(
  system: RunningSystem,
  recordBytes: number,
  body: () => Promise<{ records: number; seconds: number; latency?: Measurement['latencyMs']; note?: string }>,
): Promise<Measurement> {
  const meter = new TreeMeter(system.pid);
  const clientCpuAtStart = process.cpuUsage();
  const clientStartedAt = performance.now();
  let result: Awaited<ReturnType<typeof body>>;
  try {
    result = await body();
  } catch (error) {
    meter.stop();
    throw error;
  }
  const usage = meter.stop();
  const clientCpu = process.cpuUsage(clientCpuAtStart);
  const clientWallMs = performance.now() - clientStartedAt;
  const recordsPerSecond = result.seconds > 0 ? result.records / result.seconds : 0;
  return {
    records: result.records,
    seconds: result.seconds,
    recordsPerSecond,
    megabytesPerSecond: (recordsPerSecond * recordBytes) / 1e6,
    ...(result.latency ? { latencyMs: result.latency } : {}),
    brokerCpuPercent: usage.cpuPercent,
    brokerRssMiB: usage.peakRssMiB,
    clientCpuPercent: clientWallMs > 0 ? (clientCpu.user + clientCpu.system) / 10 / clientWallMs : 0,
    ...(result.note ? { note: result.note } : {}),
  };
}
