/**
 * Native protocol + client throughput: 100-byte records produced to one partition with acks
 * 'all' (the broker fsyncs with group commit), then read back. The broker runs in a child
 * process so client and broker each get a core.
 *
 *   node bench/native.ts                     # defaults below
 *   RECORDS=2000000 BATCH_BYTES=262144 node bench/native.ts
 *   FLUSH=interval node bench/native.ts      # broker fsyncs every 1 s instead of per append
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Broker } from '../src/broker/broker.ts';
import { connect, type ProducerRecord } from '../src/client/index.ts';
import { silentLogger } from '../src/common/logger.ts';
import { startNativeServer } from '../src/protocols/native/server.ts';
import { openLogManager } from '../src/storage/log-manager.ts';

const RECORDS = Number(process.env.RECORDS ?? 2_000_000);
const RECORD_BYTES = Number(process.env.RECORD_BYTES ?? 100);
const BATCH_BYTES = Number(process.env.BATCH_BYTES ?? 256 * 1024);
const MAX_IN_FLIGHT = Number(process.env.MAX_IN_FLIGHT ?? 5);
const SEND_BATCH_RECORDS = 10_000;

async function serve(dataDir: string): Promise<void> {
  const flush = process.env.FLUSH === 'interval' ? { kind: 'interval' as const, intervalMs: 1000 } : { kind: 'always' as const };
  const logs = await openLogManager({ dataDir, logger: silentLogger, defaults: { flush } });
  const broker = await Broker.open({ logs, logger: silentLogger, config: { log: { flush } } });
  const server = await startNativeServer({ broker, host: '127.0.0.1', port: 0, logger: silentLogger });
  console.log(`PORT ${server.port}`);
  process.stdin.on('end', async () => {
    await server.close();
    await broker.close();
    process.exit(0);
  });
  process.stdin.resume();
}

function rate(count: number, ms: number): string {
  const perSecond = (count / ms) * 1000;
  return `${Math.round(perSecond).toLocaleString('en-US')} records/s (${((perSecond * RECORD_BYTES) / 1048576).toFixed(1)} MiB/s of values)`;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ferry-bench-native-'));
  const child = spawn(process.execPath, [process.argv[1]!, '--serve', dataDir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('PORT ')) resolve(Number(line.slice(5)));
    });
  });
  const client = await connect(`127.0.0.1:${port}`);
  const admin = client.admin();
  await admin.createTopics([
    { name: 'bench-batch', partitions: 1 },
    { name: 'bench-send', partitions: 1 },
  ]);
  const value = Buffer.alloc(RECORD_BYTES, 0x61);
  console.log(
    `${RECORDS.toLocaleString('en-US')} records of ${RECORD_BYTES} B, one partition, acks all, batchBytes ${BATCH_BYTES}, flush ${process.env.FLUSH ?? 'always'}`,
  );

  // 1. sendBatch: one promise per 10,000 records, several calls in flight.
  {
    const producer = client.producer({ batchBytes: BATCH_BYTES, maxInFlight: MAX_IN_FLIGHT });
    const records: ProducerRecord[] = Array.from({ length: SEND_BATCH_RECORDS }, () => ({ topic: 'bench-batch', value }));
    await producer.sendBatch(records.slice(0, 100));
    const started = performance.now();
    const inFlight: Promise<unknown>[] = [];
    for (let sent = 0; sent < RECORDS; sent += SEND_BATCH_RECORDS) {
      inFlight.push(producer.sendBatch(records));
      if (inFlight.length >= 32) await inFlight.shift();
    }
    await Promise.all(inFlight);
    console.log(`produce sendBatch: ${rate(RECORDS, performance.now() - started)}`);
    await producer.close();
  }

  // 2. send: one receipt per record, awaiting one now and then for back-pressure.
  {
    const producer = client.producer({ batchBytes: BATCH_BYTES, maxInFlight: MAX_IN_FLIGHT });
    const record: ProducerRecord = { topic: 'bench-send', value };
    await producer.send(record);
    const started = performance.now();
    const window: PromiseLike<unknown>[] = [];
    for (let i = 1; i <= RECORDS; i++) {
      const receipt = producer.send(record);
      if (i % 50_000 === 0) {
        window.push(receipt);
        if (window.length >= 4) await window.shift();
      }
    }
    await producer.flush();
    console.log(`produce send:      ${rate(RECORDS, performance.now() - started)}`);
    await producer.close();
  }

  // 3. consume what was produced, by batches and by message.
  for (const [topic, mode] of [
    ['bench-batch', 'batches'],
    ['bench-send', 'messages'],
  ] as const) {
    const consumer = client.consumer({ topics: [topic], fromBeginning: true });
    const expected = topic === 'bench-batch' ? RECORDS + 100 : RECORDS + 1;
    let count = 0;
    let bytes = 0;
    const started = performance.now();
    if (mode === 'batches') {
      for await (const batch of consumer.batches()) {
        count += batch.length;
        for (const m of batch) bytes += m.value!.length;
        if (count >= expected) break;
      }
    } else {
      for await (const message of consumer) {
        count++;
        bytes += message.value!.length;
        if (count >= expected) break;
      }
    }
    console.log(`consume ${mode.padEnd(9)} ${rate(count, performance.now() - started)}`);
    if (bytes !== count * RECORD_BYTES) throw new Error(`read ${bytes} value bytes for ${count} records`);
    await consumer.close();
  }
  await client.close();
  child.stdin!.end();
  await new Promise((resolve) => child.on('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}

if (process.argv[2] === '--serve') await serve(process.argv[3]!);
else await main();
