/**
 * Broker produce and fetch throughput with the real storage: 100-byte records in ~16 KiB batches,
 * `FERRY_BENCH_INFLIGHT` produce requests in flight (default 32), plain and idempotent, per flush
 * policy; then one consumer fetching everything back. Run: `node bench/broker.ts`
 * (FERRY_BENCH_MS per case, default 2000; FERRY_BENCH_DIR for the data dir, default the OS temp
 * dir). Single process, no network: this is the broker + storage share of the end-to-end path.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../src/broker/broker.ts';
import { silentLogger } from '../src/common/logger.ts';
import { encodeRecordBatch, type ProducerRecord } from '../src/common/record-batch.ts';
import { BatchField, batchSizeBytes, computeBatchCrc } from '../src/common/record-batch-header.ts';
import { openLogManager } from '../src/storage/log-manager.ts';

const RECORD_BYTES = 100;
const BATCH_BYTES = 16 * 1024;
const CASE_MS = Number(process.env.FERRY_BENCH_MS ?? 2000);
const IN_FLIGHT = Number(process.env.FERRY_BENCH_INFLIGHT ?? 32);

const records: ProducerRecord[] = [];
while (encodeRecordBatch({ records: [...records, { value: Buffer.alloc(RECORD_BYTES, 97) }], now: 0 }).length <= BATCH_BYTES) {
  records.push({ value: Buffer.alloc(RECORD_BYTES, 97 + (records.length % 26)) });
}
const RECORDS_PER_BATCH = records.length;

interface CaseResult {
  recordsPerSec: number;
  mbPerSec: number;
  batches: number;
}

async function produceCase(broker: Broker, topic: string, idempotent: boolean): Promise<CaseResult> {
  await broker.createTopic(topic);
  const producer = idempotent ? await broker.initProducerId({}) : null;
  const template = encodeRecordBatch({
    records,
    ...(producer ? { producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: 0 } : {}),
  });
  let sequence = 0;
  let batches = 0;
  const deadline = performance.now() + CASE_MS;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      // A fresh buffer per request, as one read from a socket would be (storage patches it).
      const batch = Buffer.from(template);
      if (producer) {
        batch.writeInt32BE(sequence, BatchField.baseSequence);
        batch.writeUInt32BE(computeBatchCrc(batch, 0, batchSizeBytes(batch)), BatchField.crc);
        sequence += RECORDS_PER_BATCH;
      }
      await broker.produce({ topic, partition: 0, batches: batch, acks: -1 });
      batches++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { recordsPerSec: (batches * RECORDS_PER_BATCH) / seconds, mbPerSec: (batches * template.length) / seconds / 1e6, batches };
}

async function fetchCase(broker: Broker, topic: string): Promise<CaseResult> {
  const end = broker.describeTopic(topic).partitions[0]!.highWatermark;
  let offset = 0;
  let bytes = 0;
  let batches = 0;
  const started = performance.now();
  while (offset < end) {
    const [result] = await broker.fetch({
      partitions: [{ topic, partition: 0, offset, maxBytes: 1024 * 1024 }],
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1024 * 1024,
    });
    const data = result!.records;
    let at = 0;
    while (at < data.length) {
      const size = batchSizeBytes(data, at);
      offset = Number(data.readBigInt64BE(at)) + data.readInt32BE(at + BatchField.lastOffsetDelta) + 1;
      at += size;
      batches++;
    }
    bytes += data.length;
  }
  const seconds = (performance.now() - started) / 1000;
  return { recordsPerSec: end / seconds, mbPerSec: bytes / seconds / 1e6, batches };
}

const fmt = (result: CaseResult): string =>
  `${(result.recordsPerSec / 1e6).toFixed(2).padStart(7)} M rec/s ${result.mbPerSec.toFixed(0).padStart(6)} MB/s ${String(result.batches).padStart(8)} batches`;

console.log(
  `node ${process.version}: ${RECORDS_PER_BATCH} records of ${RECORD_BYTES} B per batch (~16 KiB), ${IN_FLIGHT} produce requests in flight, ${CASE_MS} ms per case`,
);
for (const flush of ['none', 'always'] as const) {
  const dir = await mkdtemp(join(process.env.FERRY_BENCH_DIR ?? tmpdir(), 'ferry-bench-broker-'));
  try {
    const logs = await openLogManager({ dataDir: dir, logger: silentLogger, defaults: { flush: { kind: flush } } });
    const broker = await Broker.open({ logs, logger: silentLogger, config: { groupInitialRebalanceDelayMs: 0 } });
    const plain = await produceCase(broker, 'plain', false);
    console.log(`flush=${flush.padEnd(6)} produce            ${fmt(plain)}`);
    const idempotent = await produceCase(broker, 'idempotent', true);
    console.log(`flush=${flush.padEnd(6)} produce idempotent ${fmt(idempotent)}`);
    console.log(`flush=${flush.padEnd(6)} fetch              ${fmt(await fetchCase(broker, 'plain'))}`);
    await broker.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
