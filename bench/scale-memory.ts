/**
 * What many quiet topics cost the broker: starts the built broker (`dist/cli/main.js start`,
 * what `npm start` runs) as a child process, reads its RSS (anon and file, /proc/PID/status)
 * idle, after creating N single-partition topics through the native admin client (timed), and
 * after some seconds of one record per topic every 200 ms (issue 7's `scale` workload).
 *
 *   npm run bench:scale -- [--topics 1000] [--seconds 5] [--flush always|none] [--runs 1]
 *                          [--entry dist|src] [--hold-ms 0] [--broker-log FILE] [--snapshot-dir DIR]
 *
 * `npm run build` first when using the dist entry (the npm script does). SCALE_NODE_ARGS adds
 * Node flags to the broker (`--trace-gc` with --broker-log shows the heap's size over the run);
 * --snapshot-dir has the broker write a heap snapshot at each of the three points (what a
 * partition holds, next to what the heap merely reserved).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { connect, type ProducerRecord } from '../src/client/index.ts';

const ROUND_MS = 200;
const REPO_ROOT = new URL('../', import.meta.url).pathname;

interface Rss {
  totalMiB: number;
  anonMiB: number;
  fileMiB: number;
}

interface RunResult {
  idle: Rss;
  afterCreate: Rss;
  afterTraffic: Rss;
  createSeconds: number;
  records: number;
}

function readRss(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return match === null ? Number.NaN : Number(match[1]) / 1024;
  };
  return { totalMiB: field('VmRSS'), anonMiB: field('RssAnon'), fileMiB: field('RssFile') };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when the broker prints its ready line (it does once every listener is bound). */
function waitReady(child: ChildProcess, timeoutMs: number, logPath: string): Promise<void> {
  const log = logPath === '' ? null : createWriteStream(logPath);
  if (log !== null) {
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`broker not ready within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('ferry ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with code ${code} before it was ready:\n${output}`));
    });
  });
}

/** A heap snapshot of the broker (a full GC first: what is live, not what the heap reserved),
 *  written by the broker itself into `dir`; resolves once its size stops changing. */
async function takeSnapshot(pid: number, dir: string): Promise<void> {
  if (dir === '') return;
  const before = new Set(await readdir(dir));
  process.kill(pid, 'SIGUSR2');
  let lastSize = -1;
  for (;;) {
    await sleep(500);
    const name = (await readdir(dir)).find((file) => !before.has(file) && file.endsWith('.heapsnapshot'));
    if (name === undefined) continue;
    const { size } = await stat(join(dir, name));
    if (size > 0 && size === lastSize) {
      process.stderr.write(`heap snapshot ${join(dir, name)}\n`);
      return;
    }
    lastSize = size;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function run(options: {
  topics: number;
  seconds: number;
  flush: string;
  entry: string;
  holdMs: number;
  brokerLog: string;
  snapshotDir: string;
}): Promise<RunResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ferry-scale-'));
  const port = await freePort();
  const entry = options.entry === 'src' ? 'src/cli/main.ts' : 'dist/cli/main.js';
  const child = spawn(
    process.execPath,
    [
      ...(process.env.SCALE_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ...(options.snapshotDir === '' ? [] : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${options.snapshotDir}`]),
      entry,
      'start',
      `--data-dir=${join(dataDir, 'data')}`,
      `--native-port=${port}`,
      '--http-port=0',
      '--kafka-port=-1',
      `--flush-policy=${options.flush}`,
      '--log-level=warn',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    await waitReady(child, 60_000, options.brokerLog);
    const pid = child.pid!;
    // Let start-up garbage settle the way an operator's idle broker would.
    await sleep(1_000);
    const idle = readRss(pid);
    await takeSnapshot(pid, options.snapshotDir);
    const client = await connect(`127.0.0.1:${port}`);
    const admin = client.admin();
    const names = Array.from({ length: options.topics }, (_, i) => `scale-${i}`);
    const createdAt = performance.now();
    for (const name of names) await admin.createTopic({ name, partitions: 1 });
    const createSeconds = (performance.now() - createdAt) / 1000;
    await sleep(1_000);
    const afterCreate = readRss(pid);
    await takeSnapshot(pid, options.snapshotDir);
    const producer = client.producer({ acks: 'all', lingerMs: 0 });
    const value = Buffer.alloc(100, 'x');
    const round = (): Promise<unknown> => {
      const records: ProducerRecord[] = names.map((topic) => ({ topic, value }));
      return producer.sendBatch(records);
    };
    await round(); // the producer's first send looks up metadata: setup, not traffic
    let records = 0;
    const started = performance.now();
    while (performance.now() - started < options.seconds * 1000) {
      const roundStarted = performance.now();
      await round();
      records += names.length;
      const left = ROUND_MS - (performance.now() - roundStarted);
      if (left > 0) await sleep(left);
    }
    const afterTraffic = readRss(pid);
    await takeSnapshot(pid, options.snapshotDir);
    if (options.holdMs > 0) {
      process.stderr.write(`broker pid ${pid}: holding ${options.holdMs} ms\n`);
      await sleep(options.holdMs);
    }
    await producer.close();
    await client.close();
    return { idle, afterCreate, afterTraffic, createSeconds, records };
  } finally {
    await stop(child);
    await rm(dataDir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function formatRss(rss: Rss): string {
  return `${rss.totalMiB.toFixed(1)} (${rss.anonMiB.toFixed(1)} anon + ${rss.fileMiB.toFixed(1)} file)`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      topics: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '5' },
      flush: { type: 'string', default: 'always' },
      runs: { type: 'string', default: '1' },
      entry: { type: 'string', default: 'dist' },
      'hold-ms': { type: 'string', default: '0' },
      'broker-log': { type: 'string', default: '' },
      'snapshot-dir': { type: 'string', default: '' },
    },
  });
  const options = {
    topics: Number(values.topics),
    seconds: Number(values.seconds),
    flush: values.flush,
    entry: values.entry,
    holdMs: Number(values['hold-ms']),
    brokerLog: values['broker-log'],
    snapshotDir: values['snapshot-dir'],
  };
  if (!Number.isSafeInteger(options.topics) || options.topics < 1) throw new Error('--topics must be a positive integer');
  const runs = Number(values.runs);
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    const result = await run(options);
    results.push(result);
    console.log(
      `run ${i + 1}: idle ${formatRss(result.idle)} MiB | ${options.topics} topics created in ${result.createSeconds.toFixed(2)} s: ` +
        `${formatRss(result.afterCreate)} MiB | after ${options.seconds} s of traffic (${result.records} records): ${formatRss(result.afterTraffic)} MiB`,
    );
  }
  const perPartitionKiB = (result: RunResult) => ((result.afterCreate.totalMiB - result.idle.totalMiB) * 1024) / options.topics;
  console.log('');
  console.log(`entry ${options.entry}, flush ${options.flush}, ${options.topics} topics, median of ${runs} run(s)`);
  console.log('| measure | value |');
  console.log('| --- | --- |');
  console.log(`| idle RSS (MiB) | ${median(results.map((r) => r.idle.totalMiB)).toFixed(1)} |`);
  console.log(
    `| idle anon / file (MiB) | ${median(results.map((r) => r.idle.anonMiB)).toFixed(1)} / ${median(results.map((r) => r.idle.fileMiB)).toFixed(1)} |`,
  );
  console.log(`| create ${options.topics} topics (s) | ${median(results.map((r) => r.createSeconds)).toFixed(2)} |`);
  console.log(`| RSS after create (MiB) | ${median(results.map((r) => r.afterCreate.totalMiB)).toFixed(1)} |`);
  console.log(`| per partition after create (KiB) | ${median(results.map(perPartitionKiB)).toFixed(1)} |`);
  console.log(`| RSS after ${options.seconds} s of traffic (MiB) | ${median(results.map((r) => r.afterTraffic.totalMiB)).toFixed(1)} |`);
}

await main();
