import { randomBytes } from 'node:crypto';
import type { FerryClient, ProducerRecord } from '../../client/index.ts';
import { ensureBenchTopic } from './bench-topic.ts';
import { Histogram } from './histogram.ts';
import { ACKS, type BenchOptions, nowUs, sleep } from './options.ts';
import { type BenchResult, Progress, summarize } from './report.ts';

/** Records handed to the producer per `sendBatch` call (about 64 KiB of values). */
function chunkRecords(size: number): number {
  return Math.max(1, Math.min(4096, Math.floor((64 * 1024) / Math.max(1, size))));
}

/**
 * kafka-producer-perf-test's measure: `records` values of `size` random bytes (one payload
 * reused, as Kafka's tool does), sent as fast as acknowledgements allow (or at `rate`). Latency
 * is send-to-ack per chunk of records: from the `sendBatch` call to its acknowledgement, counted
 * once for every record of the chunk.
 */
export async function runProduceBench(client: FerryClient, options: BenchOptions): Promise<BenchResult> {
  await ensureBenchTopic(client, options.topic, options.partitions);
  const producer = client.producer({
    acks: ACKS[options.acks],
    lingerMs: options.lingerMs,
    batchBytes: options.batchBytes,
    compression: options.compression,
    maxBufferedBytes: options.bufferBytes,
  });
  const record: ProducerRecord = { topic: options.topic, value: randomBytes(options.size) };
  const perChunk = chunkRecords(options.size);
  const fullChunk: ProducerRecord[] = new Array(perChunk).fill(record);
  const latencyUs = new Histogram();
  const progress = new Progress('produce');
  // Chunks sent and not yet acknowledged; the producer's buffer bounds the bytes behind them.
  const inFlight = new Set<Promise<void>>();
  let firstError: unknown = null;
  let sent = 0;
  let acked = 0;

  const startedUs = nowUs();
  while (sent < options.records && firstError === null) {
    if (options.rate > 0) {
      const dueUs = startedUs + (sent / options.rate) * 1e6;
      const waitMs = (dueUs - nowUs()) / 1000;
      if (waitMs >= 1) await sleep(waitMs);
    }
    const count = Math.min(perChunk, options.records - sent);
    const chunk = count === perChunk ? fullChunk : fullChunk.slice(0, count);
    const sentUs = nowUs();
    const done: Promise<void> = producer.sendBatch(chunk).then(
      () => {
        latencyUs.record(nowUs() - sentUs, count);
        acked += count;
        inFlight.delete(done);
      },
      (error: unknown) => {
        firstError ??= error;
        inFlight.delete(done);
      },
    );
    inFlight.add(done);
    sent += count;
    progress.update(acked);
    // sendBatch waits for buffer space before it accepts, so this wait is what paces us.
    if (inFlight.size >= 64) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await producer.flush();
  const elapsedMs = (nowUs() - startedUs) / 1000;
  await producer.close();
  if (firstError !== null) throw firstError;
  return summarize('produce', options.topic, acked, acked * options.size, elapsedMs, latencyUs);
}
