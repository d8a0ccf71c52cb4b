import type { FerryClient } from '../../client/index.ts';
import { ErrorCode, FerryError } from '../../common/errors.ts';
import { type BenchOptions, nowUs } from './options.ts';
import { type BenchResult, Progress, summarize } from './report.ts';

/**
 * kafka-consumer-perf-test's measure: read `records` records from the start of the topic (no
 * group, no commits) as fast as fetches return them. The clock starts once partitions are
 * assigned, so connection and metadata time are not counted.
 */
export async function runConsumeBench(client: FerryClient, options: BenchOptions): Promise<BenchResult> {
  const consumer = client.consumer({
    topics: [options.topic],
    fromBeginning: true,
    maxBytes: options.fetchBytes,
    maxPartitionBytes: options.fetchBytes,
  });
  await consumer.ready();
  if (consumer.assignment().length === 0) {
    throw new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${options.topic} does not exist (run 'ferry bench produce' first)`);
  }
  const progress = new Progress('consume');
  let received = 0;
  let bytes = 0;
  const startedUs = nowUs();
  let lastRecordUs = startedUs;
  const idle = setInterval(() => {
    if (nowUs() - lastRecordUs > options.timeoutMs * 1000) void consumer.close();
  }, 100);
  try {
    for await (const batch of consumer.batches()) {
      const take = Math.min(batch.length, options.records - received);
      for (let i = 0; i < take; i++) bytes += batch[i]!.value?.length ?? 0;
      received += take;
      lastRecordUs = nowUs();
      progress.update(received);
      if (received >= options.records) break;
    }
  } finally {
    clearInterval(idle);
  }
  const elapsedMs = (nowUs() - startedUs) / 1000;
  await consumer.close();
  if (received < options.records) {
    throw new FerryError(ErrorCode.TIMEOUT, `read ${received} of ${options.records} records; none arrived for ${options.timeoutMs} ms`);
  }
  return summarize('consume', options.topic, received, bytes, elapsedMs);
}
