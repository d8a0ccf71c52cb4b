import { randomBytes } from 'node:crypto';
import type { FerryClient, ProducerRecord, SendReceipt } from '../../client/index.ts';
import { ensureBenchTopic } from './bench-topic.ts';
import { Histogram } from './histogram.ts';
import { ACKS, type BenchOptions, nowUs, sleep } from './options.ts';
import { type BenchResult, Progress, summarize } from './report.ts';

/** Records sent between two looks at the clock and the in-flight window (about 64 KiB of values). */
function chunkRecords(size: number): number {
  return Math.max(1, Math.min(4096, Math.floor((64 * 1024) / Math.max(1, size))));
}

/** The client's own per-record overhead estimate (src/client/records.ts): used to keep the
 *  records in flight under the producer's buffer, so `send` never takes its slow path. */
const RECORD_OVERHEAD_BYTES = 24;

interface Chunk {
  sentUs: number;
  count: number;
  /** The receipt of the chunk's last record: batches of one partition are acknowledged in order,
   *  so it settles after every record of the chunk. */
  last: SendReceipt;
}

/**
 * kafka-producer-perf-test's measure: `records` values of `size` random bytes (one payload
 * reused, as Kafka's tool does), sent as fast as acknowledgements allow (or at `rate`). Records
 * go through `send`, the client's synchronous path (no promise per record); latency is
 * send-to-ack per chunk of records (from sending its first record to the acknowledgement of its
 * last), counted once for every record of the chunk.
 */
export async function runProduceBench(client: FerryClient, options: BenchOptions): Promise<BenchResult> {
  await ensureBenchTopic(client, options.topic, options.partitions);
  const producer = client.producer({
    acks: ACKS[options.acks],
    lingerMs: options.lingerMs,
    batchBytes: options.batchBytes,
    maxInFlight: options.maxInFlight,
    compression: options.compression,
    maxBufferedBytes: options.bufferBytes,
  });
  const record: ProducerRecord = { topic: options.topic, value: randomBytes(options.size) };
  const perChunk = chunkRecords(options.size);
  const maxInFlightRecords = Math.max(perChunk, Math.floor(options.bufferBytes / (options.size + RECORD_OVERHEAD_BYTES)) - perChunk);
  const latencyUs = new Histogram();
  const progress = new Progress('produce');
  const inFlight: Chunk[] = [];
  let inFlightRecords = 0;
  let sent = 0;
  let acked = 0;

  const settleOldest = async () => {
    const chunk = inFlight.shift()!;
    await chunk.last;
    latencyUs.record(nowUs() - chunk.sentUs, chunk.count);
    acked += chunk.count;
    inFlightRecords -= chunk.count;
  };

  // The first record loads the topic's metadata; every later send takes the synchronous path.
  await producer.send(record);
  sent = acked = 1;
  const startedUs = nowUs();
  while (sent < options.records) {
    if (options.rate > 0) {
      const dueUs = startedUs + (sent / options.rate) * 1e6;
      const waitMs = (dueUs - nowUs()) / 1000;
      if (waitMs >= 1) await sleep(waitMs);
    }
    const count = Math.min(perChunk, options.records - sent);
    while (inFlight.length > 0 && inFlightRecords + count > maxInFlightRecords) await settleOldest();
    const sentUs = nowUs();
    for (let i = 1; i < count; i++) producer.send(record);
    inFlight.push({ sentUs, count, last: producer.send(record) });
    inFlightRecords += count;
    sent += count;
    progress.update(acked);
  }
  while (inFlight.length > 0) await settleOldest();
  await producer.flush();
  const elapsedMs = (nowUs() - startedUs) / 1000;
  await producer.close();
  return summarize('produce', options.topic, acked, acked * options.size, elapsedMs, latencyUs);
}
