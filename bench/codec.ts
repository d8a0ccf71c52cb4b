/**
 * Record-batch codec throughput: encode and decode records/s for 100-byte records in 16 KiB
 * batches, uncompressed and per codec. Run: `npm run bench:codec` (FERRY_BENCH_MS per case,
 * default 1000). Prints one row per codec; numbers are single-threaded.
 */
import { COMPRESSION_NAMES } from '../src/common/compression.ts';
import { decodeRecordBatch, encodeRecordBatch, forEachRecord, type ProducerRecord } from '../src/common/record-batch.ts';

const RECORD_BYTES = 100;
const BATCH_BYTES = 16 * 1024;
const CASE_MS = Number(process.env.FERRY_BENCH_MS ?? 1000);

// JSON-ish values with varying fields: compressible like real events, not trivially so.
let seed = 42;
function random(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
function value(i: number): Buffer {
  const text = `{"id":${i},"user":"u${Math.floor(random() * 1e6)}","event":"${['click', 'view', 'buy'][i % 3]}","ts":${1_700_000_000_000 + i},"v":${random().toFixed(6)}}`;
  return Buffer.from(text.padEnd(RECORD_BYTES, ' ').slice(0, RECORD_BYTES));
}
/** As many records as fit one uncompressed 16 KiB batch. */
const records: ProducerRecord[] = [];
while (encodeRecordBatch({ records: [...records, { value: value(records.length) }], now: 0 }).length <= BATCH_BYTES) {
  records.push({ value: value(records.length) });
}
const RECORDS_PER_BATCH = records.length;
const now = 1_700_000_000_000;

function measure(run: () => void): number {
  for (let i = 0; i < 50; i++) run(); // warm up
  let batches = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(CASE_MS) * 1_000_000n;
  let elapsed = 0n;
  do {
    for (let i = 0; i < 20; i++) run();
    batches += 20;
    elapsed = process.hrtime.bigint() - start;
  } while (start + elapsed < deadline);
  return (batches * RECORDS_PER_BATCH) / (Number(elapsed) / 1e9);
}

const fmt = (n: number) => `${(n / 1e6).toFixed(2)} M/s`.padStart(11);

console.log(`node ${process.version}, ${RECORDS_PER_BATCH} records of ${RECORD_BYTES} B per batch (~16 KiB), ${CASE_MS} ms per case`);
console.log(`${'codec'.padEnd(8)}${'batch B'.padStart(9)}${'encode'.padStart(12)}${'decode'.padStart(12)}${'forEach'.padStart(12)}`);
for (const compression of COMPRESSION_NAMES) {
  const encoded = encodeRecordBatch({ records, compression, now });
  const encode = measure(() => {
    encodeRecordBatch({ records, compression, now });
  });
  const decode = measure(() => {
    decodeRecordBatch(encoded);
  });
  let sink = 0;
  const forEach = measure(() => {
    forEachRecord(encoded, (record) => {
      sink += record.valueLength;
    });
  });
  if (sink === 0) throw new Error('unreachable: keeps the loop from being optimised away');
  console.log(`${compression.padEnd(8)}${String(encoded.length).padStart(9)}${fmt(encode)} ${fmt(decode)} ${fmt(forEach)}`);
}
