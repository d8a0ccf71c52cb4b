/**
 * Kafka protocol throughput against the native protocol, same broker build, same run:
 *
 *   npm run bench:kafka -- [--records N] [--repeat N] [--only native,kafkajs,kcat] [--dir PATH]
 *                          [--records-per-send N] [--sends-in-flight N] [--batch-bytes N]
 *                          [--fetch-partition-bytes N] [--kcat-batch-bytes N] [--kcat-queue-messages N]
 *                          [--quick]
 *
 * Workloads, each on a fresh broker (`node src/cli/main.ts start`, its own process, default
 * flush policy `always`: an acks=all produce is answered after fdatasync with group commit),
 * one topic of one partition, `--records` values of 100 B, produce then read everything back:
 *   native   src/client producer.sendBatch (batchBytes, 5 requests in flight, several calls
 *            awaited at once), then a consumer reading by batches;
 *   kafkajs  kafkajs 2.2.4 producer.send of `--records-per-send` messages (one RecordBatch per
 *            send), acks -1, no compression, `--sends-in-flight` sends at once; then a kafkajs
 *            group consumer (eachBatch);
 *   kcat     kcat (librdkafka) -P of a file of N lines, acks=all, linger.ms=5, batch.size;
 *            then kcat -C -o beginning -e -q piped to `wc -lc`, which checks count and bytes.
 *
 * Each figure is the median of `--repeat` runs (default 3). Broker CPU is read from
 * /proc/<pid>/stat around each timed section; client CPU is process.cpuUsage() in the client's
 * own process (native, kafkajs) or GNU time (kcat). 100% = one core, and a Node process can pass
 * it (GC and libuv threads). Results go to bench/results/kafka-<time>.json.
 */
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect } from '../src/client/index.ts';
import { type ClientArgs, CLIENT_WORKLOADS, type ClientWorkload, runClientWorkload } from './kafka/clients.ts';
import { type Measured, runClientChild, runTimed, startBroker, stopBroker } from './kafka/processes.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    records: { type: 'string' },
    repeat: { type: 'string' },
    only: { type: 'string' },
    dir: { type: 'string' },
    'records-per-send': { type: 'string' },
    'sends-in-flight': { type: 'string' },
    'batch-bytes': { type: 'string' },
    'fetch-partition-bytes': { type: 'string' },
    'kcat-batch-bytes': { type: 'string' },
    'kcat-queue-messages': { type: 'string' },
    client: { type: 'string' },
    args: { type: 'string' },
  },
});

const scriptPath = fileURLToPath(import.meta.url);
const repoDir = path.resolve(path.dirname(scriptPath), '..');

const RECORD_BYTES = 100;
const isQuick = flags.quick === true;
const records = Number(flags.records ?? (isQuick ? 200_000 : 1_000_000));
const repeat = Number(flags.repeat ?? (isQuick ? 1 : 3));
const baseDir = flags.dir ?? os.tmpdir();
const clientArgsBase = {
  records,
  recordBytes: RECORD_BYTES,
  // kafkajs sends: one send is one RecordBatch, and kafkajs's encoder slows down with batch size
  // (5,000 per send ran at half the rate of 1,000 here); 16 sends in flight keep the pipe full.
  recordsPerSend: Number(flags['records-per-send'] ?? 1_000),
  sendsInFlight: Number(flags['sends-in-flight'] ?? 16),
  // The native producer's batches the size of kcat's batch.size: both then do the same number of
  // appends and group commits (256 KiB batches cost the broker ~1.4 us/record, 1 MB ~1.05).
  batchBytes: Number(flags['batch-bytes'] ?? 1_000_000),
  fetchPartitionBytes: Number(flags['fetch-partition-bytes'] ?? 4 * 1024 * 1024),
};
const kcatBatchBytes = Number(flags['kcat-batch-bytes'] ?? 1_000_000);
const kcatQueueMessages = Number(flags['kcat-queue-messages'] ?? 1_000_000);
const FAMILIES = ['native', 'kafkajs', 'kcat'] as const;
type Family = (typeof FAMILIES)[number];
const families = (flags.only?.split(',') ?? FAMILIES) as Family[];

interface Sample {
  recordsPerSec: number;
  mbPerSec: number;
  /** CPU time over wall time, every thread; 100 = one core. */
  brokerCpuPct: number;
  clientCpuPct: number;
  /** CPU microseconds per record: what each side costs, whatever else shares the machine. */
  brokerUsPerRecord: number;
  clientUsPerRecord: number;
  /** Main (JS) thread running or waiting for a core, over wall time (see mainThreadBusySeconds). */
  brokerBusyPct: number;
  clientBusyPct: number | null;
}

function sampleOf(measured: Measured, expectedRecords: number): Sample {
  if (measured.records !== expectedRecords || measured.valueBytes !== expectedRecords * RECORD_BYTES) {
    throw new Error(`expected ${expectedRecords} records, got ${measured.records} (${measured.valueBytes} value bytes)`);
  }
  const seconds = measured.elapsedMs / 1000;
  return {
    recordsPerSec: measured.records / seconds,
    mbPerSec: measured.valueBytes / 1e6 / seconds,
    brokerCpuPct: (measured.brokerCpuSeconds / seconds) * 100,
    clientCpuPct: (measured.clientCpuSeconds / seconds) * 100,
    brokerUsPerRecord: (measured.brokerCpuSeconds / measured.records) * 1e6,
    clientUsPerRecord: (measured.clientCpuSeconds / measured.records) * 1e6,
    brokerBusyPct: (measured.brokerBusySeconds / seconds) * 100,
    clientBusyPct: measured.clientBusySeconds === null ? null : (measured.clientBusySeconds / seconds) * 100,
  };
}

async function createTopic(nativePort: number, topic: string): Promise<void> {
  const client = await connect(`127.0.0.1:${nativePort}`);
  await client.admin().createTopics([{ name: topic, partitions: 1 }]);
  await client.close();
}

/** N lines of RECORD_BYTES printable bytes each: kcat -P sends one record per line. */
async function writeLinesFile(file: string): Promise<void> {
  const line = `${'x'.repeat(RECORD_BYTES)}\n`;
  const chunk = line.repeat(10_000);
  const out = createWriteStream(file);
  for (let written = 0; written < records; written += 10_000) {
    const lines = Math.min(10_000, records - written);
    if (!out.write(lines === 10_000 ? chunk : line.repeat(lines))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

async function runFamily(family: Family, workDir: string, linesFile: string): Promise<{ produce: Sample; consume: Sample }> {
  const dataDir = path.join(workDir, `data-${family}`);
  const broker = await startBroker(repoDir, dataDir, []);
  try {
    const topic = `bench-${family}`;
    await createTopic(broker.nativePort, topic);
    if (family === 'kcat') {
      const bootstrap = `127.0.0.1:${broker.kafkaPort}`;
      const timeFile = path.join(workDir, 'time.txt');
      const produced = await runTimed(
        [
          'kcat',
          '-P',
          '-b',
          bootstrap,
          '-t',
          topic,
          '-p',
          '0',
          '-X',
          'acks=all',
          '-X',
          'linger.ms=5',
          '-X',
          `batch.size=${kcatBatchBytes}`,
          '-X',
          'batch.num.messages=100000',
          '-X',
          'compression.codec=none',
          // librdkafka's default buffer (100,000 messages) stalls the producer for a whole
          // group-commit fsync at a time; a deeper queue keeps requests in flight meanwhile.
          '-X',
          `queue.buffering.max.messages=${kcatQueueMessages}`,
        ],
        null,
        linesFile,
        timeFile,
        broker.pid,
      );
      const consumed = await runTimed(
        [
          'kcat',
          '-C',
          '-b',
          bootstrap,
          '-t',
          topic,
          '-p',
          '0',
          '-o',
          'beginning',
          '-e',
          '-q',
          '-X',
          `fetch.message.max.bytes=${clientArgsBase.fetchPartitionBytes}`,
        ],
        'wc -lc',
        null,
        timeFile,
        broker.pid,
      );
      const [lines, bytes] = consumed.stdout.trim().split(/\s+/).map(Number);
      const asMeasured = (run: typeof produced, count: number, valueBytes: number): Measured => ({
        records: count,
        valueBytes,
        elapsedMs: run.elapsedMs,
        clientCpuSeconds: run.cpuSeconds,
        // kcat's busiest thread (librdkafka's broker thread, or the main thread reading stdin).
        clientBusySeconds: run.busiestThreadSeconds,
        brokerCpuSeconds: run.brokerCpuSeconds,
        brokerBusySeconds: run.brokerBusySeconds,
      });
      return {
        produce: sampleOf(asMeasured(produced, records, records * RECORD_BYTES), records),
        // wc counts the newline kcat prints after each value.
        consume: sampleOf(asMeasured(consumed, lines!, bytes! - lines!), records),
      };
    }
    const args: ClientArgs = { ...clientArgsBase, nativePort: broker.nativePort, kafkaPort: broker.kafkaPort, topic };
    const child = (workload: ClientWorkload) =>
      runClientChild(scriptPath, ['--client', workload, '--args', JSON.stringify(args)], broker.pid);
    const produce = sampleOf(await child(`${family}-produce`), records);
    const consume = sampleOf(await child(`${family}-consume`), records);
    return { produce, consume };
  } finally {
    await stopBroker(broker);
    await rm(dataDir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * A side whose one thread that matters (Node's JS thread; kcat: its CPU) is busy nearly all the
 * time while the other has headroom is what bounds the row. Neither busy: the row waits on
 * something else, here the group-commit fsync of acks=all or round trips.
 */
function bottleneck(sample: Sample, direction: string): string {
  const BUSY_PCT = 85;
  const isClientBusy = (sample.clientBusyPct ?? sample.clientCpuPct) >= BUSY_PCT;
  const isBrokerBusy = sample.brokerBusyPct >= BUSY_PCT;
  if (isClientBusy && isBrokerBusy) return 'client and broker';
  if (isClientBusy) return 'client';
  if (isBrokerBusy) return 'broker';
  return direction === 'produce' ? 'neither: waits on fsync' : 'neither: waits on round trips';
}

const pct = (value: number | null): string => (value === null ? '-' : `${value.toFixed(0)}%`);

async function main(): Promise<void> {
  const workDir = await mkdtemp(path.join(baseDir, 'ferry-bench-kafka-'));
  const linesFile = path.join(workDir, 'lines.txt');
  if (families.includes('kcat')) await writeLinesFile(linesFile);
  const loadAtStart = os.loadavg();
  console.log(
    `${records.toLocaleString('en-US')} records of ${RECORD_BYTES} B, one partition, acks all, flush always; ${repeat} runs; ` +
      `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const samples = new Map<string, Sample[]>();
  try {
    for (let run = 1; run <= repeat; run++) {
      for (const family of families) {
        const { produce, consume } = await runFamily(family, workDir, linesFile);
        for (const [direction, sample] of [
          ['produce', produce],
          ['consume', consume],
        ] as const) {
          const key = `${family} ${direction}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          console.log(
            `run ${run} ${key.padEnd(16)} ${Math.round(sample.recordsPerSec).toLocaleString('en-US').padStart(10)} records/s  ` +
              `broker cpu ${pct(sample.brokerCpuPct)} busy ${pct(sample.brokerBusyPct)} ${sample.brokerUsPerRecord.toFixed(2)} us/rec  ` +
              `client cpu ${pct(sample.clientCpuPct)} busy ${pct(sample.clientBusyPct)} ${sample.clientUsPerRecord.toFixed(2)} us/rec`,
          );
        }
      }
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const loadAtEnd = os.loadavg();

  const rows = [...samples].map(([name, runs]) => {
    const medianSample: Sample = {
      recordsPerSec: median(runs.map((s) => s.recordsPerSec)),
      mbPerSec: median(runs.map((s) => s.mbPerSec)),
      brokerCpuPct: median(runs.map((s) => s.brokerCpuPct)),
      clientCpuPct: median(runs.map((s) => s.clientCpuPct)),
      brokerUsPerRecord: median(runs.map((s) => s.brokerUsPerRecord)),
      clientUsPerRecord: median(runs.map((s) => s.clientUsPerRecord)),
      brokerBusyPct: median(runs.map((s) => s.brokerBusyPct)),
      clientBusyPct: runs.some((s) => s.clientBusyPct === null) ? null : median(runs.map((s) => s.clientBusyPct ?? 0)),
    };
    const direction = name.split(' ')[1]!;
    const native = samples.get(`native ${direction}`);
    const vsNative = native === undefined ? null : medianSample.recordsPerSec / median(native.map((s) => s.recordsPerSec));
    return { name, ...medianSample, vsNative, bottleneck: bottleneck(medianSample, direction), runs };
  });

  console.log(`\nmedian of ${repeat} (load average at end ${loadAtEnd.map((l) => l.toFixed(2)).join(' ')}):`);
  const columns: [string, number, (row: (typeof rows)[number]) => string][] = [
    ['workload', -16, (row) => row.name],
    ['records/s', 11, (row) => Math.round(row.recordsPerSec).toLocaleString('en-US')],
    ['MB/s', 7, (row) => row.mbPerSec.toFixed(1)],
    ['broker CPU', 11, (row) => pct(row.brokerCpuPct)],
    ['busy', 6, (row) => pct(row.brokerBusyPct)],
    ['us/rec', 7, (row) => row.brokerUsPerRecord.toFixed(2)],
    ['client CPU', 11, (row) => pct(row.clientCpuPct)],
    ['busy', 6, (row) => pct(row.clientBusyPct)],
    ['us/rec', 7, (row) => row.clientUsPerRecord.toFixed(2)],
    ['vs native', 10, (row) => pct(row.vsNative === null ? null : row.vsNative * 100)],
    ['bound by', -0, (row) => `  ${row.bottleneck}`],
  ];
  const cell = (text: string, width: number): string => (width < 0 ? text.padEnd(-width) : text.padStart(width));
  console.log(columns.map(([title, width]) => cell(width === 0 ? `  ${title}` : title, width)).join(''));
  for (const row of rows) console.log(columns.map(([, width, value]) => cell(value(row), width)).join(''));

  const resultsDir = path.join(repoDir, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `kafka-${new Date().toISOString().replaceAll(':', '-').replace('.', '-')}.json`);
  const meta = {
    ...clientArgsBase,
    repeat,
    kcatBatchBytes,
    kcatQueueMessages,
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    loadAverageStart: loadAtStart,
    loadAverageEnd: loadAtEnd,
    commit: gitHead(),
  };
  writeFileSync(file, `${JSON.stringify({ meta, rows }, null, 2)}\n`);
  console.log(`results: ${path.relative(repoDir, file)}`);
}

/** The commit measured: BENCH_COMMIT when run from an exported tree without .git (not FERRY_*: the
 * broker inherits the environment and rejects FERRY_ variables it does not know). */
function gitHead(): string | null {
  if (process.env.BENCH_COMMIT !== undefined) return process.env.BENCH_COMMIT;
  try {
    const head = readFileSync(path.join(repoDir, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    return readFileSync(path.join(repoDir, '.git', head.slice(5)), 'utf8').trim();
  } catch {
    return null;
  }
}

if (flags.client !== undefined) {
  const workload = flags.client as ClientWorkload;
  if (!CLIENT_WORKLOADS.includes(workload)) throw new Error(`unknown --client ${flags.client}`);
  await runClientWorkload(workload, JSON.parse(flags.args ?? '{}') as ClientArgs);
  process.exit(0);
} else {
  await main();
}
