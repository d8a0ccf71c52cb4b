import type { FerryClient, ProducerRecord } from '../../client/index.ts';
import { ErrorCode, FerryError } from '../../common/errors.ts';
import { ensureBenchTopic } from './bench-topic.ts';
import { Histogram } from './histogram.ts';
import { ACKS, type BenchOptions, nowUs, sleep } from './options.ts';
import { type BenchResult, Progress, summarize } from './report.ts';

/** Bytes at the start of each value holding its scheduled send time (float64 µs). */
const STAMP_BYTES = 8;

/**
 * End-to-end latency at a fixed rate: one producer sends `rate` records per second while a
 * consumer in the same process reads them; latency is from the record's scheduled send time to
 * its arrival at the consumer. Using the schedule, not the actual send, counts a sender that
 * fell behind as latency (no coordinated omission). The record's own timestamp has only
 * millisecond resolution, so the time travels in the first 8 bytes of the value.
 */
export async function runE2eBench(client: FerryClient, options: BenchOptions): Promise<BenchResult> {
  if (options.size < STAMP_BYTES) throw new FerryError(ErrorCode.INVALID_CONFIG, `e2e needs --size of at least ${STAMP_BYTES} bytes`);
  if (options.rate <= 0) throw new FerryError(ErrorCode.INVALID_CONFIG, 'e2e needs a --rate above 0');
  await ensureBenchTopic(client, options.topic, options.partitions);
  const consumer = client.consumer({ topics: [options.topic], maxWaitMs: 100 });
  await consumer.ready();
  const producer = client.producer({
    acks: ACKS[options.acks],
    lingerMs: options.lingerMs ?? 0,
    batchBytes: options.batchBytes,
    maxInFlight: options.maxInFlight,
    compression: options.compression,
    maxBufferedBytes: options.bufferBytes,
  });
  const latencyUs = new Histogram();
  const progress = new Progress('e2e');
  let received = 0;
  let bytes = 0;

  const consumed = (async () => {
    for await (const batch of consumer.batches()) {
      const arrivedUs = nowUs();
      for (const message of batch) {
        if (message.value === null || message.value.length < STAMP_BYTES) continue;
        latencyUs.record(arrivedUs - message.value.readDoubleLE(0));
        bytes += message.value.length;
        received++;
      }
      progress.update(received);
      if (received >= options.records) return;
    }
  })();

  const startedUs = nowUs();
  const intervalUs = 1e6 / options.rate;
  let sent = 0;
  let idleSinceUs = nowUs();
  let lastReceived = 0;
  while (received < options.records) {
    const now = nowUs();
    const due = Math.min(options.records, Math.floor((now - startedUs) / intervalUs) + 1);
    for (; sent < due; sent++) {
      const value = Buffer.allocUnsafe(options.size).fill(0x61);
      value.writeDoubleLE(startedUs + sent * intervalUs, 0);
      const record: ProducerRecord = { topic: options.topic, value };
      void producer.send(record);
    }
    if (received !== lastReceived) {
      lastReceived = received;
      idleSinceUs = now;
    } else if (now - idleSinceUs > options.timeoutMs * 1000) {
      break;
    }
    await sleep(1);
  }
  const elapsedMs = (nowUs() - startedUs) / 1000;
  await producer.close();
  await consumer.close();
  await consumed.catch(() => {});
  if (received < options.records) {
    throw new FerryError(ErrorCode.TIMEOUT, `received ${received} of ${options.records} records; none arrived for ${options.timeoutMs} ms`);
  }
  return summarize('e2e', options.topic, received, bytes, elapsedMs, latencyUs);
}
