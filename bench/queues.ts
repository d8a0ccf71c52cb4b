/**
 * Queue benchmarks, in process against the Broker API with the real storage (flush `always` for
 * the topic and for `__subscriptions`, so every confirmed ack is fsynced):
 *
 *   npm run bench:queues -- [--quick] [--repeat N] [--only shared|scheduled|network] [--dir PATH]
 *                           [--records N] [--scheduled N] [--lead-ms N] [--spread-ms N] [--ack record|batch]
 *
 * 1. shared: one topic (one partition), one shared subscription, 4 consumers (prefetch 2000), 100 B
 *    records produced in batches of 1000 while they are consumed; every record is acked on its own
 *    (`ack(partition, [offset])`, one call per record; `--ack batch` acks each delivery batch in one
 *    call instead). Figure: records acknowledged per second, end to end: from the first produce to
 *    the last ack confirmed durable. Target: >= 300,000/s.
 * 2. scheduled: `--scheduled` records (default 1,000,000) produced with `ferry-deliver-at` spread
 *    evenly over `--spread-ms` starting `--lead-ms` after the start. Figures: the process RSS and
 *    heap before, with every record pending, and at peak during delivery; lateness (consumer
 *    receipt minus due time, every record) p50 / p99 / max, and the scheduler's own lateness
 *    (append to the topic minus due time).
 *
 * 3. network: the shared workload through the TypeScript client over TCP: the broker and its native
 *    server in one process, one producer client and 4 `client.subscribe()` consumers (prefetch 2000,
 *    each on its own connection) in another; every record acked on its own with `message.ack()`
 *    (the client coalesces a tick's acks into one frame). Figure: records acknowledged per second
 *    end to end (the last ack confirmed durable). Target: >= 300,000/s.
 *
 * Each workload runs `--repeat` times (default 3), each run in a fresh process with a fresh broker
 * and data dir; the medians are printed and written to bench/results/queues-<time>.json. The data
 * dir is on the OS temp dir (`--dir` to change it). Numbers depend on the disk's fsync latency,
 * measured and printed before and after: the shared workload does one fsync per group commit of
 * the topic and of `__subscriptions`, and a due record is visible once its append is fsynced.
 * `--flush none` turns the topics' fsync off (`__subscriptions` keeps `always`), to separate the
 * disk's share from the broker's.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Broker } from '../src/broker/broker.ts';
import { connect } from '../src/client/index.ts';
import { startNativeServer } from '../src/protocols/native/server.ts';
import type { QueueConsumer, QueueMessage } from '../src/broker/queues/types.ts';
import { silentLogger } from '../src/common/logger.ts';
import { encodeRecordBatch, type ProducerRecord } from '../src/common/record-batch.ts';
import { ReservedHeader } from '../src/common/reserved-headers.ts';
import { openLogManager } from '../src/storage/log-manager.ts';
import type { FlushPolicy } from '../src/storage/types.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    repeat: { type: 'string' },
    only: { type: 'string' },
    dir: { type: 'string' },
    records: { type: 'string' },
    scheduled: { type: 'string' },
    'lead-ms': { type: 'string' },
    'spread-ms': { type: 'string' },
    ack: { type: 'string', default: 'record' },
    flush: { type: 'string', default: 'always' },
    child: { type: 'string' },
  },
});

const isQuick = flags.quick === true;
const repeat = Number(flags.repeat ?? (isQuick ? 1 : 3));
const sharedRecords = Number(flags.records ?? (isQuick ? 300_000 : 2_000_000));
const scheduledRecords = Number(flags.scheduled ?? (isQuick ? 100_000 : 1_000_000));
const leadMs = Number(flags['lead-ms'] ?? (isQuick ? 10_000 : 20_000));
const spreadMs = Number(flags['spread-ms'] ?? (isQuick ? 10_000 : 30_000));
const ackPerRecord = flags.ack !== 'batch';
const baseDir = flags.dir ?? os.tmpdir();
/** Flush policy of the topics (`__subscriptions` keeps `always`: acks are confirmed durable). */
const topicFlush: FlushPolicy = flags.flush === 'none' ? { kind: 'none' } : { kind: 'always' };

const RECORD_BYTES = 100;
const RECORDS_PER_BATCH = 1_000;
const CONSUMERS = 4;
const PREFETCH = 2_000;
const PRODUCE_IN_FLIGHT = 4;
/** The producer stays at most this far ahead of the acks (the backlog then lives on disk). */
const MAX_AHEAD = 200_000;

/**
 * Both shared-subscription runs: counts acknowledged records towards the run's total and keeps
 * every producer at most MAX_AHEAD records ahead of the acks, so the bench measures the
 * broker's steady state rather than a backlog it builds up.
 */
class AckFlow {
  acked = 0;
  produced = 0;
  readonly done: Promise<void>;
  private readonly total: number;
  private resolveDone!: () => void;
  private waiting: (() => void)[] = [];

  constructor(total: number) {
    this.total = total;
    this.done = new Promise<void>((resolve) => {
      this.resolveDone = resolve;
    });
  }

  readonly onAcked = (count: number): void => {
    this.acked += count;
    if (this.acked >= this.total) this.resolveDone();
    if (this.waiting.length > 0 && this.produced - this.acked < MAX_AHEAD) {
      const woken = this.waiting;
      this.waiting = [];
      for (const wake of woken) wake();
    }
  };

  /** Resolves once a producer may send more (every waiting producer wakes, not only the last). */
  async roomToProduce(): Promise<void> {
    while (this.produced - this.acked >= MAX_AHEAD) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const mib = (bytes: number): number => Math.round((bytes / (1024 * 1024)) * 10) / 10;

async function openBroker(): Promise<{ broker: Broker; dir: string }> {
  const dir = await mkdtemp(path.join(baseDir, 'ferry-bench-queues-'));
  const logs = await openLogManager({ dataDir: dir, logger: silentLogger });
  const broker = await Broker.open({
    logs,
    logger: silentLogger,
    config: { producerStateSnapshotIntervalMs: 3_600_000, log: { flush: topicFlush } },
  });
  return { broker, dir };
}

async function closeBroker(broker: Broker, dir: string): Promise<void> {
  await broker.close();
  await rm(dir, { recursive: true, force: true });
}

// ------------------------------------------------------------------------------ shared

interface SharedResult {
  ackedPerSec: number;
  seconds: number;
  producedPerSec: number;
}

async function sharedRun(): Promise<SharedResult> {
  const { broker, dir } = await openBroker();
  await broker.createTopic('bench');
  await broker.createSubscription('bench', 'workers', { mode: 'shared' });
  const records: ProducerRecord[] = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
    value: Buffer.alloc(RECORD_BYTES, 97 + (i % 26)),
  }));
  const template = encodeRecordBatch({ records });
  const flow = new AckFlow(sharedRecords);
  const onAcked = flow.onAcked;
  let producedAtMs = 0;
  const consumers: QueueConsumer[] = [];
  const one = [0];
  for (let c = 0; c < CONSUMERS; c++) {
    const onDeliver = (messages: QueueMessage[]): void => {
      const consumer = consumers[c]!;
      if (!ackPerRecord) {
        const offsets = messages.map((m) => m.offset);
        consumer.ack(0, offsets).then(() => onAcked(offsets.length));
        return;
      }
      // One ack call per record; calls in one group commit share a promise: count per promise.
      let group: Promise<void> | null = null;
      let count = 0;
      for (let i = 0; i < messages.length; i++) {
        one[0] = messages[i]!.offset;
        const promise = consumer.ack(0, one);
        if (promise !== group) {
          if (group !== null) {
            const n = count;
            group.then(() => onAcked(n));
          }
          group = promise;
          count = 0;
        }
        count++;
      }
      if (group !== null) {
        const n = count;
        group.then(() => onAcked(n));
      }
    };
    consumers.push(await broker.subscribe('bench', 'workers', 'shared', { prefetch: PREFETCH, onDeliver }));
  }
  const started = performance.now();
  const trace =
    process.env.FERRY_BENCH_TRACE === '1'
      ? setInterval(() => console.log(Math.round(performance.now() - started), flow.produced, flow.acked), 100)
      : null;
  const producer = async (): Promise<void> => {
    while (flow.produced < sharedRecords) {
      await flow.roomToProduce();
      if (flow.produced >= sharedRecords) break;
      flow.produced += RECORDS_PER_BATCH;
      await broker.produce({ topic: 'bench', partition: 0, batches: Buffer.from(template), acks: -1 });
    }
    producedAtMs = performance.now();
  };
  await Promise.all([...Array.from({ length: PRODUCE_IN_FLIGHT }, producer), flow.done]);
  if (trace !== null) clearInterval(trace);
  const seconds = (performance.now() - started) / 1000;
  const result = {
    ackedPerSec: Math.round(flow.acked / seconds),
    seconds: Math.round(seconds * 100) / 100,
    producedPerSec: Math.round(flow.produced / ((producedAtMs - started) / 1000)),
  };
  for (const consumer of consumers) await consumer.close();
  await closeBroker(broker, dir);
  return result;
}

// ------------------------------------------------------------------------------ scheduled

interface ScheduledResult {
  produceSeconds: number;
  rssBeforeMiB: number;
  rssPendingMiB: number;
  heapPendingMiB: number;
  externalPendingMiB: number;
  inWheelAtPending: number;
  rssPeakMiB: number;
  latenessP50Ms: number;
  latenessP99Ms: number;
  latenessMaxMs: number;
  schedulerP99Ms: number;
  eventLoopDelayP99Ms: number;
  delivered: number;
}

async function scheduledRun(): Promise<ScheduledResult> {
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const { broker, dir } = await openBroker();
  await broker.createTopic('later');
  const lateness = new Float64Array(scheduledRecords);
  let received = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const consumer = await broker.subscribe('later', 'timers', 'shared', {
    prefetch: 20_000,
    onDeliver: (messages) => {
      const nowMs = Date.now();
      for (const message of messages) {
        const due = message.headers.find((h) => h.key === ReservedHeader.deliverAt)!.value!;
        lateness[received++] = nowMs - Number(due.toString());
      }
      consumer
        .ack(
          0,
          messages.map((m) => m.offset),
        )
        .catch(() => {});
      if (received >= scheduledRecords) resolveDone();
    },
  });
  const start = Date.now();
  const firstDue = start + leadMs;
  const started = performance.now();
  const value = Buffer.alloc(RECORD_BYTES, 97);
  let nextBase = 0;
  const producer = async (): Promise<void> => {
    while (nextBase < scheduledRecords) {
      const base = nextBase;
      nextBase += RECORDS_PER_BATCH;
      const records: ProducerRecord[] = [];
      for (let i = base; i < Math.min(scheduledRecords, base + RECORDS_PER_BATCH); i++) {
        const due = firstDue + Math.floor((i / scheduledRecords) * spreadMs);
        records.push({ value, headers: [{ key: ReservedHeader.deliverAt, value: Buffer.from(String(due)) }] });
      }
      await broker.produce({ topic: 'later', partition: 0, batches: encodeRecordBatch({ records }), acks: -1 });
    }
  };
  await Promise.all(Array.from({ length: PRODUCE_IN_FLIGHT }, producer));
  const produceSeconds = (performance.now() - started) / 1000;
  if (Date.now() >= firstDue) console.warn(`  producing took longer than --lead-ms (${leadMs}); raise it`);
  global.gc?.();
  const pendingMemory = process.memoryUsage();
  const inWheelAtPending = broker.scheduleStats().inWheel;
  let rssPeak = pendingMemory.rss;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 100);
  broker.queueManager.resetScheduleStats();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const timeout = setTimeout(resolveDone, leadMs + spreadMs + 60_000);
  await done;
  clearTimeout(timeout);
  clearInterval(sampler);
  loopDelay.disable();
  const scheduler = broker.scheduleStats();
  const sorted = lateness.subarray(0, received).sort();
  await consumer.close();
  await closeBroker(broker, dir);
  return {
    produceSeconds: Math.round(produceSeconds * 10) / 10,
    rssBeforeMiB: mib(rssBefore),
    rssPendingMiB: mib(pendingMemory.rss),
    heapPendingMiB: mib(pendingMemory.heapUsed),
    externalPendingMiB: mib(pendingMemory.external),
    inWheelAtPending,
    rssPeakMiB: mib(rssPeak),
    latenessP50Ms: percentile(sorted, 0.5),
    latenessP99Ms: percentile(sorted, 0.99),
    latenessMaxMs: sorted.length === 0 ? 0 : sorted[sorted.length - 1]!,
    schedulerP99Ms: scheduler.latenessP99Ms,
    eventLoopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e6),
    delivered: received,
  };
}

// ------------------------------------------------------------------------------ main

/** fdatasync latency of the data dir's disk right now: the figures above depend on it. */
async function fsyncProbe(): Promise<{ p50Ms: number; p99Ms: number }> {
  const file = path.join(baseDir, `ferry-bench-fsync-${process.pid}`);
  const handle = await open(file, 'w');
  const buf = Buffer.alloc(16 * 1024, 1);
  const times = new Float64Array(200);
  for (let i = 0; i < times.length; i++) {
    const started = performance.now();
    await handle.write(buf, 0, buf.length, i * buf.length);
    await handle.datasync();
    times[i] = performance.now() - started;
  }
  await handle.close();
  await rm(file, { force: true });
  times.sort();
  return { p50Ms: Math.round(percentile(times, 0.5) * 100) / 100, p99Ms: Math.round(percentile(times, 0.99) * 100) / 100 };
}

function medians<T extends object>(runs: readonly T[]): T {
  const result: Record<string, number> = {};
  for (const key of Object.keys(runs[0]!)) result[key] = median(runs.map((run) => (run as Record<string, number>)[key]!));
  return result as T;
}

// ------------------------------------------------------------------------------ network

/** `--child network-server`: broker + native server; prints its port, stops when stdin ends. */
async function networkServer(): Promise<void> {
  const { broker, dir } = await openBroker();
  const server = await startNativeServer({ broker, host: '127.0.0.1', port: 0, logger: silentLogger });
  process.stdout.write(`PORT ${server.port}\n`);
  // `cpu` on stdin: answers the CPU time this process has used (user + system, µs), so the run
  // can say how much of the work is the broker's whatever else shares the machine.
  process.stdin.on('data', (chunk: Buffer) => {
    if (chunk.includes('cpu')) {
      const usage = process.cpuUsage();
      process.stdout.write(`CPU ${usage.user + usage.system}\n`);
    }
  });
  await new Promise<void>((resolve) => process.stdin.once('end', resolve));
  await server.close();
  await closeBroker(broker, dir);
}

interface NetworkResult extends SharedResult {
  /** CPU time (user + system) per acknowledged record during the run, µs. */
  brokerCpuUsPerRecord: number;
  clientCpuUsPerRecord: number;
}

async function networkRun(): Promise<NetworkResult> {
  const forwarded: string[] = [];
  for (const name of ['dir', 'flush'] as const) if (flags[name] !== undefined) forwarded.push(`--${name}`, flags[name]);
  const serverProcess = spawn(process.execPath, [...process.execArgv, import.meta.filename, ...forwarded, '--child', 'network-server'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  let onOutput: (() => void) | null = null;
  serverProcess.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    onOutput?.();
  });
  const nextLine = (pattern: RegExp): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(output);
        if (!match) return;
        output = output.slice(match.index + match[0].length);
        onOutput = null;
        resolve(match[1]!);
      };
      onOutput = check;
      serverProcess.once('exit', (code) => reject(new Error(`server exited ${code}`)));
      check();
    });
  const port = Number(await nextLine(/PORT (\d+)\n/));
  const brokerCpuUs = async (): Promise<number> => {
    serverProcess.stdin.write('cpu\n');
    return Number(await nextLine(/CPU (\d+)\n/));
  };
  const url = `ferry://127.0.0.1:${port}`;
  const producerClient = await connect(url);
  await producerClient.admin().createTopic({ name: 'bench', partitions: 1 });
  await producerClient.admin().createSubscription('bench', 'workers', { mode: 'shared' });
  const consumerClients = await Promise.all(Array.from({ length: CONSUMERS }, () => connect(url)));
  const subscriptions = await Promise.all(
    consumerClients.map((client) => client.subscribe({ topic: 'bench', subscription: 'workers', prefetch: PREFETCH })),
  );
  const flow = new AckFlow(sharedRecords);
  const onAcked = flow.onAcked;
  const brokerCpuBefore = await brokerCpuUs();
  const clientCpuBefore = process.cpuUsage();
  const started = performance.now();
  // Ack per record: each message.ack() joins its tick's coalesced Ack frame, and the acks of one
  // partition in one tick share a promise; count per promise (as the in-process run does), so the
  // bench adds no promise per record of its own.
  for (const sub of subscriptions) {
    let group: Promise<void> | null = null;
    let count = 0;
    const settle = (): void => {
      if (group === null) return;
      const n = count;
      group.then(
        () => onAcked(n),
        () => {},
      );
      group = null;
      count = 0;
    };
    void sub.run({
      eachMessage: (message) => {
        const promise = message.ack();
        if (promise !== group) {
          settle();
          group = promise;
        }
        count++;
        if (sub.bufferedCount === 0) settle();
      },
      autoAck: false,
    });
  }
  const producer = producerClient.producer({ lingerMs: 1, batchBytes: 256 * 1024 });
  const value = Buffer.alloc(RECORD_BYTES, 97);
  const batch = Array.from({ length: RECORDS_PER_BATCH }, () => ({ topic: 'bench', value }));
  const inFlight = new Set<Promise<unknown>>();
  while (flow.produced < sharedRecords) {
    await flow.roomToProduce();
    const count = Math.min(RECORDS_PER_BATCH, sharedRecords - flow.produced);
    const sent = producer.sendBatch(count === RECORDS_PER_BATCH ? batch : batch.slice(0, count));
    flow.produced += count;
    inFlight.add(sent);
    sent.finally(() => inFlight.delete(sent));
    if (inFlight.size >= PRODUCE_IN_FLIGHT * 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const producedMs = performance.now() - started;
  await flow.done;
  const seconds = (performance.now() - started) / 1000;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const brokerCpu = (await brokerCpuUs()) - brokerCpuBefore;
  await producer.close();
  for (const sub of subscriptions) await sub.close();
  for (const client of [producerClient, ...consumerClients]) await client.close();
  serverProcess.stdin.end();
  await new Promise((resolve) => serverProcess.once('exit', resolve));
  return {
    ackedPerSec: Math.round(sharedRecords / seconds),
    seconds: Math.round(seconds * 100) / 100,
    producedPerSec: Math.round(sharedRecords / (producedMs / 1000)),
    brokerCpuUsPerRecord: Math.round((brokerCpu / sharedRecords) * 100) / 100,
    clientCpuUsPerRecord: Math.round(((clientCpu.user + clientCpu.system) / sharedRecords) * 100) / 100,
  };
}

// Each run is a fresh process: RSS figures start from a clean heap, and no run inherits another's
// garbage or page cache pressure. `--child shared|scheduled` runs one and prints its result.
if (flags.child === 'network-server') {
  await networkServer();
  process.exit(0);
}
if (flags.child !== undefined) {
  const result: object =
    flags.child === 'shared' ? await sharedRun() : flags.child === 'network' ? await networkRun() : await scheduledRun();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

async function runChild<T>(workload: 'shared' | 'scheduled' | 'network'): Promise<T> {
  const forwarded: string[] = flags.quick === true ? ['--quick'] : [];
  for (const name of ['dir', 'records', 'scheduled', 'lead-ms', 'spread-ms', 'ack', 'flush'] as const) {
    const value = flags[name];
    if (value !== undefined) forwarded.push(`--${name}`, value);
  }
  const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, ...forwarded, '--child', workload], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = output.split('\n').find((text) => text.startsWith('RESULT '));
  if (code !== 0 || line === undefined) throw new Error(`${workload} run failed (exit ${code}): ${output}`);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

const results: Record<string, unknown> = {
  node: process.version,
  cpus: os.cpus().length,
  loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  repeat,
  topicFlush: topicFlush.kind,
  fsyncBefore: await fsyncProbe(),
};
console.log(
  `disk: fdatasync of 16 KiB p50 ${(results.fsyncBefore as { p50Ms: number }).p50Ms} ms, p99 ${(results.fsyncBefore as { p99Ms: number }).p99Ms} ms; load average ${(results.loadAverage as number[]).join(' ')}`,
);

if (flags.only === undefined || flags.only === 'shared') {
  const runs: SharedResult[] = [];
  for (let i = 0; i < repeat; i++) {
    const run = await runChild<SharedResult>('shared');
    console.log(
      `shared run ${i + 1}: ${run.ackedPerSec.toLocaleString()} acked/s (${sharedRecords.toLocaleString()} records in ${run.seconds} s)`,
    );
    runs.push(run);
  }
  const summary = medians(runs);
  results.shared = { records: sharedRecords, ackPerRecord, consumers: CONSUMERS, prefetch: PREFETCH, runs, median: summary };
  console.log(
    `shared, ${CONSUMERS} consumers, ${RECORD_BYTES} B records, ack ${ackPerRecord ? 'per record' : 'per batch'}: median ${summary.ackedPerSec.toLocaleString()} records/s acknowledged end to end (target >= 300,000) ${summary.ackedPerSec >= 300_000 ? 'PASS' : 'BELOW TARGET'}`,
  );
}

if (flags.only === undefined || flags.only === 'network') {
  const runs: NetworkResult[] = [];
  for (let i = 0; i < repeat; i++) {
    const run = await runChild<NetworkResult>('network');
    console.log(
      `network run ${i + 1}: ${run.ackedPerSec.toLocaleString()} acked/s (${sharedRecords.toLocaleString()} records in ${run.seconds} s; produced at ${run.producedPerSec.toLocaleString()}/s); CPU per record: broker ${run.brokerCpuUsPerRecord} µs, clients ${run.clientCpuUsPerRecord} µs`,
    );
    runs.push(run);
  }
  const summary = medians(runs);
  results.network = { records: sharedRecords, consumers: CONSUMERS, prefetch: PREFETCH, runs, median: summary };
  console.log(
    `network (client over TCP), ${CONSUMERS} consumers, ${RECORD_BYTES} B records, ack per record: median ${summary.ackedPerSec.toLocaleString()} records/s acknowledged end to end (target >= 300,000) ${summary.ackedPerSec >= 300_000 ? 'PASS' : 'BELOW TARGET'}; CPU per record: broker ${summary.brokerCpuUsPerRecord} µs (${Math.round(1e6 / summary.brokerCpuUsPerRecord).toLocaleString()} records per broker CPU-second), clients ${summary.clientCpuUsPerRecord} µs`,
  );
}

if (flags.only === undefined || flags.only === 'scheduled') {
  const runs: ScheduledResult[] = [];
  for (let i = 0; i < repeat; i++) {
    const run = await runChild<ScheduledResult>('scheduled');
    console.log(
      `scheduled run ${i + 1}: RSS ${run.rssBeforeMiB} -> ${run.rssPendingMiB} MiB with ${scheduledRecords.toLocaleString()} pending (heap ${run.heapPendingMiB} MiB, external ${run.externalPendingMiB} MiB, ${run.inWheelAtPending} in the wheel), peak ${run.rssPeakMiB} MiB; lateness p50 ${run.latenessP50Ms} ms, p99 ${run.latenessP99Ms} ms, max ${run.latenessMaxMs} ms (${run.delivered} delivered; event loop delay p99 ${run.eventLoopDelayP99Ms} ms)`,
    );
    runs.push(run);
  }
  const summary = medians(runs);
  results.scheduled = { records: scheduledRecords, leadMs, spreadMs, runs, median: summary };
  console.log(
    `scheduled, ${scheduledRecords.toLocaleString()} records over ${spreadMs / 1000} s: median RSS ${summary.rssPendingMiB} MiB pending (before: ${summary.rssBeforeMiB} MiB, peak ${summary.rssPeakMiB} MiB); lateness p99 ${summary.latenessP99Ms} ms (target: within 100 ms) ${summary.latenessP99Ms <= 100 ? 'PASS' : 'ABOVE TARGET'}`,
  );
}

results.fsyncAfter = await fsyncProbe();
const resultsDir = path.join(import.meta.dirname, 'results');
mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, `queues-${new Date().toISOString().replaceAll(':', '-').replace('.', '-')}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`results: ${path.relative(process.cwd(), file)}`);
