/**
 * What metrics cost: produce throughput against a broker with metrics on and with them off, in
 * one run, so the two figures share the machine's state.
 *
 *   npm run bench:metrics -- [--repeat 3] [--records 500000] [--size 100] [--partitions 4]
 *                            [--flush none|always|interval] [--scrape-ms 1000] [--alerts with-metrics|off]
 *   npm run bench:metrics -- --in-process [--rounds 10] [--batch-records 10] [--size 100] [--scrape-ms 1000]
 *
 * Each run starts a fresh broker process (`ferry start`, fresh data dir, Kafka listener off) and
 * drives it from this process with `ferry bench produce`'s code (src/cli/bench/produce-bench.ts:
 * the TypeScript client, acks all). The "on" broker has `metrics.enabled=true` and is scraped
 * every `--scrape-ms` during the run (Prometheus's default is 15 s, so this is harsher than a
 * real deployment), and alert rules evaluating when the config knows `alerts.enabled`; the "off"
 * broker has both off. Runs alternate on/off, off/on, ... so drift (page cache, CPU boost)
 * lands on both sides. Prints every run, the median of each side and the difference; writes
 * bench/results/metrics-<time>.json.
 *
 * `--flush none` (default) leaves fsync to the OS so the figure shows CPU cost, which is what
 * metrics add; with `always`, fsync latency dominates and hides it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runProduceBench } from '../src/cli/bench/produce-bench.ts';
import type { BenchResult } from '../src/cli/bench/report.ts';
import { connect } from '../src/client/index.ts';
import { encodeRecordBatch } from '../src/common/record-batch.ts';
import { createFerryMetrics } from '../src/observability/metrics/metrics.ts';
import { brokerStateSource } from '../src/server/metrics-source.ts';
import { Broker } from '../src/broker/broker.ts';
import { silentLogger } from '../src/common/logger.ts';
import { DEFAULT_LOG_CONFIG } from '../src/storage/log-config.ts';
import { openLogManager } from '../src/storage/log-manager.ts';
import { optionByKey } from '../src/server/config.ts';

const { values: flags } = parseArgs({
  options: {
    repeat: { type: 'string', default: '3' },
    records: { type: 'string', default: '500000' },
    size: { type: 'string', default: '100' },
    partitions: { type: 'string', default: '4' },
    flush: { type: 'string', default: 'none' },
    'scrape-ms': { type: 'string', default: '1000' },
    /** `off`: alert evaluation off on both sides, to tell its cost from the metrics'. */
    alerts: { type: 'string', default: 'with-metrics' },
    /** Also A/B the broker API in this process: short alternating runs, CPU per record. */
    'in-process': { type: 'boolean', default: false },
    rounds: { type: 'string', default: '10' },
    'batch-records': { type: 'string', default: '10' },
  },
});
const repeat = Number(flags.repeat);
const records = Number(flags.records);
const size = Number(flags.size);
const partitions = Number(flags.partitions);
const scrapeMs = Number(flags['scrape-ms']);
const root = path.resolve(import.meta.dirname, '..');
/** Alerts land in the same config when their engine exists; measured with metrics if so. */
const alertsOption = flags.alerts === 'off' ? undefined : optionByKey('alerts.enabled');

interface RunningBroker {
  nativePort: number;
  httpPort: number;
  /** CPU time (user + system) the broker process has used so far, ms; NaN without /proc. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in ticks of 1/100 s. */
const TICKS_PER_SECOND = 100;

function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") ": utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

async function startBroker(isMetricsOn: boolean): Promise<RunningBroker> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-metrics-'));
  const args = ['src/cli/main.ts', 'start', '--data-dir', dataDir, '--native-port', '0', '--http-port', '0', '--kafka-port', '-1'];
  args.push('--flush-policy', String(flags.flush), '--log-level', 'warn', '--metrics-enabled', String(isMetricsOn));
  const env = { ...process.env };
  const alertsFlag = optionByKey('alerts.enabled');
  const isAlertsOn = alertsOption !== undefined && isMetricsOn;
  if (alertsFlag?.flag) args.push(alertsFlag.flag, String(isAlertsOn));
  else if (alertsFlag?.env) env[alertsFlag.env] = String(isAlertsOn);
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ports = await new Promise<{ nativePort: number; httpPort: number }>((resolve, reject) => {
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      const ready = /ferry ready: native [^:]+:(\d+).*http [^:]+:(\d+)/.exec(output);
      if (ready) resolve({ nativePort: Number(ready[1]), httpPort: Number(ready[2]) });
    });
    child.once('exit', (code) => reject(new Error(`broker exited (${code}) before it was ready:\n${output}`)));
  });
  return {
    ...ports,
    cpuMs: () => processCpuMs(child.pid),
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function run(isMetricsOn: boolean): Promise<{ result: BenchResult; scrapes: number; scrapeBytes: number; cpuUsPerRecord: number }> {
  const broker = await startBroker(isMetricsOn);
  let scrapes = 0;
  let scrapeBytes = 0;
  let scraping: Promise<void> = Promise.resolve();
  const timer = isMetricsOn
    ? setInterval(() => {
        scraping = fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)
          .then((response) => response.text())
          .then((text) => {
            scrapes++;
            scrapeBytes = text.length;
          });
      }, scrapeMs)
    : null;
  try {
    const client = await connect(`127.0.0.1:${broker.nativePort}`);
    const cpuBeforeMs = broker.cpuMs();
    try {
      const result = await runProduceBench(client, {
        broker: `127.0.0.1:${broker.nativePort}`,
        topic: 'bench-metrics',
        records,
        size,
        partitions,
        rate: 0,
        acks: 'all',
        bufferBytes: 8 * 1024 * 1024,
        compression: 'none',
        fetchBytes: 8 * 1024 * 1024,
        timeoutMs: 10_000,
      });
      const cpuUsPerRecord = ((broker.cpuMs() - cpuBeforeMs) * 1000) / result.records;
      return { result, scrapes, scrapeBytes, cpuUsPerRecord };
    } finally {
      await client.close();
    }
  } finally {
    if (timer) clearInterval(timer);
    await scraping.catch(() => {});
    await broker.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The recorder's own CPU per call, in this process: what one produce request (appended +
 * requestDone) and one fetched 16-batch answer (handedOut) add. Free of the machine's noise,
 * unlike the throughput runs on a shared box.
 */
function microCosts(): { produceRequestNs: number; fetchAnswerNs: number; batchesPerAnswer: number } {
  const metrics = createFerryMetrics({ enabled: true, eventLoopResolutionMs: 10 });
  const partition = metrics.recorder.partition('micro', 0);
  const protocol = metrics.recorder.protocol('native');
  const value = Buffer.alloc(100);
  const batch = encodeRecordBatch({ records: Array.from({ length: 100 }, () => ({ value, timestamp: Date.now() })) });
  const batchesPerAnswer = 16;
  const answer = Buffer.concat(Array.from({ length: batchesPerAnswer }, () => batch));
  const calls = 200_000;
  const time = (fn: () => void): number => {
    for (let i = 0; i < 10_000; i++) fn(); // warm up
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    return Number(process.hrtime.bigint() - started) / calls;
  };
  const produceRequestNs = time(() => {
    partition.appended(100, 12_000);
    protocol.requestDone('Produce', 'none', performance.now());
  });
  const fetchAnswerNs = time(() => partition.handedOut(answer, Date.now()));
  return { produceRequestNs, fetchAnswerNs, batchesPerAnswer };
}

const micro = microCosts();
console.log(
  `recorder CPU: ${micro.produceRequestNs.toFixed(0)} ns per produce request (appended + requestDone), ` +
    `${micro.fetchAnswerNs.toFixed(0)} ns per fetch answer of ${micro.batchesPerAnswer} batches (handedOut)`,
);

if (flags['in-process']) {
  await inProcess();
  process.exit(0);
}

const on: number[] = [];
const off: number[] = [];
const cpuOn: number[] = [];
const cpuOff: number[] = [];
/** on/off throughput of each back-to-back pair: drift between pairs cancels out. */
const pairRatios: number[] = [];
const rows: { side: string; recordsPerSecond: number; p99Ms: number | undefined; scrapes: number; cpuUsPerRecord: number }[] = [];
console.log(
  `bench:metrics  records=${records} size=${size} partitions=${partitions} flush=${flags.flush} scrape every ${scrapeMs} ms, ` +
    `alerts ${alertsOption ? 'on with metrics' : flags.alerts === 'off' ? 'off on both sides' : 'not in this build'}; ${repeat} run(s) per side, fresh broker process each`,
);
for (let i = 0; i < repeat; i++) {
  const order = i % 2 === 0 ? [true, false] : [false, true];
  const pair: Record<string, number> = {};
  for (const isMetricsOn of order) {
    const { result, scrapes, scrapeBytes, cpuUsPerRecord } = await run(isMetricsOn);
    (isMetricsOn ? on : off).push(result.recordsPerSecond);
    (isMetricsOn ? cpuOn : cpuOff).push(cpuUsPerRecord);
    pair[isMetricsOn ? 'on' : 'off'] = result.recordsPerSecond;
    const side = isMetricsOn ? 'on ' : 'off';
    rows.push({ side, recordsPerSecond: result.recordsPerSecond, p99Ms: result.latencyMs?.p99, scrapes, cpuUsPerRecord });
    console.log(
      `  run ${i + 1} metrics ${side}: ${Math.round(result.recordsPerSecond).toLocaleString('en')} records/s, ` +
        `p99 ${result.latencyMs?.p99.toFixed(2)} ms, broker CPU ${cpuUsPerRecord.toFixed(3)} us/record` +
        `${isMetricsOn ? `, ${scrapes} scrapes of ${(scrapeBytes / 1024).toFixed(0)} KiB` : ''}`,
    );
  }
  pairRatios.push(pair.on! / pair.off!);
}
const medianOn = median(on);
const medianOff = median(off);
const costPercent = ((medianOff - medianOn) / medianOff) * 100;
const pairedCostPercent = (1 - median(pairRatios)) * 100;
const medianCpuOn = median(cpuOn);
const medianCpuOff = median(cpuOff);
const cpuCostPercent = ((medianCpuOn - medianCpuOff) / medianCpuOff) * 100;
console.log(`median metrics off: ${Math.round(medianOff).toLocaleString('en')} records/s, broker CPU ${medianCpuOff.toFixed(3)} us/record`);
console.log(`median metrics on:  ${Math.round(medianOn).toLocaleString('en')} records/s, broker CPU ${medianCpuOn.toFixed(3)} us/record`);
console.log(
  `cost of metrics: ${costPercent.toFixed(1)}% of produce throughput (medians), ${pairedCostPercent.toFixed(1)}% (median of back-to-back pairs), ${cpuCostPercent.toFixed(1)}% more broker CPU per record (target < 5%)`,
);
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
const file = path.join(root, `bench/results/metrics-${new Date().toISOString().replaceAll(':', '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ records, size, partitions, flush: flags.flush, scrapeMs, alerts: alertsOption !== undefined, micro, rows, medianOn, medianOff, costPercent, pairedCostPercent, medianCpuOn, medianCpuOff, cpuCostPercent }, null, 2)}\n`,
);
console.log(`written ${path.relative(root, file)}`);

/**
 * The broker alone, in this process: two brokers (metrics on, scraped every `--scrape-ms`, and
 * off) take turns, `--rounds` times, producing 2,000 requests of `--batch-records`-record batches
 * (small batches make per-request costs count) and fetching them back. Figure: process CPU per
 * record of each turn, and the median of the on/off ratio of each round.
 */
async function inProcess(): Promise<void> {
  const rounds = Number(flags.rounds);
  const batchRecords = Number(flags['batch-records']);
  const requests = 2_000;
  const value = Buffer.alloc(size, 97);
  const template = encodeRecordBatch({ records: Array.from({ length: batchRecords }, () => ({ value })) });
  const sides = await Promise.all(
    [true, false].map(async (isOn) => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-metrics-ip-'));
      const logs = await openLogManager({ dataDir, logger: silentLogger, defaults: { ...DEFAULT_LOG_CONFIG, flush: { kind: 'none' } } });
      const metrics = createFerryMetrics({ enabled: isOn, eventLoopResolutionMs: 10 });
      const broker = await Broker.open({ logs, logger: silentLogger, metrics: metrics.recorder });
      metrics.setStateSource(brokerStateSource(broker, dataDir, silentLogger));
      await broker.createTopic('ab', { partitions: 1 });
      return { isOn, dataDir, broker, metrics, offset: 0 };
    }),
  );
  const turn = async (side: (typeof sides)[number]): Promise<number> => {
    const timer = side.isOn ? setInterval(() => void side.metrics.scrape(), scrapeMs) : null;
    const before = process.cpuUsage();
    for (let i = 0; i < requests; i++) {
      await side.broker.produce({ topic: 'ab', partition: 0, batches: Buffer.from(template), acks: -1 });
    }
    while (true) {
      const [result] = await side.broker.fetch({
        partitions: [{ topic: 'ab', partition: 0, offset: side.offset, maxBytes: 64 * 1024 }],
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 64 * 1024,
      });
      if (result!.records.length === 0) break;
      side.offset = result!.highWatermark;
    }
    const used = process.cpuUsage(before);
    if (timer) clearInterval(timer);
    return (used.user + used.system) / (requests * batchRecords);
  };
  const ratios: number[] = [];
  const cpu = { on: [] as number[], off: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const [first, second] = round % 2 === 0 ? [sides[0]!, sides[1]!] : [sides[1]!, sides[0]!];
    const a = await turn(first);
    const b = await turn(second);
    const onUs = first.isOn ? a : b;
    const offUs = first.isOn ? b : a;
    cpu.on.push(onUs);
    cpu.off.push(offUs);
    ratios.push(onUs / offUs);
  }
  console.log(
    `in process (broker API, ${batchRecords}-record batches, ${rounds} rounds of ${requests} produce requests + fetches): ` +
      `CPU ${median(cpu.on).toFixed(3)} us/record with metrics, ${median(cpu.off).toFixed(3)} without; ` +
      `median per-round cost ${((median(ratios) - 1) * 100).toFixed(1)}%`,
  );
  for (const side of sides) {
    await side.broker.close();
    await rm(side.dataDir, { recursive: true, force: true });
  }
}
